/**
 * The flat protocol as a TCP service and a TCP client, over `node:net`.
 * @module
 */
import net from 'node:net'
import { FlatStream } from './stream.js'
import type { FlatLookup, FlatStreamOptions } from './stream.js'
import type { KeyPair } from '../../../keys.js'
import { trackConnections } from '../close-server.js'
import { decoySecretFor } from '../decoy.js'

/**
 * Options for {@link createFlatServer}.
 * @example
 * ```ts
 * const options: accounts.FlatServerListenOptions = { keyPair: flatKeys, lookup }
 * accounts.createFlatServer(options, (session) => session.end('welcome\n'))
 * ```
 */
export interface FlatServerListenOptions {
  /** The server's long-term key pair (clients pin its public key). */
  keyPair: KeyPair
  /** Account lookup (see `flatLookupFromStores`). */
  lookup: FlatLookup
  /** The server's MAX-PACKET. */
  maxPacket?: number
  /** Login deadline per connection, ms. */
  handshakeTimeout?: number
  /** Secret for decoy answers; derived from `keyPair` by default (stable across restarts). */
  decoySecret?: Uint8Array
  /** Told about every connection that fails (junk, bad proof, truncation…). */
  onError?: (err: Error, stream: FlatStream) => void
}

/**
 * A TCP server speaking the flat protocol. `onSession` is called only for connections that have
 * completed the login, with the authenticated stream (`stream.username`, `stream.remotePublicKey`).
 * @example
 * ```ts
 * const server = createFlatServer({ keyPair, lookup }, (s) => s.pipe(s)) // echo
 * server.listen(0, '127.0.0.1')
 * ```
 */
export function createFlatServer(options: FlatServerListenOptions, onSession: (stream: FlatStream) => void): net.Server {
  const decoySecret = decoySecretFor(options.keyPair)
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const stream = new FlatStream(socket, {
      isInitiator: false, keyPair: options.keyPair, lookup: options.lookup, maxPacket: options.maxPacket,
      handshakeTimeout: options.handshakeTimeout, decoySecret: options.decoySecret ?? decoySecret
    })
    stream.on('error', (err: Error) => options.onError?.(err, stream))
    stream.once('connect', () => onSession(stream))
  })
  return trackConnections(server)
}

/**
 * Options for {@link connectFlat}: where to dial plus the client options of {@link FlatStream}.
 * @example
 * ```ts
 * const options: accounts.FlatConnectOptions = { host: '127.0.0.1', port: 9002, serverPublicKey: flatKey, username: 'alice', password }
 * const session = accounts.connectFlat(options)
 * ```
 */
export type FlatConnectOptions = { host?: string, port: number } & Omit<FlatStreamOptions, 'isInitiator' | 'lookup'>

/**
 * Dials a flat-protocol server and logs in; await `stream.opened`.
 * @example
 * ```ts
 * const session = accounts.connectFlat({ port: 9002, serverPublicKey: flatKey, username: 'alice', password })
 * await session.opened
 * session.end('hello')
 * ```
 */
export function connectFlat(options: FlatConnectOptions): FlatStream {
  const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, allowHalfOpen: true })
  return new FlatStream(socket, { ...options, isInitiator: true })
}
