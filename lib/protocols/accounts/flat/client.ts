/**
 * The flat protocol's client side, sans-I/O, on the protocol kernel (`lib/machine.ts`): phase check
 * first, any failure poisons the machine and wipes its keys. `receiveStep()` / `unlockStep()` return
 * `{ send, events }`; `receive()` / `unlock()` return the same as one ordered action list (messages
 * first) for the stream adapter.
 *
 * ```
 * start()          → CLIENT-NONCE, USERNAME (interactive) | CERTIFICATE-ID (non-interactive), MAX-PACKET
 * server           ← CERTIFICATE (interactive), SESSION-KEY, MAX-PACKET (optional, anywhere before
 *                    the signature: the document puts it last), SERVER-SIGNATURE
 * signature check  against the pinned server key, over the transcript
 * interactive      → action "unlock": the adapter opens the CERTIFICATE with the password, calls unlock()
 * both             open SESSION-KEY with the private key, → CLIENT-PROOF; data may follow at once
 * ```
 * The order of the opening commands is design document 003's (MAX-PACKET after USERNAME). Both
 * sides use the smaller of the two MAX-PACKETs. An ERROR from the server at any point becomes a
 * thrown error carrying the server's code.
 * @module
 */
import type { CryptoBackend } from '../../../crypto/index.js'
import { getCryptoBackend } from '../../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import type { ErrorCode } from '../../../errors.js'
import { assertKeyPair } from '../../../keys.js'
import type { KeyPair } from '../../../keys.js'
import { Machine, emptyStep, mergeSteps, stepActions, type Step } from '../../../machine.js'
import { ENCODED_SEALED_KEY_BYTES, decodeSealedKey } from '../sealed-key.js'
import type { SealedPrivateKey } from '../sealed-key.js'
import { SEALED_BOX_OVERHEAD, openSealed } from '../sealed-box.js'
import { assertUserID } from '../user-id.js'
import { FlatReceiver, FlatSender } from './channel.js'
import { Cmd, CommandDecoder, DEFAULT_MAX_PACKET, encodeCommand, readU32, u32 } from './commands.js'
import type { Command, CommandLimits } from './commands.js'
import { directionalKeys, proofValue, serverSignedBytes, transcriptHash } from './keys.js'
import { assertMaxPacket } from './server.js'

const PHASE = 'flat client'
const ERROR_LIMIT: readonly [number, number] = [0, 256]

/**
 * What the client reports: a CERTIFICATE to unlock, the login, data, the server's END.
 * @example
 * ```ts
 * for (const event of machine.receiveStep(bytes).events) if (event.type === 'data') app.write(event.data)
 * ```
 */
type FlatClientEvent =
  | { type: 'unlock', sealed: SealedPrivateKey, publicKey: Uint8Array }
  | { type: 'authenticated', maxPacket: number }
  | { type: 'data', data: Uint8Array }
  | { type: 'end' }

/**
 * One client step: commands to send, then events.
 * @example
 * ```ts
 * const step: accounts.FlatClientStep = machine.receiveStep(bytes)
 * for (const bytes of step.send) socket.write(bytes)
 * ```
 */
export type FlatClientStep = Step<FlatClientEvent>

/**
 * A client step as one ordered list (messages first), what {@link FlatClientMachine.receive} returns.
 * @example
 * ```ts
 * const actions: accounts.FlatClientAction[] = machine.receive(bytes)
 * for (const action of actions) {
 *   if (action.type === 'send') socket.write(action.bytes)
 * }
 * ```
 */
export type FlatClientAction = { type: 'send', bytes: Uint8Array } | FlatClientEvent

/**
 * Options for {@link FlatClientMachine}: exactly one of `username` and `keyPair`.
 * @example
 * ```ts
 * const options: accounts.FlatClientOptions = { serverPublicKey: flatKey, username: 'alice' } // the password unlocks what arrives
 * const machine = new accounts.FlatClientMachine(options)
 * ```
 */
export interface FlatClientOptions {
  /** The server's Ed25519 public key (pinned; a server that cannot sign with it is refused). */
  serverPublicKey: Uint8Array
  /** Interactive login: the account name (the password-sealed key comes from the server). */
  username?: string
  /** Non-interactive login: the account's key pair, held locally. */
  keyPair?: KeyPair
  /** This side's MAX-PACKET; {@link DEFAULT_MAX_PACKET} by default. */
  maxPacket?: number
  /** The crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
}

type ClientPhase = 'new' | 'answer' | 'unlocking' | 'open'

/**
 * The client half of one connection.
 * @example
 * ```ts
 * const machine = new accounts.FlatClientMachine({ serverPublicKey: flatKey, keyPair })
 * socket.write(machine.start())
 * socket.on('data', (chunk) => {
 *   for (const action of machine.receive(chunk)) if (action.type === 'send') socket.write(action.bytes)
 * })
 * ```
 */
export class FlatClientMachine extends Machine<ClientPhase> {
  private readonly decoder = new CommandDecoder(PHASE)
  private readonly crypto: CryptoBackend
  private readonly serverPublicKey: Uint8Array
  private readonly username: string | undefined
  private readonly keyPair: KeyPair | undefined
  private readonly ownMax: number
  private readonly clientCommands: Uint8Array[] = []
  private clientMaxCommand: Uint8Array | null = null
  private readonly serverCommands: Uint8Array[] = []
  private serverMax: number | null = null
  private certificate: { sealed: SealedPrivateKey, publicKey: Uint8Array } | null = null
  private sessionBox: Uint8Array | null = null
  private transcript: Uint8Array | null = null
  private sender: FlatSender | null = null
  private receiver: FlatReceiver | null = null
  /** The negotiated MAX-PACKET. */
  maxPacket: number

  /** @param options - see {@link FlatClientOptions} */
  constructor(options: FlatClientOptions) {
    super('new', PHASE)
    if (!(options.serverPublicKey instanceof Uint8Array) || options.serverPublicKey.length !== 32) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'serverPublicKey must be 32 bytes')
    }
    if ((options.username === undefined) === (options.keyPair === undefined)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'give exactly one of username (interactive) and keyPair (non-interactive)')
    }
    this.crypto = options.crypto ?? getCryptoBackend()
    this.serverPublicKey = Uint8Array.from(options.serverPublicKey)
    this.username = options.username === undefined ? undefined : assertUserID(options.username, PHASE)
    this.keyPair = options.keyPair === undefined ? undefined : assertKeyPair(options.keyPair)
    this.ownMax = assertMaxPacket(options.maxPacket ?? DEFAULT_MAX_PACKET, PHASE)
    this.maxPacket = this.ownMax
  }

  /** True for a USERNAME login. */
  get interactive(): boolean {
    return this.username !== undefined
  }

  /** True once the proof is sent and data may flow. */
  get authenticated(): boolean {
    return this.current === 'open'
  }

  /** The opening commands to send, in the document's order: CLIENT-NONCE, USERNAME | CERTIFICATE-ID, MAX-PACKET. */
  start(): Uint8Array {
    this.expect('start', 'new')
    const crypto = this.crypto
    this.clientCommands.push(encodeCommand(Cmd.CLIENT_NONCE, crypto.randomBytes(32)))
    this.clientCommands.push(this.username !== undefined
      ? encodeCommand(Cmd.USERNAME, Buffer.from(this.username, 'utf8'))
      : encodeCommand(Cmd.CERTIFICATE_ID, crypto.sha256(this.keyPair!.publicKey)))
    this.clientMaxCommand = encodeCommand(Cmd.MAX_PACKET, u32(this.ownMax))
    this.current = 'answer'
    return Buffer.concat([...this.clientCommands, this.clientMaxCommand])
  }

  private limits(): CommandLimits {
    const m = new Map<number, readonly [number, number]>([[Cmd.ERROR, ERROR_LIMIT]])
    switch (this.current) {
      case 'answer':
        // CERTIFICATE (interactive) before SESSION-KEY, then SERVER-SIGNATURE; MAX-PACKET once, anywhere before it.
        if (this.serverMax === null) m.set(Cmd.MAX_PACKET, [4, 4])
        if (this.interactive && !this.certificate) m.set(Cmd.CERTIFICATE, [ENCODED_SEALED_KEY_BYTES, ENCODED_SEALED_KEY_BYTES])
        else if (!this.sessionBox) m.set(Cmd.SESSION_KEY, [SEALED_BOX_OVERHEAD + 32, SEALED_BOX_OVERHEAD + 32])
        else m.set(Cmd.SERVER_SIGNATURE, [64, 64])
        return m
      case 'open': {
        for (const [op, b] of this.receiver!.limits()) m.set(op, b)
        return m
      }
      default: return new Map()
    }
  }

  /** Feeds received bytes. */
  receiveStep(chunk: Uint8Array): FlatClientStep {
    this.expect('receive', 'answer', 'unlocking', 'open')
    this.decoder.push(chunk)
    return this.drain()
  }

  /** {@link receiveStep} as one ordered action list (messages first). */
  receive(chunk: Uint8Array): FlatClientAction[] {
    return stepActions(this.receiveStep(chunk))
  }

  private drain(): FlatClientStep {
    return this.guard(() => {
      const step = emptyStep<FlatClientEvent>()
      while (this.current === 'answer' || this.current === 'open') {
        const cmd = this.decoder.next(this.limits())
        if (!cmd) break
        this.handle(cmd, step)
      }
      return step
    })
  }

  private handle(cmd: Command, step: FlatClientStep): void {
    if (cmd.op === Cmd.ERROR) {
      const said = Buffer.from(cmd.value).toString('utf8').replace(/[^\x20-\x7e]/g, '?')
      const code = (Object.values(ErrorCodes) as string[]).find((c) => said.startsWith(`${c} `)) as ErrorCode | undefined
      throw this.fail(code ?? ErrorCodes.PROTOCOL, PHASE, `the server refused: ${said}`)
    }
    if (this.current === 'open') {
      const got = this.receiver!.receive(cmd)
      if (got) step.events.push(got.type === 'data' ? { type: 'data', data: got.data } : { type: 'end' })
      return
    }
    if (cmd.op !== Cmd.SERVER_SIGNATURE) this.serverCommands.push(encodeCommand(cmd.op, cmd.value))
    switch (cmd.op) {
      case Cmd.MAX_PACKET:
        this.serverMax = assertMaxPacket(readU32(cmd.value), PHASE, ErrorCodes.PROTOCOL)
        this.maxPacket = Math.min(this.ownMax, this.serverMax)
        return
      case Cmd.CERTIFICATE:
        this.certificate = decodeSealedKey(cmd.value, PHASE)
        return
      case Cmd.SESSION_KEY:
        this.sessionBox = Uint8Array.from(cmd.value)
        return
      case Cmd.SERVER_SIGNATURE: {
        this.transcript = transcriptHash(this.crypto, this.clientCommands, this.serverCommands)
        if (!this.crypto.verify(cmd.value, serverSignedBytes(this.transcript), this.serverPublicKey)) {
          throw this.fail(ErrorCodes.SERVER_KEY_MISMATCH, PHASE, 'the server did not sign the session with the expected key')
        }
        if (this.interactive) {
          this.current = 'unlocking'
          step.events.push({ type: 'unlock', sealed: this.certificate!.sealed, publicKey: this.certificate!.publicKey })
        } else {
          mergeSteps(step, this.finishLogin(this.keyPair!))
        }
        return
      }
      default:
        throw this.fail(ErrorCodes.PROTOCOL, PHASE, 'unexpected command')
    }
  }

  /**
   * Interactive logins: hands over the key pair the adapter unlocked from the CERTIFICATE.
   * Returns the proof to send and whatever buffered input now yields.
   */
  unlockStep(keyPair: KeyPair): FlatClientStep {
    this.expect('unlock', 'unlocking')
    return this.guard(() => {
      if (!constantTimeEqual(keyPair.publicKey, this.certificate!.publicKey)) {
        throw this.fail(ErrorCodes.BAD_KEY, PHASE, 'the unlocked key is not the certificate\'s key')
      }
      return mergeSteps(this.finishLogin(keyPair), this.drain())
    })
  }

  /** {@link unlockStep} as one ordered action list (messages first). */
  unlock(keyPair: KeyPair): FlatClientAction[] {
    return stepActions(this.unlockStep(keyPair))
  }

  private finishLogin(keyPair: KeyPair): FlatClientStep {
    let sessionKey: Uint8Array
    try {
      sessionKey = openSealed(keyPair.secretKey, this.sessionBox!)
    } catch (err) {
      throw this.fail(ErrorCodes.UNAUTHORIZED, PHASE, 'the SESSION-KEY is not sealed to this account\'s key', err)
    }
    const keys = directionalKeys(this.crypto, sessionKey, this.transcript!)
    wipe(sessionKey)
    this.sender = new FlatSender(this.crypto, keys.clientToServer, this.maxPacket, 0n)
    this.receiver = new FlatReceiver(this.crypto, keys.serverToClient, this.maxPacket, 0n, PHASE)
    wipe(keys.clientToServer, keys.serverToClient)
    const proof = encodeCommand(Cmd.CLIENT_PROOF, this.sender.sealValue(proofValue(this.crypto, this.transcript!, this.clientMaxCommand)))
    this.current = 'open'
    return { send: [proof], events: [{ type: 'authenticated', maxPacket: this.maxPacket }] }
  }

  /** Wipes the session keys; further calls fail. */
  override destroy(): void {
    super.destroy()
    this.sender?.destroy()
    this.receiver?.destroy()
  }

  /** Received bytes not yet turned into commands. */
  get pendingInput(): number {
    return this.decoder.pending
  }

  /** Seals application data (only once authenticated). */
  write(data: Uint8Array): Uint8Array {
    if (this.current !== 'open' || !this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot send data before authentication')
    return this.sender.seal(data)
  }

  /** The END command. */
  end(): Uint8Array {
    if (this.current !== 'open' || !this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot end before authentication')
    return this.sender.end()
  }
}
