/**
 * The SHS1 client over pull-streams, a drop-in for secret-handshake's `createClient`.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { ClientHandshake, Phase, SERVER_ACCEPT_BYTES, SERVER_HELLO_BYTES } from '../../handshake/index.js'
import { generateKeyPair, type KeyPair } from '../../keys.js'
import { isBytes, toAppKey, toKeys, toTimeout } from './options.js'
import { secureStream, type PullHandshakeCallback } from './secure.js'
import { PullShake, type EndMeaning } from './shake.js'
import type { Duplex } from './types.js'

/**
 * Dials one server: returns the ciphertext duplex to pipe to the transport.
 * @example
 * ```ts
 * const connect: PullConnect = createClient(alice, appKey)
 * pull(wire, connect(bob.publicKey, (err, stream) => { if (stream) pull(stream, stream) }), wire)
 * ```
 */
export type PullConnect = {
  (serverPublicKey: Uint8Array, cb: PullHandshakeCallback<undefined>): Duplex<Uint8Array, Buffer>
  (serverPublicKey: Uint8Array, seed: Uint8Array | null | undefined, cb: PullHandshakeCallback<undefined>): Duplex<Uint8Array, Buffer>
}

/**
 * Seen from the client, a server that hangs up cannot say why. SHS1 makes a server hang up on a
 * hello from another network, and on a client it refuses or that dialed a key it does not hold;
 * the code names the likely cause for the step it happened at.
 */
function hungUp(code: typeof ErrorCodes.WRONG_APP_KEY | typeof ErrorCodes.UNAUTHORIZED, phase: string, why: string): EndMeaning {
  return (end, partial) => {
    const cause = end === true ? undefined : end
    if (partial > 0) {
      return new SecretChannelError(ErrorCodes.TRUNCATED, phase, `the transport ended after ${partial} bytes of the message`, { cause })
    }
    return new SecretChannelError(code, phase, why, { cause })
  }
}

const onHelloHangUp = hungUp(
  ErrorCodes.WRONG_APP_KEY,
  Phase.SERVER_HELLO,
  'the server hung up on our hello: it is probably on another network (a different app key), or busy'
)
const onAuthHangUp = hungUp(
  ErrorCodes.UNAUTHORIZED,
  Phase.SERVER_ACCEPT,
  'the server hung up after we authenticated: it refused us, or we dialed a key it does not hold (SHS1 does not say which)'
)

/**
 * Makes a client: `createClient(keys, appKey, timeout)(serverPublicKey, [seed], cb)`.
 *
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
  ): Duplex<Uint8Array, Buffer> {
    const cb = typeof seedOrCb === 'function' ? seedOrCb : maybeCb
    const seed = typeof seedOrCb === 'function' ? null : seedOrCb
    if (!isBytes(serverPublicKey, 32)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'createClient *must* be passed a 32-byte server public key')
    }
    if (typeof cb !== 'function') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'a callback is required')
    const keyPair = seed ? generateKeyPair(seed) : defaultKeys
    if (!keyPair) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'keys are required unless a seed is given')

    const shake = new PullShake(ms, (err) => cb(err))
    let handshake: ClientHandshake
    try {
      handshake = new ClientHandshake({ appKey: app, keyPair, serverPublicKey })
    } catch (err) {
      // A key that is not a valid point: fail through the callback, as the reference does, after we return.
      process.nextTick(() => shake.run(() => { throw err }))
      return shake.duplex
    }
    shake.onCleanup(() => handshake.destroy())
    shake.awaiting(Phase.SERVER_HELLO, onHelloHangUp)
    shake.run(() => shake.write(handshake.createHello()))
    shake.read(SERVER_HELLO_BYTES, Phase.SERVER_HELLO, onHelloHangUp, (msg2) => {
      handshake.receiveHello(msg2)
      shake.awaiting(Phase.SERVER_ACCEPT, onAuthHangUp)
      shake.write(handshake.createAuth())
      shake.read(SERVER_ACCEPT_BYTES, Phase.SERVER_ACCEPT, onAuthHangUp, (msg4) => {
        const session = handshake.receiveAccept(msg4)
        const stream = secureStream<undefined>(session, undefined, shake.finish())
        return () => cb(null, stream)
      })
    })
    return shake.duplex
  } as PullConnect
}
