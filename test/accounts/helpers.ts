/** Shared fixtures for the accounts tests. */
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import { closeServer } from '../../lib/protocols/accounts/close-server.js'

/** Cheap scrypt for tests (the defaults are deliberately slow). */
export const TEST_KDF = { logN: 4, r: 8, p: 1 }
process.env.SECRET_CHANNEL_SCRYPT_LOGN = '4'
process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN = '4'

/** Listens on 127.0.0.1:0 and resolves to the port. */
export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** Closes a server, dropping its open connections (servers made by this package track them). */
export function close(server: net.Server): Promise<void> {
  return closeServer(server)
}

/** Collects a readable's data until it ends. */
export function collect(stream: { on(event: string, fn: (...a: any[]) => void): unknown }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    stream.on('data', (d: Buffer) => parts.push(d))
    stream.on('end', () => resolve(Buffer.concat(parts)))
    stream.on('error', reject)
  })
}
