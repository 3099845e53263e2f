/**
 * The flat protocol's server side, sans-I/O: bytes in, `{ send, events }` out. Built on the
 * protocol kernel (`lib/machine.ts`): every call checks the phase first, and any failure poisons
 * the machine (phase "failed") and wipes its keys. `receive()` / `resolve()` return the same step
 * as one ordered action list (messages first) for the stream adapter.
 *
 * ```
 * phase      accepts (value bytes)                                   then
 * hello      CLIENT-NONCE (32)                                       ident
 * ident      MAX-PACKET (4), USERNAME (1–128) or CERTIFICATE-ID (32) lookup → proof
 * lookup     nothing is parsed; the adapter looks the account up and calls resolve()
 * proof      MAX-PACKET (4), CLIENT-PROOF (48)                       open
 * open       DATA-LENGTH (4) → DATA (n+16) → VERIFICATION-SHA256 (48), END (16)
 * ```
 * MAX-PACKET is optional and accepted once, before or after USERNAME / CERTIFICATE-ID (design
 * document 003 shows it after USERNAME). On resolve() the server answers in the document's order:
 * CERTIFICATE (interactive only), SESSION-KEY, MAX-PACKET, then SERVER-SIGNATURE. Its MAX-PACKET is
 * the smaller of its own and the client's when the client's came first ("the server will mimic
 * unless the server's setting is lower"); either way both sides use the smaller of the two
 * announcements. Unknown accounts get decoys that look the same, so the answers do not reveal
 * which names exist; their proof can never verify. Nothing is delivered to the application before
 * the proof verifies, and any unexpected command or length throws `ERR_PROTOCOL` (the adapter then
 * sends ERROR and closes).
 * @module
 */
import type { CryptoBackend } from '../../../crypto/index.js'
import { getCryptoBackend } from '../../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import { assertKeyPair } from '../../../keys.js'
import type { KeyPair } from '../../../keys.js'
import { Machine, emptyStep, mergeSteps, stepActions, type Step } from '../../../machine.js'
import { defaultKdfParams, encodeKdfParams } from '../kdf.js'
import { ENCODED_SEALED_KEY_BYTES } from '../sealed-key.js'
import { sealToPublicKey } from '../sealed-box.js'
import { text } from '../rpc/messages.js'
import { assertUserID } from '../user-id.js'
import { FlatReceiver, FlatSender } from './channel.js'
import { Cmd, CommandDecoder, DEFAULT_MAX_PACKET, MAX_MAX_PACKET, MIN_MAX_PACKET, encodeCommand, readU32, u32 } from './commands.js'
import type { Command, CommandLimits } from './commands.js'
import { directionalKeys, proofValue, serverSignedBytes, transcriptHash } from './keys.js'

const PHASE = 'flat server'

/**
 * An account as the flat server sees it.
 * @example
 * ```ts
 * const lookup: accounts.FlatLookup = async (query): Promise<accounts.FlatAccount | null> =>
 *   query.by === 'username' ? accountsByName.get(query.username) ?? null : null
 * ```
 */
export interface FlatAccount {
  /** The account name. */
  username: string
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** The encoded password-sealed private key (interactive accounts), see `encodeSealedKey`. */
  certificate?: Uint8Array
}

/**
 * What the server reports: a lookup to run, a login, data, the client's END.
 * @example
 * ```ts
 * for (const event of machine.receiveStep(bytes).events) if (event.type === 'lookup') startLookup(event)
 * ```
 */
export type FlatServerEvent =
  | { type: 'lookup', by: 'username', username: string }
  | { type: 'lookup', by: 'thumbprint', thumbprint: Uint8Array }
  | { type: 'authenticated', username: string, publicKey: Uint8Array, interactive: boolean }
  | { type: 'data', data: Uint8Array }
  | { type: 'end' }

/**
 * One server step: commands to send, then events.
 * @example
 * ```ts
 * const step: accounts.FlatServerStep = machine.resolveStep(account)
 * for (const bytes of step.send) socket.write(bytes)
 * ```
 */
export type FlatServerStep = Step<FlatServerEvent>

/**
 * A server step as one ordered list (messages first), what {@link FlatServerMachine.receive} returns.
 * @example
 * ```ts
 * const actions: accounts.FlatServerAction[] = machine.receive(bytes)
 * for (const action of actions) {
 *   if (action.type === 'send') socket.write(action.bytes)
 * }
 * ```
 */
export type FlatServerAction = { type: 'send', bytes: Uint8Array } | FlatServerEvent

/**
 * Options for {@link FlatServerMachine}.
 * @example
 * ```ts
 * const options: accounts.FlatServerOptions = { keyPair: flatKeys }
 * const machine = new accounts.FlatServerMachine(options)
 * ```
 */
export interface FlatServerOptions {
  /** The server's long-term Ed25519 key pair; clients pin its public key. */
  keyPair: KeyPair
  /** The server's MAX-PACKET; {@link DEFAULT_MAX_PACKET} by default. */
  maxPacket?: number
  /** 32-byte secret for decoy answers; random by default. */
  decoySecret?: Uint8Array
  /** The crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
}

/** Checks a MAX-PACKET value. */
export function assertMaxPacket(n: number, phase: string, code: 'ERR_INVALID_ARGUMENT' | 'ERR_PROTOCOL' = ErrorCodes.INVALID_ARGUMENT): number {
  if (!Number.isInteger(n) || n < MIN_MAX_PACKET || n > MAX_MAX_PACKET) {
    throw new SecretChannelError(code, phase, `MAX-PACKET ${n} outside ${MIN_MAX_PACKET}…${MAX_MAX_PACKET}`)
  }
  return n
}

type ServerPhase = 'hello' | 'ident' | 'lookup' | 'proof' | 'open'

/**
 * The server half of one connection.
 * @example
 * ```ts
 * const machine = new accounts.FlatServerMachine({ keyPair: flatKeys })
 * socket.on('data', async (chunk) => {
 *   for (const action of machine.receive(chunk)) {
 *     if (action.type === 'send') socket.write(action.bytes)
 *     if (action.type === 'lookup') {
 *       const account = await lookup(action.by === 'username' ? { by: 'username', username: action.username } : { by: 'thumbprint', thumbprint: action.thumbprint })
 *       for (const next of machine.resolve(account)) if (next.type === 'send') socket.write(next.bytes)
 *     }
 *   }
 * })
 * ```
 */
export class FlatServerMachine extends Machine<ServerPhase> {
  private readonly decoder = new CommandDecoder(PHASE)
  private readonly crypto: CryptoBackend
  private readonly keyPair: KeyPair
  private readonly ownMax: number
  private readonly decoySecret: Uint8Array
  private clientMax: number | null = null
  /** The client's MAX-PACKET command as received, bound by its proof. */
  private clientMaxCommand: Uint8Array | null = null
  private readonly clientCommands: Uint8Array[] = []
  private interactive = false
  private requested = ''
  private account: FlatAccount | null = null
  private transcript: Uint8Array | null = null
  private sender: FlatSender | null = null
  private receiver: FlatReceiver | null = null
  /** The negotiated MAX-PACKET (final once the client is authenticated). */
  maxPacket: number

  /** @param options - see {@link FlatServerOptions} */
  constructor(options: FlatServerOptions) {
    super('hello', PHASE)
    this.crypto = options.crypto ?? getCryptoBackend()
    this.keyPair = assertKeyPair(options.keyPair)
    this.ownMax = assertMaxPacket(options.maxPacket ?? DEFAULT_MAX_PACKET, PHASE)
    this.maxPacket = this.ownMax
    this.decoySecret = this.keep(Uint8Array.from(options.decoySecret ?? this.crypto.randomBytes(32)))
  }

  /** True once the client has proved the session key. */
  get authenticated(): boolean {
    return this.current === 'open'
  }

  private limits(): CommandLimits {
    const max: Array<[number, readonly [number, number]]> = this.clientMax === null ? [[Cmd.MAX_PACKET, [4, 4]]] : []
    switch (this.current) {
      case 'hello': return new Map([[Cmd.CLIENT_NONCE, [32, 32]]])
      case 'ident': return new Map([[Cmd.USERNAME, [1, 128]], [Cmd.CERTIFICATE_ID, [32, 32]], ...max])
      case 'proof': return new Map([[Cmd.CLIENT_PROOF, [48, 48]], ...max])
      case 'open': return this.receiver!.limits()
      default: return new Map()
    }
  }

  /**
   * Feeds received bytes.
   * @throws SecretChannelError `ERR_PROTOCOL` (junk), `ERR_UNAUTHORIZED` (bad proof), `ERR_BOX_TAMPERED`
   */
  receiveStep(chunk: Uint8Array): FlatServerStep {
    this.expect('receive', 'hello', 'ident', 'lookup', 'proof', 'open')
    this.decoder.push(chunk)
    return this.drain()
  }

  /** {@link receiveStep} as one ordered action list (messages first). */
  receive(chunk: Uint8Array): FlatServerAction[] {
    return stepActions(this.receiveStep(chunk))
  }

  private drain(): FlatServerStep {
    return this.guard(() => {
      const step = emptyStep<FlatServerEvent>()
      while (this.current !== 'lookup' && this.current !== 'failed') {
        const cmd = this.decoder.next(this.limits())
        if (!cmd) break
        this.handle(cmd, step.events)
      }
      return step
    })
  }

  private handle(cmd: Command, actions: FlatServerEvent[]): void {
    if (this.current === 'open') {
      const got = this.receiver!.receive(cmd)
      if (got?.type === 'data') actions.push({ type: 'data', data: got.data })
      else if (got?.type === 'end') actions.push({ type: 'end' })
      return
    }
    if (cmd.op === Cmd.MAX_PACKET) {
      // Outside H (it may come after our signed answer); the client's proof covers it.
      this.clientMax = assertMaxPacket(readU32(cmd.value), PHASE, ErrorCodes.PROTOCOL)
      this.clientMaxCommand = encodeCommand(cmd.op, cmd.value)
      return
    }
    if (this.current !== 'proof') this.clientCommands.push(encodeCommand(cmd.op, cmd.value))
    switch (cmd.op) {
      case Cmd.CLIENT_NONCE:
        this.current = 'ident'
        return
      case Cmd.USERNAME: {
        const username = assertUserID(text(cmd.value, PHASE), PHASE, ErrorCodes.PROTOCOL)
        this.interactive = true
        this.requested = username
        this.current = 'lookup'
        actions.push({ type: 'lookup', by: 'username', username })
        return
      }
      case Cmd.CERTIFICATE_ID:
        this.interactive = false
        this.requested = Buffer.from(cmd.value).toString('hex')
        this.current = 'lookup'
        actions.push({ type: 'lookup', by: 'thumbprint', thumbprint: Uint8Array.from(cmd.value) })
        return
      case Cmd.CLIENT_PROOF: {
        const proof = this.receiver!.openValueOrNull(cmd.value)
        const expected = proofValue(this.crypto, this.transcript!, this.clientMaxCommand)
        const ok = proof !== null && this.account !== null && constantTimeEqual(proof, expected)
        if (!ok) throw this.fail(ErrorCodes.UNAUTHORIZED, PHASE, 'the client did not prove the session key')
        // Both sides now use the smaller of the two announcements, whichever order they came in.
        this.maxPacket = Math.min(this.ownMax, this.clientMax ?? this.ownMax)
        this.sender!.limitMaxPacket(this.maxPacket)
        this.receiver!.limitMaxPacket(this.maxPacket)
        this.current = 'open'
        actions.push({ type: 'authenticated', username: this.account!.username, publicKey: this.account!.publicKey, interactive: this.interactive })
        return
      }
      default:
        throw this.fail(ErrorCodes.PROTOCOL, PHASE, 'unexpected command')
    }
  }

  /** Wipes the session keys and the decoy secret; further calls fail. */
  override destroy(): void {
    super.destroy()
    this.sender?.destroy()
    this.receiver?.destroy()
  }

  /**
   * Answers the last `lookup` action (null: no such account, or no certificate for an interactive
   * login). Returns the server's handshake bytes and whatever the buffered input now yields.
   */
  resolveStep(account: FlatAccount | null): FlatServerStep {
    this.expect('resolve', 'lookup')
    return this.guard(() => mergeSteps(this.answer(account), this.drain()))
  }

  /** {@link resolveStep} as one ordered action list (messages first). */
  resolve(account: FlatAccount | null): FlatServerAction[] {
    return stepActions(this.resolveStep(account))
  }

  private answer(account: FlatAccount | null): FlatServerStep {
    const crypto = this.crypto
    const usable = account !== null && crypto.signPublicKeyToCurve(account.publicKey) !== null &&
      (!this.interactive || account.certificate?.length === ENCODED_SEALED_KEY_BYTES)
    this.account = usable ? account : null
    this.maxPacket = Math.min(this.ownMax, this.clientMax ?? this.ownMax)
    const recipient = this.account?.publicKey ?? this.decoyKey()
    const sessionKey = crypto.randomBytes(32)
    // The document's order: CERTIFICATE, SESSION-KEY, MAX-PACKET.
    const server: Uint8Array[] = []
    if (this.interactive) server.push(encodeCommand(Cmd.CERTIFICATE, this.account?.certificate ?? this.decoyCertificate(recipient)))
    server.push(encodeCommand(Cmd.SESSION_KEY, sealToPublicKey(recipient, sessionKey)))
    server.push(encodeCommand(Cmd.MAX_PACKET, u32(this.maxPacket)))
    this.transcript = transcriptHash(crypto, this.clientCommands, server)
    const signature = crypto.sign(serverSignedBytes(this.transcript), this.keyPair.secretKey)
    const keys = directionalKeys(crypto, sessionKey, this.transcript)
    wipe(sessionKey)
    this.sender = new FlatSender(crypto, keys.serverToClient, this.maxPacket, 0n)
    this.receiver = new FlatReceiver(crypto, keys.clientToServer, this.maxPacket, 0n, PHASE)
    wipe(keys.serverToClient, keys.clientToServer)
    this.current = 'proof'
    const bytes = Buffer.concat([...server, encodeCommand(Cmd.SERVER_SIGNATURE, signature)])
    return { send: [bytes], events: [] }
  }

  /** Received bytes not yet turned into commands. */
  get pendingInput(): number {
    return this.decoder.pending
  }

  /** Seals application data (only once authenticated). */
  write(data: Uint8Array): Uint8Array {
    if (this.current !== 'open' || !this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot send data before the client is authenticated')
    return this.sender.seal(data)
  }

  /** The END command (only once authenticated). */
  end(): Uint8Array {
    if (this.current !== 'open' || !this.sender || !this.account) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot end before the client is authenticated')
    return this.sender.end()
  }

  /** The ERROR command telling the client why the connection is being closed. */
  errorCommand(err: SecretChannelError): Uint8Array {
    return encodeCommand(Cmd.ERROR, Buffer.from(`${err.code} ${err.message}`.slice(0, 256), 'utf8'))
  }

  private decoySeed(label: string): Uint8Array {
    // HMAC-SHA-256, the derivation the identity server's decoys share (servers with the same decoy
    // secret must hand out the same decoy salt).
    return this.crypto.hmacSha256(this.decoySecret, Buffer.from(`${label}\u0000${this.interactive ? 'u' : 't'}\u0000${this.requested}`, 'utf8'))
  }

  private decoyKey(): Uint8Array {
    return this.crypto.signKeyPairFromSeed(this.decoySeed('key')).publicKey
  }

  private decoyCertificate(publicKey: Uint8Array): Uint8Array {
    // Same layout as a real one (version, default KDF params, salt, nonce, sealed seed, public key),
    // filled with stable pseudo-random bytes so repeated queries give the same answer.
    const filler = Buffer.concat([this.decoySeed('c1'), this.decoySeed('c2'), this.decoySeed('c3'), this.decoySeed('c4')])
    return Buffer.concat([Uint8Array.of(1), encodeKdfParams(defaultKdfParams()), filler.subarray(0, 32 + 24 + 48), publicKey])
  }
}
