/**
 * The device's side of enrollment (seed 000) as a sans-I/O state machine.
 *
 * ```
 * start()                 -> [CLIENT_HELLO]              start              -> await-server-hello
 * receive(SERVER_HELLO)   -> []                          await-server-hello -> await-challenge
 * receive(CHALLENGE)      -> [RESPONSE]                  await-challenge    -> await-key
 *                         -> [CLIENT_HELLO] (retry, the challenge did not open)  -> await-server-hello
 * receive(ISSUED_KEY)     -> [] + event enrolled         await-key          -> done   (secrets wiped)
 * receive(REFUSED)        -> throws the server's reason  any                -> failed
 * ```
 * When the last allowed attempt fails, or the server is not the one we expected, the machine throws
 * and leaves an ABORT in {@link EnrollmentClient.farewell} for the adapter to send before hanging up.
 * A REFUSED (code used up or burnt, code required or not expected) is unauthenticated: it says why
 * the server hung up, and proves nothing (anyone in the middle could forge it, or just cut the line).
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes } from '../../errors.js'
import { normalizeCode } from './code.js'
import { parseReceivedKey, type ReceivedKey } from './issue.js'
import {
  AbortReason, CHALLENGE_MESSAGE_BYTES, FLAG_CODE, KeyTypeTag, MessageType, PROTOCOL_VERSION, Phase,
  POINT_BYTES, SERVER_HELLO_BYTES, SERVER_HELLO_SIGNED_BYTES, SERVER_HELLO_SIGNED_PREFIX, SERVER_KEY_BYTES,
  SIGNATURE_LABEL, TAG_BYTES, concat, type IssuedKeyType
} from './layout.js'
import type { Step } from '../../machine.js'
import { EnrollmentMachine, parseRefusal } from './machine.js'
import {
  codeHash, decodePoint, deriveExchangeKeys, digest, generateEphemeral, generatorFor, open, sharedSecret, transcriptHash,
  type EphemeralKey, type ExchangeKeys
} from './primitives.js'
import { checkAttempts } from './options.js'

/**
 * Options of {@link EnrollmentClient}.
 * @example
 * ```ts
 * const options: EnrollmentClientOptions = { code: '482-913-075', serverPublicKey, acceptKeyTypes: ['ed25519'] }
 * const client = new EnrollmentClient(options)
 * ```
 */
export interface EnrollmentClientOptions {
  /** The one-time enrollment code the operator gave out; mixed into the key agreement. */
  code?: string | Uint8Array
  /**
   * The server's long-term Ed25519 public key (32 bytes), when the device already knows it: the
   * server must then sign the exchange with it, or enrollment fails with `ERR_SERVER_KEY_MISMATCH`.
   */
  serverPublicKey?: Uint8Array
  /** How many key exchanges to try before giving up (default 3, at most 255). */
  maxAttempts?: number
  /** Key types the device accepts (default both). */
  acceptKeyTypes?: readonly IssuedKeyType[]
  /** The crypto backend (Ed25519 checks); the process-wide one when left out. */
  crypto?: CryptoBackend
}

/**
 * What a device gets out of a successful enrollment.
 * @example
 * ```ts
 * const result: EnrollmentResult = await enroll(net.connect(7001, 'server.example'), { code, serverPublicKey })
 * console.log(result.key.id, result.authenticatedBy) // e.g. ['code', 'server-key']
 * ```
 */
export interface EnrollmentResult {
  /** The issued key, checked. Ed25519: a key pair ready for {@link toIdentityFile}. */
  key: ReceivedKey
  /** The server's long-term Ed25519 key if it signed the exchange, else null. */
  serverPublicKey: Uint8Array | null
  /**
   * How the server was authenticated: `"code"` (the enrollment code), `"server-key"` (its
   * signature matched the key we knew). Empty means unauthenticated: see the threat model.
   */
  authenticatedBy: Array<'code' | 'server-key'>
  /** How many key exchanges it took (1 unless a challenge failed to open). */
  attempts: number
}

/**
 * What the device machine reports to its adapter.
 * @example
 * ```ts
 * const done = step.events.find((e) => e.type === 'enrolled')
 * if (done) await saveReceivedKey('identity.json', done.result.key)
 * ```
 */
export type ClientEvent =
  /** Enrollment is complete: the checked key, to save. */
  | { type: 'enrolled', result: EnrollmentResult }

/**
 * What the adapter does after a client step.
 * @example
 * ```ts
 * const step: ClientStep = client.receive(message)
 * for (const m of step.send) socket.write(encodeFrame(m))
 * ```
 */
export type ClientStep = Step<ClientEvent>

type ClientState = 'start' | 'await-server-hello' | 'await-challenge' | 'await-key'

/**
 * The device side of enrollment.
 * @example
 * ```ts
 * const client = new EnrollmentClient({ code: '482-913-075', serverPublicKey })
 * for (const m of client.start().send) send(m)
 * const step = client.receive(await nextMessage()) // step.send: what to send next; step.events: { type: 'enrolled', result }
 * ```
 */
export class EnrollmentClient extends EnrollmentMachine<ClientState> {
  private readonly crypto: CryptoBackend
  private readonly code: Uint8Array | null
  private readonly codeHash: Uint8Array | null
  private readonly knownServerKey: Uint8Array | null
  private readonly maxAttempts: number
  private readonly acceptKeyTypes: readonly IssuedKeyType[]
  private readonly generator: ReturnType<typeof generatorFor>
  private attempt = 0
  private ephemeral: EphemeralKey | null = null
  private hello: Uint8Array = new Uint8Array(0)
  private keys: ExchangeKeys | null = null
  private serverKey: Uint8Array | null = null

  /** @param options - code, known server key, attempts, accepted key types */
  constructor(options: EnrollmentClientOptions = {}) {
    super('start')
    this.crypto = options.crypto ?? getCryptoBackend()
    this.code = options.code === undefined ? null : this.keep(normalizeCode(options.code))
    this.codeHash = this.code ? this.keep(codeHash(this.crypto, this.code)) : null
    if (options.serverPublicKey !== undefined && (!(options.serverPublicKey instanceof Uint8Array) || options.serverPublicKey.length !== SERVER_KEY_BYTES)) {
      throw this.fail(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'serverPublicKey must be a 32-byte Ed25519 key')
    }
    this.knownServerKey = options.serverPublicKey ? new Uint8Array(options.serverPublicKey) : null
    this.maxAttempts = checkAttempts(options.maxAttempts)
    this.acceptKeyTypes = options.acceptKeyTypes ?? ['ed25519', 'rsa']
    this.generator = generatorFor(this.code)
  }

  /** The attempt in progress (1-based; 0 before {@link start}). */
  get attempts(): number {
    return this.attempt
  }

  /** Begins the first key exchange: sends CLIENT_HELLO. */
  start(): ClientStep {
    this.expect('start', 'start')
    return this.guard(() => ({ send: [this.newHello()], events: [] }))
  }

  /**
   * Feeds one received message.
   * @throws SecretChannelError `ERR_PROTOCOL` (malformed, unexpected or tampered message),
   *   `ERR_SERVER_KEY_MISMATCH` (not the server we know), `ERR_INVALID_TOKEN` (with a code: no challenge
   *   opened in `maxAttempts` exchanges, so the code is wrong or someone is in the middle)
   */
  receive(message: Uint8Array): ClientStep {
    this.expect('receive', 'await-server-hello', 'await-challenge', 'await-key')
    return this.guard(() => {
      const type = this.messageType(message)
      if (type === MessageType.REFUSED) {
        const refusal = parseRefusal(message)
        this.destroy()
        throw refusal
      }
      if (type === MessageType.SERVER_HELLO && this.current === 'await-server-hello') return this.onServerHello(message)
      if (type === MessageType.CHALLENGE && this.current === 'await-challenge') return this.onChallenge(message)
      if (type === MessageType.ISSUED_KEY && this.current === 'await-key') return this.onIssuedKey(message)
      throw this.unexpected(type)
    })
  }

  private newHello(): Uint8Array {
    this.attempt++
    this.ephemeral = generateEphemeral(this.crypto, this.generator)
    this.hello = concat(
      Uint8Array.of(MessageType.CLIENT_HELLO, PROTOCOL_VERSION, this.attempt, this.code ? FLAG_CODE : 0),
      this.ephemeral.publicKey
    )
    this.current = 'await-server-hello'
    return this.hello.slice()
  }

  private onServerHello(message: Uint8Array): ClientStep {
    const phase = Phase.SERVER_HELLO
    if (message.length !== SERVER_HELLO_BYTES && message.length !== SERVER_HELLO_SIGNED_BYTES) {
      throw this.fail(ErrorCodes.PROTOCOL, phase, `expected ${SERVER_HELLO_BYTES} or ${SERVER_HELLO_SIGNED_BYTES} bytes, got ${message.length}`)
    }
    if (message[1] !== this.attempt) throw this.fail(ErrorCodes.PROTOCOL, phase, `attempt ${message[1]} answers attempt ${this.attempt} (replayed or reordered)`)
    const signed = message[2 + POINT_BYTES]
    if (signed !== (message.length === SERVER_HELLO_SIGNED_BYTES ? 1 : 0)) throw this.fail(ErrorCodes.PROTOCOL, phase, 'the signature flag does not match the length')
    const serverEphemeral = decodePoint(message.subarray(2, 2 + POINT_BYTES), phase)

    if (signed === 1) {
      const serverKey = message.subarray(SERVER_HELLO_BYTES, SERVER_HELLO_SIGNED_PREFIX)
      const signature = message.subarray(SERVER_HELLO_SIGNED_PREFIX)
      const signedHash = transcriptHash(this.crypto, this.hello, message.subarray(0, SERVER_HELLO_SIGNED_PREFIX))
      const valid = this.crypto.verify(signature, concat(new TextEncoder().encode(SIGNATURE_LABEL), signedHash), serverKey)
      if (this.knownServerKey && !(constantTimeEqual(serverKey, this.knownServerKey) && valid)) {
        this.farewell = Uint8Array.of(MessageType.ABORT, AbortReason.SERVER_KEY_MISMATCH)
        throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, phase, valid
          ? 'the server signed with a different long-term key than the one we know: possible man in the middle'
          : 'the server signature does not verify: possible man in the middle')
      }
      if (!valid) throw this.fail(ErrorCodes.PROTOCOL, phase, 'the server signature does not verify')
      this.serverKey = new Uint8Array(serverKey)
    } else if (this.knownServerKey) {
      this.farewell = Uint8Array.of(MessageType.ABORT, AbortReason.SERVER_KEY_MISMATCH)
      throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, phase, 'the server did not sign the exchange although we know its key: possible man in the middle')
    } else {
      this.serverKey = null
    }

    const ecdh = this.keep(sharedSecret(this.ephemeral!.scalar, serverEphemeral))
    const keys = deriveExchangeKeys(this.crypto, ecdh, this.codeHash, transcriptHash(this.crypto, this.hello, message))
    this.keys = { challengeKey: this.keep(keys.challengeKey), issueKey: this.keep(keys.issueKey) }
    this.ephemeral = null
    this.current = 'await-challenge'
    return { send: [], events: [] }
  }

  private onChallenge(message: Uint8Array): ClientStep {
    this.expectLength(message, CHALLENGE_MESSAGE_BYTES, Phase.CHALLENGE)
    if (message[1] !== this.attempt) throw this.fail(ErrorCodes.PROTOCOL, Phase.CHALLENGE, `attempt ${message[1]} answers attempt ${this.attempt} (replayed or reordered)`)
    const random = open(this.keys!.challengeKey, message.subarray(2), message.subarray(0, 2))
    if (!random) {
      // The document's rule: a challenge that does not decrypt means the key exchange is repeated.
      this.wipeSecretsExceptCode()
      if (this.attempt < this.maxAttempts) return { send: [this.newHello()], events: [] }
      this.farewell = Uint8Array.of(MessageType.ABORT, AbortReason.CHALLENGE_FAILED)
      throw this.code
        ? this.fail(ErrorCodes.INVALID_TOKEN, Phase.CHALLENGE, `no challenge opened in ${this.attempt} attempts: the enrollment code is wrong, or someone is in the middle`)
        : this.fail(ErrorCodes.PROTOCOL, Phase.CHALLENGE, `no challenge opened in ${this.attempt} attempts: the messages are being corrupted or tampered with`)
    }
    this.keep(random)
    const response = concat(Uint8Array.of(MessageType.RESPONSE, this.attempt), digest(this.crypto, random))
    random.fill(0)
    this.current = 'await-key'
    return { send: [response], events: [] }
  }

  private onIssuedKey(message: Uint8Array): ClientStep {
    const phase = Phase.ISSUED_KEY
    if (message.length < 2 + TAG_BYTES + 1) throw this.fail(ErrorCodes.PROTOCOL, phase, `a ${message.length}-byte issued key is too short`)
    const type = (Object.keys(KeyTypeTag) as IssuedKeyType[]).find((k) => KeyTypeTag[k] === message[1])
    if (!type) throw this.fail(ErrorCodes.PROTOCOL, phase, `unknown key type ${message[1]}`)
    if (!this.acceptKeyTypes.includes(type)) throw this.fail(ErrorCodes.PROTOCOL, phase, `the server issued an ${type} key, which this device does not accept`)
    const plain = open(this.keys!.issueKey, message.subarray(2), message.subarray(0, 2))
    if (!plain) throw this.fail(ErrorCodes.PROTOCOL, phase, 'the issued key does not authenticate: it was tampered with')
    this.keep(plain)
    const key = parseReceivedKey(type, plain, this.crypto)
    const authenticatedBy: EnrollmentResult['authenticatedBy'] = []
    if (this.code) authenticatedBy.push('code')
    if (this.knownServerKey) authenticatedBy.push('server-key')
    const result: EnrollmentResult = { key, serverPublicKey: this.serverKey, authenticatedBy, attempts: this.attempt }
    this.finish()
    return { send: [], events: [{ type: 'enrolled', result }] }
  }

  /** Between attempts: wipes the exchange's secrets but keeps the code for the next one. */
  private wipeSecretsExceptCode(): void {
    if (this.keys) {
      this.keys.challengeKey.fill(0)
      this.keys.issueKey.fill(0)
    }
    this.keys = null
    this.ephemeral = null
  }
}
