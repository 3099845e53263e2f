/**
 * State and rules shared by the client and server handshake state machines.
 *
 * Both machines are sans-I/O: they take and return byte arrays and never touch a stream or a
 * timer. They build on the protocol kernel (`lib/machine.ts`): each step checks the phase first (a
 * call out of turn is an `ERR_INVALID_STATE` error), and any failure poisons the machine and wipes
 * every secret it holds.
 *
 * Each step is written once, as a generator that yields its public-key operations as data
 * (`requests.ts`); the synchronous step methods run it with {@link HandshakeBase.answer}
 * answering inline, and the handshake driver can answer asynchronously instead.
 * @module
 */
import type { CryptoBackend } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { copyBytes } from '../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { assertKeyPair, type KeyPair } from '../keys.js'
import { Machine } from '../machine.js'
import { APP_KEY_BYTES, Phase } from './layout.js'
import { localCurveSecret } from './curve-cache.js'
import type { CurveAnswer, CurveRequest, CurveSteps } from './requests.js'

/**
 * Options common to both sides of the handshake.
 * @example
 * ```ts
 * const options: HandshakeOptions = { appKey: SSB_MAIN_NETWORK_APP_KEY, keyPair: generateKeyPair() }
 * const server = new ServerHandshake(options)
 * ```
 */
export interface HandshakeOptions {
  /** 32-byte app key (network identifier, `caps.shs`). */
  appKey: Uint8Array
  /** Our long-term Ed25519 key pair. */
  keyPair: KeyPair
  /**
   * A fixed 32-byte X25519 ephemeral secret. For test vectors only: a real connection must use a
   * fresh random one, which is what happens when this is left out.
   */
  ephemeralSecretKey?: Uint8Array
  /** The crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
}

/**
 * Base class of {@link ClientHandshake} and {@link ServerHandshake}: the shared options and
 * ephemeral key on top of the fail-closed kernel (`lib/machine.ts`), which supplies `phase`, the
 * phase check, `keep()`, poisoning, wiping, `destroy()` and `secretBuffersForTesting()`.
 */
export abstract class HandshakeBase<P extends string> extends Machine<P> {
  protected readonly crypto: CryptoBackend
  protected readonly appKey: Uint8Array
  protected readonly keyPair: KeyPair
  /**
   * Our ephemeral X25519 secret (a in the paper's notation for the client, b for the server):
   * drawn when first needed, so a handshake whose curve works elsewhere (an asynchronous backend,
   * which makes its own ephemeral key) never draws or holds one.
   */
  private ephemeralSecret: Uint8Array | null
  /** Our ephemeral X25519 public key, computed when first asked for (an asynchronous answerer never asks). */
  private ephemeralPublic: Uint8Array | null = null

  protected constructor(options: HandshakeOptions, initial: P) {
    super(initial, Phase.HANDSHAKE)
    if (!options || typeof options !== 'object') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'options are required')
    }
    const { appKey, keyPair, ephemeralSecretKey, crypto } = options
    if (!(appKey instanceof Uint8Array) || appKey.length !== APP_KEY_BYTES) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'appKey must be 32 bytes')
    }
    this.keyPair = assertKeyPair(keyPair)
    this.crypto = crypto ?? getCryptoBackend()
    this.appKey = copyBytes(appKey)
    if (ephemeralSecretKey !== undefined && (!(ephemeralSecretKey instanceof Uint8Array) || ephemeralSecretKey.length !== 32)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'ephemeralSecretKey must be 32 bytes')
    }
    this.ephemeralSecret = ephemeralSecretKey ? this.keep(copyBytes(ephemeralSecretKey)) : null
  }

  /** {@link ephemeralSecret}, drawn (and kept for wiping) on first use. */
  private ownEphemeralSecret(): Uint8Array {
    return (this.ephemeralSecret ??= this.keep(this.crypto.randomBytes(32)))
  }

  /**
   * Answers one of this machine's {@link CurveRequest}s with the synchronous backend and the
   * secrets the machine holds. The step methods use it; so does the driver without an
   * asynchronous backend.
   */
  answer(request: CurveRequest): CurveAnswer {
    const crypto = this.crypto
    switch (request.op) {
      case 'ephemeral-public':
        return (this.ephemeralPublic ??= crypto.scalarMultBase(this.ownEphemeralSecret()))
      case 'x25519':
        // Our key's curve form is derived once per key pair (curve-cache.ts), not per connection.
        return crypto.scalarMult(request.secret === 'ephemeral' ? this.ownEphemeralSecret() : localCurveSecret(crypto, this.keyPair.secretKey), request.peer)
      case 'sign':
        return crypto.sign(request.message, this.keyPair.secretKey)
      case 'verify':
        return crypto.verify(request.signature, request.message, request.publicKey)
      case 'batch':
        return request.requests.map((each) => this.answer(each))
    }
  }

  /** Runs a step to its end, answering its requests inline. */
  protected run<R>(steps: CurveSteps<R>): R {
    let next = steps.next()
    while (!next.done) next = steps.next(this.answer(next.value))
    return next.value
  }
}
