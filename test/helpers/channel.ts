/** Shared helpers for stream tests: key pairs, connected pairs, collecting output. */
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { generateKeyPair, type KeyPair } from '../../lib/keys.js'
import type { Duplex as StreamxStream } from 'streamx'

export const appKey = Buffer.alloc(32, 7)
export const serverKeys: KeyPair = generateKeyPair(Buffer.alloc(32, 1))
export const clientKeys: KeyPair = generateKeyPair(Buffer.alloc(32, 2))

type Extra = Partial<SecretStreamOptions>

/** Two SecretStreams over an in-memory pair. */
export function memoryChannel(client: Extra = {}, server: Extra = {}): { client: SecretStream; server: SecretStream } {
  const [a, b] = createDuplexPair()
  return {
    client: new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ...client }),
    server: new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey, ...server })
  }
}

/** Two SecretStreams over a TCP connection on 127.0.0.1. */
export async function tcpChannel(client: Extra = {}, server: Extra = {}): Promise<{ client: SecretStream; server: SecretStream; close: () => Promise<void> }> {
  const listener = net.createServer({ allowHalfOpen: true })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const port = (listener.address() as net.AddressInfo).port
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve))
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const serverSocket = await accepted
  return {
    client: new SecretStream(socket, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ...client }),
    server: new SecretStream(serverSocket, { isInitiator: false, keyPair: serverKeys, appKey, ...server }),
    close: () => new Promise<void>((resolve) => listener.close(() => resolve()))
  }
}

/** A Node stream or a streamx one (SecretStream is a streamx Duplex). */
type Emitter = NodeJS.ReadableStream | NodeJS.WritableStream | StreamxStream

/** Resolves with everything the stream emits until it ends; rejects on error. */
export function collect(emitter: Emitter): Promise<Buffer> {
  const stream = emitter as NodeJS.ReadableStream // streamx streams have the same on/once
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

/** Resolves with the first 'error' the stream emits (or null if it closes without one). */
export function firstError(emitter: Emitter): Promise<(Error & { code?: string; cause?: Error }) | null> {
  const stream = emitter as NodeJS.ReadableStream // streamx streams have the same on/once
  return new Promise((resolve) => {
    stream.once('error', resolve)
    stream.once('close', () => resolve(null))
  })
}

/** Random bytes split into random write sizes. */
export function randomWrites(total: number, maxWrite: number): Buffer[] {
  const data = randomBytes(total)
  const out: Buffer[] = []
  for (let at = 0; at < total; ) {
    const n = Math.min(total - at, 1 + Math.floor(Math.random() * maxWrite))
    out.push(data.subarray(at, at + n))
    at += n
  }
  return out
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
