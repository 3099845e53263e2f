/**
 * `secret-channel/pull`: a drop-in for the npm packages `secret-handshake@1.1.21` and
 * `pull-box-stream@1.0.13`, built on this package's sans-I/O handshake and box-stream.
 *
 * Same call shapes, same wire bytes, same stream object; what differs is what goes wrong:
 * every failure is a {@link SecretChannelError} with a stable `code`, bad input never throws out
 * of a callback (the reference's process dies on a low-order hello), a stream that ends without
 * the goodbye is `ERR_TRUNCATED`, and frames over 4096 bytes are refused.
 *
 * @example
 * ```ts
 * import pull from 'pull-stream'
 * import toPull from 'stream-to-pull-stream'
 * import { createClient } from 'secret-channel/pull'
 *
 * const connect = createClient(alice, appKey)
 * const socket = toPull.duplex(net.connect(8008, '127.0.0.1'))
 * pull(socket, connect(bob.publicKey, (err, stream) => {
 *   if (err) throw err
 *   pull(pull.values(['hello']), stream.sink)
 * }), socket)
 * ```
 * @module
 */
export { createClient, type PullConnect } from './pull/client.js'
export { createServer, type PullAccept, type PullAuthorize } from './pull/server.js'
export { createBoxStream, createUnboxStream, createEncryptStream, createDecryptStream } from './pull/box.js'
export { toKeys, DEFAULT_TIMEOUT_MS } from './pull/options.js'
export type { PullSecretStream, PullCryptoInfo, PullHandshakeCallback } from './pull/secure.js'
export type { Source, Sink, Through, Duplex, End } from './pull/types.js'
export { SecretChannelError, ErrorCodes, isSecretChannelError } from '../errors.js'

import { createClient } from './pull/client.js'
import { createServer } from './pull/server.js'

/**
 * Alias of {@link createClient}, as in secret-handshake.
 * @example
 * ```ts
 * import { client } from 'secret-channel/pull' // the secret-handshake name for createClient
 * const connect = client(keys, appKey)
 * ```
 */
export const client = createClient
/**
 * Alias of {@link createServer}, as in secret-handshake.
 * @example
 * ```ts
 * import { server } from 'secret-channel/pull' // the secret-handshake name for createServer
 * const accept = server(keys, (pub, cb) => cb(null, true), appKey)
 * ```
 */
export const server = createServer
