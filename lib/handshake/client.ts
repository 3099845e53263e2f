/**
 * The SHS1 client (initiator) as a sans-I/O state machine.
 *
 * ```
 * createHello()        -> msg1 (64)    hello            -> await-hello
 * receiveHello(msg2)                   await-hello      -> auth
 * createAuth()         -> msg3 (112)   auth             -> await-accept
 * receiveAccept(msg4)  -> SessionKeys  await-accept     -> done   (secrets wiped)
 * ```
 * Each step also exists as a generator (`…Steps`) that yields its public-key operations for the
 * handshake driver to answer (see `requests.ts`); the methods above run it synchronously.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { HandshakeBase, type HandshakeOptions } from './base.js'
import { CLIENT_AUTH_BYTES, SERVER_ACCEPT_BYTES, SERVER_HELLO_BYTES, Phase, ZERO_NONCE, NOTHING, concat } from './layout.js'
import { deriveSessionKeys, type SessionKeys } from './session.js'
import { remoteCurvePublic } from './curve-cache.js'
import { copyBytes, wipe } from '../crypto/policy.js'
import type { CurveSteps } from './requests.js'

/**
 * Client options: the common ones plus the server's identity, which SHS1 requires up front.
 * @example
 * ```ts
 * const options: ClientHandshakeOptions = { appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey }
 * const client = new ClientHandshake(options)
 * ```
 */
export interface ClientHandshakeOptions extends HandshakeOptions {
  /** The server's 32-byte long-term Ed25519 public key (who we are dialing). */
  serverPublicKey: Uint8Array
}

type ClientPhase = 'hello' | 'await-hello' | 'auth' | 'await-accept'

/**
 * The initiator's side of SHS1.
 * @example
 * ```ts
 * const client = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey })
 * send(client.createHello())                              // 64 bytes
 * client.receiveHello(await receive(64))
 * send(client.createAuth())                               // 112 bytes
 * const session = client.receiveAccept(await receive(80)) // keys and nonces for box-stream
 * ```
 */
export class ClientHandshake extends HandshakeBase<ClientPhase> {
  private readonly serverPublicKey: Uint8Array
  private readonly serverCurveKey: Uint8Array
  private hello: Uint8Array = NOTHING
  private serverHello: Uint8Array = NOTHING
  private ab: Uint8Array = NOTHING
  private abHash: Uint8Array = NOTHING
  private aB: Uint8Array = NOTHING
  private Ab: Uint8Array = NOTHING
  private auth: Uint8Array = NOTHING

  /**
   * @param options - app key, our key pair, the server's public key
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` when the server key is malformed, not on the
   *   curve or of low order (such a key could never complete a sound handshake)
   */
  constructor(options: ClientHandshakeOptions) {
    super(options, 'hello')
    const { serverPublicKey } = options
    if (!(serverPublicKey instanceof Uint8Array) || serverPublicKey.length !== 32) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'the server public key must be 32 bytes')
    }
    const curve = remoteCurvePublic(this.crypto, serverPublicKey)
    if (!curve) {
      this.destroy()
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'the server public key is not a valid Ed25519 key (not on the curve, or of low order)')
    }
    this.serverPublicKey = copyBytes(serverPublicKey)
    this.serverCurveKey = curve
  }

  /** How many bytes the next `receive…` call needs (0 when it is our turn to send, or we are finished). */
  get expectedLength(): number {
    if (this.current === 'await-hello') return SERVER_HELLO_BYTES
    if (this.current === 'await-accept') return SERVER_ACCEPT_BYTES
    return 0
  }

  /** Step 1: msg1 = hmac[K](ap) ‖ ap. */
  createHello(): Uint8Array {
    return this.run(this.createHelloSteps())
  }

  /** {@link createHello}, yielding its public-key operations. */
  * createHelloSteps(): CurveSteps<Uint8Array> {
    this.expect('createHello', 'hello')
    const ap = (yield { op: 'ephemeral-public' }) as Uint8Array
    this.hello = concat(this.crypto.auth(ap, this.appKey), ap)
    this.current = 'await-hello'
    return copyBytes(this.hello)
  }

  /**
   * Step 2: checks msg2 = hmac[K](bp) ‖ bp and computes the three shared secrets: ab, aB and Ab
   * (the last two are only used in steps 3 and 4, but everything they need is known now, so an
   * asynchronous backend computes all three at once).
   * @throws SecretChannelError `ERR_WRONG_APP_KEY` if the hmac is wrong, `ERR_PROTOCOL` for a bad length or a low-order bp
   */
  receiveHello(message: Uint8Array): void {
    this.run(this.receiveHelloSteps(message))
  }

  /** {@link receiveHello}, yielding its public-key operations. */
  * receiveHelloSteps(message: Uint8Array): CurveSteps<void> {
    this.expect('receiveHello', 'await-hello')
    this.expectLength(message, SERVER_HELLO_BYTES, Phase.SERVER_HELLO)
    const mac = message.subarray(0, 32)
    const bp = message.subarray(32, 64)
    if (!this.crypto.authVerify(mac, bp, this.appKey)) {
      throw this.fail(ErrorCodes.WRONG_APP_KEY, Phase.SERVER_HELLO, 'the server hello is not authenticated with our app key: the server is on another network')
    }
    const [ab, aB, Ab] = (yield { op: 'batch', requests: [
      { op: 'x25519', secret: 'ephemeral', peer: bp }, // ab
      { op: 'x25519', secret: 'ephemeral', peer: this.serverCurveKey }, // aB
      { op: 'x25519', secret: 'long-term', peer: bp } // Ab
    ] }) as Array<Uint8Array | null>
    // aB cannot be degenerate (the server key was checked up front); ab and Ab are for a low-order bp.
    if (!ab || !aB || !Ab) {
      wipe(ab, aB, Ab)
      throw this.fail(ErrorCodes.PROTOCOL, Phase.SERVER_HELLO, 'the server ephemeral key is a low-order point')
    }
    this.ab = this.keep(ab)
    this.aB = this.keep(aB)
    this.Ab = this.keep(Ab)
    this.abHash = this.keep(this.crypto.sha256(ab))
    this.serverHello = copyBytes(message)
    this.current = 'auth'
  }

  /** Step 3: msg3 = secretbox[sha256(K‖ab‖aB), 0]( sign_A(K‖Bp‖sha256(ab)) ‖ Ap ). */
  createAuth(): Uint8Array {
    return this.run(this.createAuthSteps())
  }

  /** {@link createAuth}, yielding its public-key operations. */
  * createAuthSteps(): CurveSteps<Uint8Array> {
    this.expect('createAuth', 'auth')
    const signature = (yield { op: 'sign', message: concat(this.appKey, this.serverPublicKey, this.abHash) }) as Uint8Array
    this.auth = concat(signature, this.keyPair.publicKey)
    const key3 = this.keep(this.crypto.sha256(this.keep(concat(this.appKey, this.ab, this.aB))))
    const message = new Uint8Array(CLIENT_AUTH_BYTES)
    message.set(this.auth, 16)
    this.crypto.secretboxSealDetached(message.subarray(16), message.subarray(0, 16), ZERO_NONCE, key3)
    this.current = 'await-accept'
    return message
  }

  /**
   * Step 4: opens msg4 with sha256(K‖ab‖aB‖Ab), checks sign_B(K‖sig_A‖Ap‖sha256(ab)) against the
   * server key we dialed, and derives the session keys. All ephemeral secrets are wiped.
   * @throws SecretChannelError `ERR_SERVER_KEY_MISMATCH` if either check fails, `ERR_PROTOCOL` for a bad length
   */
  receiveAccept(message: Uint8Array): SessionKeys {
    return this.run(this.receiveAcceptSteps(message))
  }

  /** {@link receiveAccept}, yielding its public-key operations. */
  * receiveAcceptSteps(message: Uint8Array): CurveSteps<SessionKeys> {
    this.expect('receiveAccept', 'await-accept')
    this.expectLength(message, SERVER_ACCEPT_BYTES, Phase.SERVER_ACCEPT)
    const key4 = this.keep(this.crypto.sha256(this.keep(concat(this.appKey, this.ab, this.aB, this.Ab))))
    const signature = this.keep(new Uint8Array(64))
    if (!this.crypto.secretboxOpenDetached(signature, message.subarray(16), message.subarray(0, 16), ZERO_NONCE, key4)) {
      throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, Phase.SERVER_ACCEPT, 'the server acceptance does not open: the server does not hold the key we dialed')
    }
    if ((yield { op: 'verify', signature, message: concat(this.appKey, this.auth, this.abHash), publicKey: this.serverPublicKey }) !== true) {
      throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, Phase.SERVER_ACCEPT, 'the server acceptance signature is invalid: the server is not who we dialed')
    }
    const keys = deriveSessionKeys(this.crypto, key4, this.keyPair.publicKey, this.serverPublicKey, this.hello, this.serverHello)
    this.finish()
    return keys
  }
}
