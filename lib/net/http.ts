/**
 * Typed glue for running `node:http` over secret channels. http's types want a `stream.Duplex` from
 * `createConnection` and hand out `req.socket` as a `net.Socket`; at run time a secret stream with
 * its socket shims is what http needs, but the types do not know it. These two helpers hold the one
 * cast, so user code needs none.
 * @module
 */
import type { ClientRequestArgs } from 'node:http'
import type { Duplex } from 'node:stream'
import { SecretStream } from '../streams/secret-stream.js'
import { connect, type ConnectOptions } from './connect.js'

/**
 * What `http.request({ createConnection })` takes.
 * @example
 * ```ts
 * const createConnection: HttpCreateConnection = createHttpConnection({ host, port, keyPair, appKey, remotePublicKey })
 * http.get({ path: '/', createConnection }, (res) => res.pipe(process.stdout))
 * ```
 */
export type HttpCreateConnection = NonNullable<ClientRequestArgs['createConnection']>

/**
 * A `createConnection` for `http.request`/`http.get` that opens a secret channel per request.
 * Connection and handshake errors reach the request's `'error'` event.
 * @example
 * ```ts
 * import http from 'node:http'
 * import { createHttpConnection, generateKeyPair } from 'secret-channel'
 *
 * http.get({ path: '/', createConnection: createHttpConnection({ host: '127.0.0.1', port: 8080, keyPair: generateKeyPair(), appKey, remotePublicKey: serverPublicKey }) },
 *   (res) => res.pipe(process.stdout))
 * ```
 */
export function createHttpConnection(options: ConnectOptions): HttpCreateConnection {
  return (_requestOptions, done) => {
    connect(options).then((stream) => done(null, stream as unknown as Duplex), (err: Error) => done(err, undefined as unknown as Duplex))
    return undefined
  }
}

/**
 * The peer's public key when `socket` (an http `req.socket`, or any stream) is an open secret
 * channel, else `null`. Lets an http handler see who is calling without casting `req.socket`.
 * @example
 * ```ts
 * import http from 'node:http'
 * import { formatId, peerKeyOf } from 'secret-channel'
 *
 * const app = http.createServer((req, res) => {
 *   const key = peerKeyOf(req.socket)
 *   res.end(key ? `hello ${formatId(key)}` : 'who are you?')
 * })
 * ```
 */
export function peerKeyOf(socket: unknown): Buffer | null {
  return socket instanceof SecretStream ? socket.remotePublicKey : null
}
