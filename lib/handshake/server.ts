/**
 * The SHS1 server (responder) as a sans-I/O state machine.
 *
 * ```
 * receiveHello(msg1)                       await-hello  -> hello
 * createHello()         -> msg2 (64)       hello        -> await-auth
 * receiveAuth(msg3)     -> client key Ap   await-auth   -> authorize   (decide here: accept or reject)
 * createAccept()        -> msg4 + keys     authorize    -> done        (secrets wiped)
 * reject()                                 authorize    -> failed      (nothing more is sent)
 * ```
 * Authorization happens after the client has proven its identity and before the server proves
 * its own, so a refused client learns nothing about the server.
 *
 * Each step also exists as a generator (`…Steps`) that yields its public-key operations for the
 * handshake driver to answer (see `requests.ts`); the methods above run it synchronously.
 * @module
 */
import { ErrorCodes } from '../errors.js'
import { HandshakeBase, type HandshakeOptions } from './base.js'
import { CLIENT_AUTH_BYTES, CLIENT_HELLO_BYTES, Phase, SERVER_ACCEPT_BYTES, ZERO_NONCE, NOTHING, concat } from './layout.js'
import { deriveSessionKeys, type SessionKeys } from './session.js'
import { remoteCurvePublic } from './curve-cache.js'
import { copyBytes, wipe } from '../crypto/policy.js'
import type { CurveRequest, CurveSteps } from './requests.js'

type ServerPhase = 'await-hello' | 'hello' | 'await-auth' | 'authorize'

/** The result of accepting a client: the message to send and the session keys. */
export interface ServerAccept {
  /** msg4, 80 bytes, to send to the client. */
  message: Uint8Array
  /** The session keys; `remotePublicKey` is the client's long-term key. */
  session: SessionKeys
}

/**
 * The responder's side of SHS1.
 * @example
 * ```ts
 * const server = new ServerHandshake({ appKey, keyPair: serverKeys })
 * server.receiveHello(await receive(64))
 * send(server.createHello())
 * const clientKey = server.receiveAuth(await receive(112))
 * if (!allowed(clientKey)) server.reject()
 * const { message, session } = server.createAccept()
 * send(message)
 * ```
 */
export class ServerHandshake extends HandshakeBase<ServerPhase> {
  private clientHello: Uint8Array = NOTHING
  private hello: Uint8Array = NOTHING
  private ab: Uint8Array = NOTHING
  private abHash: Uint8Array = NOTHING
  private aB: Uint8Array = NOTHING
  private auth: Uint8Array = NOTHING
  private clientPublicKey: Uint8Array = NOTHING
  private Ab: Uint8Array = NOTHING

  /** @param options - app key and our key pair */
  constructor(options: HandshakeOptions) {
    super(options, 'await-hello')
  }

  /** How many bytes the next `receive…` call needs (0 when it is our turn, or we are finished). */
  get expectedLength(): number {
    if (this.current === 'await-hello') return CLIENT_HELLO_BYTES
    if (this.current === 'await-auth') return CLIENT_AUTH_BYTES
    return 0
  }

  /**
   * Step 1: checks msg1 = hmac[K](ap) ‖ ap and computes ab and aB.
   * @throws SecretChannelError `ERR_WRONG_APP_KEY` if the hmac is wrong, `ERR_PROTOCOL` for a bad length or a low-order ap
   */
  receiveHello(message: Uint8Array): void {
    this.run(this.receiveHelloSteps(message))
  }

  /** {@link receiveHello}, yielding its public-key operations. */
  * receiveHelloSteps(message: Uint8Array): CurveSteps<void> {
    this.expect('receiveHello', 'await-hello')
    this.expectLength(message, CLIENT_HELLO_BYTES, Phase.CLIENT_HELLO)
    const mac = message.subarray(0, 32)
    const ap = message.subarray(32, 64)
    if (!this.crypto.authVerify(mac, ap, this.appKey)) {
      throw this.fail(ErrorCodes.WRONG_APP_KEY, Phase.CLIENT_HELLO, 'the client hello is not authenticated with our app key: the client is on another network')
    }
    // A low-order ap makes every DH result predictable; the JS reference crashes here, we refuse.
    const [ab, aB] = (yield { op: 'batch', requests: [
      { op: 'x25519', secret: 'ephemeral', peer: ap }, // ab
      { op: 'x25519', secret: 'long-term', peer: ap } // aB
    ] }) as Array<Uint8Array | null>
    if (!ab || !aB) {
      wipe(ab, aB)
      throw this.fail(ErrorCodes.PROTOCOL, Phase.CLIENT_HELLO, 'the client ephemeral key is a low-order point')
    }
    this.ab = this.keep(ab)
    this.aB = this.keep(aB)
    this.abHash = this.keep(this.crypto.sha256(ab))
    this.clientHello = copyBytes(message)
    this.current = 'hello'
  }

  /** Step 2: msg2 = hmac[K](bp) ‖ bp. */
  createHello(): Uint8Array {
    return this.run(this.createHelloSteps())
  }

  /** {@link createHello}, yielding its public-key operations. */
  * createHelloSteps(): CurveSteps<Uint8Array> {
    this.expect('createHello', 'hello')
    const bp = (yield { op: 'ephemeral-public' }) as Uint8Array
    this.hello = concat(this.crypto.auth(bp, this.appKey), bp)
    this.current = 'await-auth'
    return copyBytes(this.hello)
  }

  /**
   * Step 3: opens msg3 with sha256(K‖ab‖aB), checks the client's signature over K‖Bp‖sha256(ab)
   * and computes Ab for step 4.
   * Returns the client's long-term public key for the caller to authorize.
   * @throws SecretChannelError `ERR_SERVER_KEY_MISMATCH` if msg3 does not open (the client dialed
   *   another server key), `ERR_PROTOCOL` for a bad length, a bad signature or an invalid client key
   */
  receiveAuth(message: Uint8Array): Uint8Array {
    return this.run(this.receiveAuthSteps(message))
  }

  /** {@link receiveAuth}, yielding its public-key operations. */
  * receiveAuthSteps(message: Uint8Array): CurveSteps<Uint8Array> {
    this.expect('receiveAuth', 'await-auth')
    this.expectLength(message, CLIENT_AUTH_BYTES, Phase.CLIENT_AUTH)
    const key3 = this.keep(this.crypto.sha256(this.keep(concat(this.appKey, this.ab, this.aB))))
    const auth = new Uint8Array(96)
    if (!this.crypto.secretboxOpenDetached(auth, message.subarray(16), message.subarray(0, 16), ZERO_NONCE, key3)) {
      throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, Phase.CLIENT_AUTH, 'the client authentication does not open: the client dialed a different server key (wrong number)')
    }
    const signature = auth.subarray(0, 64)
    const clientPublicKey = auth.subarray(64, 96)
    // Ab = X25519(b, A) needs nothing but the client's key: asked for together with the signature
    // check, so an asynchronous backend does both at once (createAccept uses it).
    const curve = remoteCurvePublic(this.crypto, clientPublicKey)
    const requests: CurveRequest[] = [{ op: 'verify', signature, message: concat(this.appKey, this.keyPair.publicKey, this.abHash), publicKey: clientPublicKey }]
    if (curve) requests.push({ op: 'x25519', secret: 'ephemeral', peer: curve })
    const [valid, Ab] = (yield { op: 'batch', requests }) as [boolean, (Uint8Array | null)?]
    if (Ab) this.Ab = this.keep(Ab)
    if (valid !== true) {
      throw this.fail(ErrorCodes.PROTOCOL, Phase.CLIENT_AUTH, 'the client signature is invalid (or the client key is of low order)')
    }
    // A valid key is in the prime-order subgroup, so Ab is never degenerate for it.
    if (!curve || !Ab) throw this.fail(ErrorCodes.PROTOCOL, Phase.CLIENT_AUTH, 'the client public key is not a valid Ed25519 key')
    this.auth = auth
    this.clientPublicKey = copyBytes(clientPublicKey)
    this.current = 'authorize'
    return copyBytes(this.clientPublicKey)
  }

  /**
   * Step 4: accepts the client. msg4 = secretbox[sha256(K‖ab‖aB‖Ab), 0]( sign_B(K‖sig_A‖Ap‖sha256(ab)) ).
   * Derives the session keys and wipes every ephemeral secret.
   */
  createAccept(): ServerAccept {
    return this.run(this.createAcceptSteps())
  }

  /** {@link createAccept}, yielding its public-key operations. */
  * createAcceptSteps(): CurveSteps<ServerAccept> {
    this.expect('createAccept', 'authorize')
    const key4 = this.keep(this.crypto.sha256(this.keep(concat(this.appKey, this.ab, this.aB, this.Ab))))
    const message = new Uint8Array(SERVER_ACCEPT_BYTES)
    message.set((yield { op: 'sign', message: concat(this.appKey, this.auth, this.abHash) }) as Uint8Array, 16)
    this.crypto.secretboxSealDetached(message.subarray(16), message.subarray(0, 16), ZERO_NONCE, key4)
    const session = deriveSessionKeys(this.crypto, key4, this.keyPair.publicKey, this.clientPublicKey, this.hello, this.clientHello)
    this.finish()
    return { message, session }
  }

  /** Refuses the client after {@link receiveAuth}: wipes everything; the caller hangs up without sending more. */
  reject(): void {
    this.expect('reject', 'authorize')
    this.destroy()
  }
}
