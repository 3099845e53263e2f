/**
 * The SHS1 server over pull-streams, a drop-in for secret-handshake's `createServer`.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { HandshakeDriver, Phase } from '../../handshake/index.js'
import type { KeyPair } from '../../keys.js'
import { toAppKey, toKeys, toTimeout } from './options.js'
import { secureStream, type PullHandshakeCallback } from './secure.js'
import { runPullHandshake } from './handshake.js'
import type { Duplex } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

/**
 * Decides whether a proven client may connect: call `cb(null, truthy)` to accept (the value
 * becomes `stream.auth`), `cb(null, falsy)` or `cb()` to refuse, `cb(err)` on a failure.
 * A one-argument function may instead return a promise of that value.
 * @example
 * ```ts
 * const authorize: PullAuthorize = (pub, cb) => cb(null, allowed.has(pub.toString('base64')))
 * const accept = createServer(keys, authorize, appKey)
 * ```
 */
export type PullAuthorize<Auth = unknown> =
  | ((remotePublicKey: PlatformBytes, cb: (err?: Error | null, auth?: Auth | null | false) => void) => void)
  | ((remotePublicKey: PlatformBytes) => Promise<Auth | null | false | undefined> | Auth | null | false | undefined)

/**
 * Accepts one connection: returns the ciphertext duplex to pipe to the transport.
 * @example
 * ```ts
 * const accept: PullAccept = createServer(bob, (pub, cb) => cb(null, true), appKey)
 * pull(wire, accept((err, stream) => { if (stream) pull(stream, stream) }), wire)
 * ```
 */
export type PullAccept<Auth = unknown> = (cb: PullHandshakeCallback<Auth>) => Duplex<Uint8Array, PlatformBytes>

/**
 * Makes a server: `createServer(keys, authorize, appKey, timeout)(cb)`.
 *
 * The client proves who it is first; `authorize` is asked after that and before the server
 * proves its own identity, so a refused client learns nothing about the server.
 * @param keys - our long-term key pair `{ publicKey, secretKey }` (or a 32-byte seed)
 * @param authorize - `(remotePublicKey, cb)`; see {@link PullAuthorize}
 * @param appKey - the 32-byte network key, as bytes or base64
 * @param timeout - milliseconds for the whole handshake (authorize included); falsy means 5000
 * @example
 * ```ts
 * const accept = createServer(bob, (pub, cb) => cb(null, allowed.has(pub.toString('hex'))), appKey)
 * pull(socket.source, accept((err, stream) => { ... }), socket.sink)
 * ```
 */
export function createServer<Auth = unknown>(
  keys: KeyPair | Uint8Array,
  authorize: PullAuthorize<Auth>,
  appKey: Uint8Array | string,
  timeout?: number
): PullAccept<Auth> {
  const keyPair = toKeys(keys)
  const app = toAppKey(appKey)
  const ms = toTimeout(timeout)
  if (typeof authorize !== 'function') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'authorize must be a function')
  return function accept(cb: PullHandshakeCallback<Auth>): Duplex<Uint8Array, PlatformBytes> {
    if (typeof cb !== 'function') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'a callback is required')
    return runPullHandshake(
      () => new HandshakeDriver({ isInitiator: false, appKey: app, keyPair }),
      ms,
      (clientKey, answer) => askAuthorize(authorize, clientKey, answer),
      (err, result) => (err ? cb(err) : cb(null, secureStream<Auth>(result!.session, result!.auth as Auth, result!.wire)))
    )
  }
}

/** Calls the user's authorize once, whether it answers by callback, by promise, or throws. */
function askAuthorize<Auth>(
  authorize: PullAuthorize<Auth>,
  clientKey: PlatformBytes,
  answer: (err: Error | null, auth?: Auth | null | false) => void
): void {
  let answered = false
  const once = (err: unknown, auth?: Auth | null | false): void => {
    if (answered) return
    answered = true
    answer(err ? (err instanceof Error ? err : new Error(String(err))) : null, auth)
  }
  try {
    const result = (authorize as (pub: PlatformBytes, cb: typeof once) => unknown)(clientKey, once)
    // Only a one-argument authorize answers by its return value: a callback-style `async` function
    // also returns a promise, and its result must not count as a refusal.
    if (authorize.length < 2) {
      Promise.resolve(result).then((auth) => once(null, auth as Auth), (err: unknown) => once(err ?? new Error('authorize rejected')))
    }
  } catch (err) {
    once(err)
  }
}
