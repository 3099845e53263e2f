/**
 * The SHS1 client over pull-streams, a drop-in for secret-handshake's `createClient`.
 * The handshake itself is the shared {@link HandshakeDriver}; this file only adapts the call shape.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { HandshakeDriver, Phase } from '../../handshake/index.js'
import { generateKeyPair, type KeyPair } from '../../keys.js'
import { isBytes, toAppKey, toKeys, toTimeout } from './options.js'
import { secureStream, type PullHandshakeCallback } from './secure.js'
import { runPullHandshake } from './handshake.js'
import type { Duplex } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

/**
 * Dials one server: returns the ciphertext duplex to pipe to the transport.
 * @example
 * ```ts
 * const connect: PullConnect = createClient(alice, appKey)
 * pull(wire, connect(bob.publicKey, (err, stream) => { if (stream) pull(stream, stream) }), wire)
 * ```
 */
export type PullConnect = {
  (serverPublicKey: Uint8Array, cb: PullHandshakeCallback<undefined>): Duplex<Uint8Array, PlatformBytes>
  (serverPublicKey: Uint8Array, seed: Uint8Array | null | undefined, cb: PullHandshakeCallback<undefined>): Duplex<Uint8Array, PlatformBytes>
}

/**
 * Makes a client: `createClient(keys, appKey, timeout)(serverPublicKey, [seed], cb)`.
 *
 * A server that hangs up on our hello is reported as `ERR_WRONG_APP_KEY`, one that hangs up after
 * we authenticated as `ERR_UNAUTHORIZED`, a partial message as `ERR_TRUNCATED`: the same codes as
 * `SecretStream` and `connect()` (one decision, in the handshake driver).
 * @param keys - our long-term key pair `{ publicKey, secretKey }` (or a 32-byte seed); may be
 *   null when every call passes a `seed`
 * @param appKey - the 32-byte network key, as bytes or base64
 * @param timeout - milliseconds for the whole handshake; falsy means 5000
 * @returns `connect(serverPublicKey, [seed], cb)`: returns the ciphertext duplex and later calls
 *   `cb(err)` or `cb(null, stream)`. A `seed` makes the client's key pair from that seed
 *   (invite-style shared keys). A malformed server key or missing callback throws at once.
 * @example
 * ```ts
 * const connect = createClient(alice, appKey)
 * pull(socket.source, connect(bob.publicKey, (err, stream) => { ... }), socket.sink)
 * ```
 */
export function createClient(keys: KeyPair | Uint8Array | null, appKey: Uint8Array | string, timeout?: number): PullConnect {
  const app = toAppKey(appKey)
  const ms = toTimeout(timeout)
  const defaultKeys = keys == null ? null : toKeys(keys)
  return function connect(
    serverPublicKey: Uint8Array,
    seedOrCb: Uint8Array | null | undefined | PullHandshakeCallback<undefined>,
    maybeCb?: PullHandshakeCallback<undefined>
  ): Duplex<Uint8Array, PlatformBytes> {
    const cb = typeof seedOrCb === 'function' ? seedOrCb : maybeCb
    const seed = typeof seedOrCb === 'function' ? null : seedOrCb
    if (!isBytes(serverPublicKey, 32)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'createClient *must* be passed a 32-byte server public key')
    }
    if (typeof cb !== 'function') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'a callback is required')
    const keyPair = seed ? generateKeyPair(seed) : defaultKeys
    if (!keyPair) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'keys are required unless a seed is given')
    return runPullHandshake(
      () => new HandshakeDriver({ isInitiator: true, appKey: app, keyPair, remotePublicKey: serverPublicKey }),
      ms,
      null,
      (err, result) => (err ? cb(err) : cb(null, secureStream<undefined>(result!.session, undefined, result!.wire)))
    )
  } as PullConnect
}
