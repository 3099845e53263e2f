/**
 * State and rules shared by the client and server handshake state machines.
 *
 * Both machines are sans-I/O: they take and return byte arrays and never touch a stream or a
 * timer. Each step checks the phase first (a call out of turn is an `ERR_INVALID_STATE` error),
 * and any failure poisons the machine and wipes every secret it holds.
 * @module
 */
import type { CryptoBackend } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { wipe } from '../crypto/policy.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from '../errors.js'
import { assertKeyPair, type KeyPair } from '../keys.js'
import { APP_KEY_BYTES, Phase } from './layout.js'
import { copyBytes } from '../crypto/policy.js'

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

/** Base class of {@link ClientHandshake} and {@link ServerHandshake}. */
export abstract class HandshakeBase<P extends string> {
  /** The current step; `"done"` after success, `"failed"` after any error. */
  get phase(): P | 'done' | 'failed' {
    return this.state
  }

  protected state: P | 'done' | 'failed'
  protected readonly crypto: CryptoBackend
  protected readonly appKey: Uint8Array
  protected readonly keyPair: KeyPair
  /** Our ephemeral X25519 secret (a in the paper's notation for the client, b for the server). */
  protected ephemeralSecret: Uint8Array
  /** Our ephemeral X25519 public key. */
  protected readonly ephemeralPublic: Uint8Array
  /** Every secret intermediate this machine created; wiped together. */
  private readonly secrets: Uint8Array[] = []

  protected constructor(options: HandshakeOptions, initial: P) {
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
    this.ephemeralSecret = this.keep(ephemeralSecretKey ? copyBytes(ephemeralSecretKey) : this.crypto.randomBytes(32))
    this.ephemeralPublic = this.crypto.scalarMultBase(this.ephemeralSecret)
    this.state = initial
  }

  /** Registers a secret so {@link destroy} and completion wipe it; returns it for chaining. */
  protected keep<T extends Uint8Array>(secret: T): T {
    this.secrets.push(secret)
    return secret
  }

  /** Throws `ERR_INVALID_STATE` (and poisons the machine) unless we are in `expected`. */
  protected expect(expected: P, step: string): void {
    if (this.state !== expected) {
      const was = this.state
      this.destroy()
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, Phase.HANDSHAKE, `${step} called out of turn (state was "${was}")`)
    }
  }

  /** Checks an incoming message's length. */
  protected expectLength(message: Uint8Array, length: number, phase: string): void {
    if (!(message instanceof Uint8Array) || message.length !== length) {
      const got = message instanceof Uint8Array ? `${message.length} bytes` : typeof message
      throw this.fail(ErrorCodes.PROTOCOL, phase, `expected exactly ${length} bytes, got ${got}`)
    }
  }

  /** Poisons the machine, wipes its secrets and returns the error to throw. */
  protected fail(code: ErrorCode, phase: string, detail: string): SecretChannelError {
    this.destroy()
    return new SecretChannelError(code, phase, detail)
  }

  /** Marks success and wipes every ephemeral secret and intermediate. */
  protected finish(): void {
    this.state = 'done'
    this.wipeSecrets()
  }

  private wipeSecrets(): void {
    wipe(...this.secrets)
  }

  /**
   * Abandons the handshake: wipes every secret and makes further calls fail. Safe to call twice.
   * Adapters call this on timeout, abort or transport failure.
   */
  destroy(): void {
    if (this.state !== 'done') this.state = 'failed'
    this.wipeSecrets()
  }

  /**
   * The secret buffers this machine created, for tests that prove they are zeroed.
   * @internal
   */
  secretBuffersForTesting(): readonly Uint8Array[] {
    return this.secrets
  }
}
