/**
 * The server's side of enrollment (seed 000) as a sans-I/O state machine.
 *
 * ```
 * receive(CLIENT_HELLO)  -> [SERVER_HELLO, CHALLENGE]               await-hello    -> await-response
 * receive(CLIENT_HELLO)  -> [SERVER_HELLO, CHALLENGE] (retry)        await-response -> await-response
 * receive(RESPONSE)      -> event key-needed                        await-response -> issue
 * issue(key material)    -> [ISSUED_KEY] + event issued             issue          -> done  (secrets wiped)
 * receive(ABORT)         -> throws                                  any            -> failed
 * refused (code spent, code required / not expected) -> throws, farewell = REFUSED  -> failed
 * ```
 * Key generation happens between `receive(RESPONSE)` and `issue()`, in the adapter, so an RSA key
 * (tens to hundreds of milliseconds) is made off the event loop (`generateIssuedKey`). On the
 * `issued` event the adapter must record the device (store) BEFORE sending ISSUED_KEY, so a device
 * never holds a key its server does not know.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes } from '../../errors.js'
import { assertKeyPair, type KeyPair } from '../../keys.js'
import { EnrollmentCode } from './code.js'
import type { IssuedKeyMaterial, RsaOptions } from './issue.js'
import {
  ABORT_BYTES, AbortReason, CHALLENGE_BYTES, CLIENT_HELLO_BYTES, FLAG_CODE, KeyTypeTag, MessageType, PROTOCOL_VERSION, Phase,
  RESPONSE_BYTES, RefusalReason, SIGNATURE_LABEL, concat, type IssuedKeyType, type RefusalReasonCode
} from './layout.js'
import type { Step } from '../../machine.js'
import { EnrollmentMachine } from './machine.js'
import { checkAttempts } from './options.js'
import {
  codeHash, decodePoint, deriveExchangeKeys, digest, generateEphemeral, generatorFor, seal, sharedSecret, transcriptHash,
  type ExchangeKeys
} from './primitives.js'

/**
 * Options of {@link EnrollmentServer}.
 * @example
 * ```ts
 * const options: EnrollmentServerOptions = { keyPair: serverKeys, code: EnrollmentCode.generate(), keyType: 'ed25519' }
 * const server = new EnrollmentServer(options)
 * ```
 */
export interface EnrollmentServerOptions {
  /**
   * The server's long-term Ed25519 key pair (normally the one its secret-handshake server uses).
   * When given, every SERVER_HELLO carries a signature with it, so devices that know the public key
   * detect a substituted server.
   */
  keyPair?: KeyPair
  /**
   * The one-time enrollment code devices must present. Pass one {@link EnrollmentCode} to several
   * connections so its one-time use and guess limit hold across them; a string makes a fresh one.
   * Without a code anyone who connects is enrolled (the design document's protocol).
   */
  code?: EnrollmentCode | string | Uint8Array
  /** The kind of key to issue: `"ed25519"` (default) or `"rsa"`. */
  keyType?: IssuedKeyType
  /** RSA options when `keyType` is `"rsa"`. */
  rsa?: RsaOptions
  /** How many key exchanges a device may try on one connection (default 3, at most 255). */
  maxAttempts?: number
  /** The crypto backend (randomness, Ed25519); the process-wide one when left out. */
  crypto?: CryptoBackend
}

/**
 * The device the server just enrolled, to record before sending its key.
 * @example
 * ```ts
 * const issued = step.events.find((e) => e.type === 'issued')
 * if (issued) console.log(issued.device.id, issued.device.codeUsed ? 'with the code' : 'without a code')
 * ```
 */
export interface IssuedDevice {
  /** `@…=.ed25519` for Ed25519 keys, `rsa:sha256:<hex>` for RSA keys. */
  id: string
  /** The kind of key issued. */
  type: IssuedKeyType
  /** The public key: 32 bytes (Ed25519) or SPKI DER (RSA). */
  publicKey: Uint8Array
  /** Key exchanges it took. */
  attempts: number
  /** Whether the device proved knowledge of the enrollment code. */
  codeUsed: boolean
}

/**
 * What the server machine reports to its adapter.
 * @example
 * ```ts
 * for (const e of step.events) if (e.type === 'issued') await store.add(toEnrolledDevice(e.device))
 * ```
 */
export type ServerEvent =
  /** The device answered the challenge: make a key of this type and pass it to {@link EnrollmentServer.issue}. */
  | { type: 'key-needed', keyType: IssuedKeyType, rsa: RsaOptions }
  /** The device to record (before sending the step's ISSUED_KEY). */
  | { type: 'issued', device: IssuedDevice }

/**
 * What the adapter does after a server step: record an `issued` device first, then send.
 * @example
 * ```ts
 * const step: ServerStep = server.receive(message)
 * for (const m of step.send) socket.write(encodeFrame(m))
 * ```
 */
export type ServerStep = Step<ServerEvent>

type ServerState = 'await-hello' | 'await-response' | 'issue'

/**
 * The server side of enrollment.
 * @example
 * ```ts
 * const server = new EnrollmentServer({ keyPair: serverKeys, code: EnrollmentCode.generate() })
 * let step = server.receive(await nextMessage())   // step.send: what to send back
 * const need = step.events.find((e) => e.type === 'key-needed')
 * if (need) step = server.issue(await generateIssuedKey(need.keyType, need.rsa)) // events: { type: 'issued', device }
 * ```
 */
export class EnrollmentServer extends EnrollmentMachine<ServerState> {
  private readonly crypto: CryptoBackend
  private readonly keyPair: KeyPair | null
  private readonly code: EnrollmentCode | null
  private readonly keyType: IssuedKeyType
  private readonly rsa: RsaOptions
  private readonly maxAttempts: number
  private attempt = 0
  private keys: ExchangeKeys | null = null
  private expectedDigest: Uint8Array | null = null

  /** @param options - long-term key, code, key type, attempts */
  constructor(options: EnrollmentServerOptions = {}) {
    super('await-hello')
    this.crypto = options.crypto ?? getCryptoBackend()
    this.keyPair = options.keyPair ? assertKeyPair(options.keyPair, 'keyPair') : null
    const code = options.code
    this.code = code === undefined ? null : code instanceof EnrollmentCode ? code : new EnrollmentCode(code)
    this.keyType = options.keyType ?? 'ed25519'
    if (!(this.keyType in KeyTypeTag)) throw this.fail(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, `keyType must be "ed25519" or "rsa"`)
    this.rsa = { ...options.rsa }
    this.maxAttempts = checkAttempts(options.maxAttempts)
  }

  /** The attempt in progress (0 before the first hello). */
  get attempts(): number {
    return this.attempt
  }

  /**
   * Feeds one received message.
   * @throws SecretChannelError `ERR_PROTOCOL` (malformed, unexpected, replayed message, too many
   *   attempts), `ERR_INVALID_TOKEN` (wrong challenge response; code missing, wrong, used or burnt),
   *   `ERR_SERVER_KEY_MISMATCH` (the device says we are not the server it expected)
   */
  receive(message: Uint8Array): ServerStep {
    this.expect('receive', 'await-hello', 'await-response')
    return this.guard(() => {
      const type = this.messageType(message)
      if (type === MessageType.CLIENT_HELLO) return this.onHello(message)
      if (type === MessageType.RESPONSE && this.current === 'await-response') return this.onResponse(message)
      if (type === MessageType.ABORT) throw this.onAbort(message)
      throw this.unexpected(type)
    })
  }

  private onHello(message: Uint8Array): ServerStep {
    const phase = Phase.CLIENT_HELLO
    this.expectLength(message, CLIENT_HELLO_BYTES, phase)
    if (message[1] !== PROTOCOL_VERSION) throw this.fail(ErrorCodes.PROTOCOL, phase, `unsupported protocol version ${message[1]}`)
    const attempt = message[2]!
    if (attempt !== this.attempt + 1) {
      throw this.fail(ErrorCodes.PROTOCOL, phase, attempt <= this.attempt
        ? `attempt ${attempt} was already made (replayed hello)`
        : `attempt ${attempt} skips attempt ${this.attempt + 1}`)
    }
    if (attempt > this.maxAttempts) throw this.fail(ErrorCodes.PROTOCOL, phase, `more than ${this.maxAttempts} attempts`)
    const flags = message[3]!
    if ((flags & ~FLAG_CODE) !== 0) throw this.fail(ErrorCodes.PROTOCOL, phase, `unknown flags 0x${flags.toString(16)}`)
    const wantsCode = (flags & FLAG_CODE) !== 0
    if (this.code && !wantsCode) throw this.refuse(RefusalReason.CODE_REQUIRED, this.fail(ErrorCodes.INVALID_TOKEN, phase, 'this server requires an enrollment code and the device did not use one'))
    if (!this.code && wantsCode) throw this.refuse(RefusalReason.NO_CODE, this.fail(ErrorCodes.INVALID_TOKEN, phase, 'the device uses an enrollment code but this server has none'))
    const clientEphemeral = decodePoint(message.subarray(4), phase)

    this.dropExchange()
    let codeBytes: Uint8Array | null = null
    if (this.code) {
      try {
        codeBytes = this.keep(this.code.takeGuess())
      } catch (err) {
        this.destroy()
        throw this.refuse(this.code.spent === 'used' ? RefusalReason.CODE_USED : RefusalReason.CODE_BURNT, err as Error)
      }
    }
    this.attempt = attempt
    const ephemeral = generateEphemeral(this.crypto, generatorFor(codeBytes))
    let hello = concat(Uint8Array.of(MessageType.SERVER_HELLO, attempt), ephemeral.publicKey, Uint8Array.of(this.keyPair ? 1 : 0))
    if (this.keyPair) {
      // The signature covers both ephemeral keys, the attempt and our key: a device that knows our
      // key knows nobody replaced our ephemeral key, so nobody else can read the challenge or key.
      const signed = concat(hello, this.keyPair.publicKey)
      const signature = this.crypto.sign(concat(new TextEncoder().encode(SIGNATURE_LABEL), transcriptHash(this.crypto, message, signed)), this.keyPair.secretKey)
      hello = concat(signed, signature)
    }
    const ecdh = this.keep(sharedSecret(ephemeral.scalar, clientEphemeral))
    const keys = deriveExchangeKeys(this.crypto, ecdh, codeBytes ? this.keep(codeHash(this.crypto, codeBytes)) : null, transcriptHash(this.crypto, message, hello))
    this.keys = { challengeKey: this.keep(keys.challengeKey), issueKey: this.keep(keys.issueKey) }
    const random = this.keep(this.crypto.randomBytes(CHALLENGE_BYTES))
    this.expectedDigest = this.keep(digest(this.crypto, random))
    const header = Uint8Array.of(MessageType.CHALLENGE, attempt)
    const challenge = concat(header, seal(this.keys.challengeKey, random, header))
    random.fill(0)
    this.current = 'await-response'
    return { send: [hello, challenge], events: [] }
  }

  private onResponse(message: Uint8Array): ServerStep {
    const phase = Phase.RESPONSE
    this.expectLength(message, RESPONSE_BYTES, phase)
    if (message[1] !== this.attempt) throw this.fail(ErrorCodes.PROTOCOL, phase, `response to attempt ${message[1]} during attempt ${this.attempt} (replayed)`)
    // The document: compare the digests; on a mismatch close the connection.
    if (!constantTimeEqual(message.subarray(2), this.expectedDigest!)) {
      throw this.fail(ErrorCodes.INVALID_TOKEN, phase, 'the challenge response is wrong')
    }
    if (this.code) {
      // Only the use count is checked: the guess was counted when this challenge went out, so a
      // correct answer to the last allowed guess succeeds. Another device may have taken the last
      // use meanwhile: then this one hears why.
      try {
        this.code.redeem()
      } catch (err) {
        this.destroy()
        throw this.refuse(RefusalReason.CODE_USED, err as Error)
      }
    }
    this.current = 'issue'
    return { send: [], events: [{ type: 'key-needed', keyType: this.keyType, rsa: { ...this.rsa } }] }
  }

  /**
   * Seals the key the adapter made after the `key-needed` event (see `generateIssuedKey`), and
   * returns ISSUED_KEY with the `issued` event. The private key bytes are wiped.
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for material of another key type
   */
  issue(material: IssuedKeyMaterial): ServerStep {
    this.expect('issue', 'issue')
    return this.guard(() => {
      this.keep(material.privateKey)
      if (material.type !== this.keyType) {
        throw this.fail(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, `a ${material.type} key was made, but this server issues ${this.keyType} keys`)
      }
      const header = Uint8Array.of(MessageType.ISSUED_KEY, KeyTypeTag[this.keyType])
      const issuedMessage = concat(header, seal(this.keys!.issueKey, material.privateKey, header))
      const device: IssuedDevice = {
        id: material.id,
        type: material.type,
        publicKey: material.publicKey,
        attempts: this.attempt,
        codeUsed: this.code !== null
      }
      this.finish()
      return { send: [issuedMessage], events: [{ type: 'issued', device }] }
    })
  }

  /** Leaves a REFUSED message for the adapter to send before it hangs up; returns `err`. */
  private refuse(reason: RefusalReasonCode, err: Error): Error {
    this.farewell = Uint8Array.of(MessageType.REFUSED, reason)
    return err
  }

  private onAbort(message: Uint8Array): Error {
    const phase = Phase.ABORT
    this.expectLength(message, ABORT_BYTES, phase)
    if (message[1] === AbortReason.CHALLENGE_FAILED) {
      return this.code
        ? this.fail(ErrorCodes.INVALID_TOKEN, phase, 'the device could not open the challenge: wrong enrollment code, or someone in the middle')
        : this.fail(ErrorCodes.PROTOCOL, phase, 'the device could not open the challenge: the messages were corrupted or tampered with')
    }
    if (message[1] === AbortReason.SERVER_KEY_MISMATCH) {
      return this.fail(ErrorCodes.SERVER_KEY_MISMATCH, phase, 'the device expected another server key: someone may be in the middle, or the device was set up for another server')
    }
    return this.fail(ErrorCodes.PROTOCOL, phase, `unknown abort reason ${message[1]}`)
  }

  /** Before a new attempt: wipe the previous exchange's keys and digest. */
  private dropExchange(): void {
    if (this.keys) {
      this.keys.challengeKey.fill(0)
      this.keys.issueKey.fill(0)
    }
    this.expectedDigest?.fill(0)
    this.keys = null
    this.expectedDigest = null
  }
}
