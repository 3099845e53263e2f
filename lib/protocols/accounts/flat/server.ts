/**
 * The flat protocol's server side, sans-I/O: bytes in, actions out.
 *
 * ```
 * state      accepts (value bytes)                                   then
 * hello      CLIENT-NONCE (32)                                       ident
 * ident      MAX-PACKET (4, at most once), USERNAME (1–128)          lookup → proof
 *            or CERTIFICATE-ID (32)
 * lookup     nothing is parsed; the adapter looks the account up and calls resolve()
 * proof      CLIENT-PROOF (48)                                       open
 * open       DATA-LENGTH (4) → DATA (n+16) → VERIFICATION-SHA256 (48), END (16)
 * ```
 * On resolve() the server sends MAX-PACKET (the smaller of the two announcements), CERTIFICATE
 * (interactive only), SESSION-KEY and SERVER-SIGNATURE. Unknown accounts get decoys that look the
 * same, so the answers do not reveal which names exist; their proof can never verify. Nothing is
 * delivered to the application before the proof verifies, and any unexpected command or length
 * throws `ERR_PROTOCOL` (the adapter then sends ERROR and closes).
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { getCryptoBackend } from '../../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import { assertKeyPair } from '../../../keys.js'
import type { KeyPair } from '../../../keys.js'
import { defaultKdfParams, encodeKdfParams } from '../kdf.js'
import { ENCODED_SEALED_KEY_BYTES } from '../sealed-key.js'
import { sealToPublicKey } from '../sealed-box.js'
import { text } from '../rpc/messages.js'
import { assertUserID } from '../user-id.js'
import { FlatReceiver, FlatSender } from './channel.js'
import { Cmd, CommandDecoder, DEFAULT_MAX_PACKET, MAX_MAX_PACKET, MIN_MAX_PACKET, encodeCommand, readU32, u32 } from './commands.js'
import type { Command, CommandLimits } from './commands.js'
import { directionalKeys, serverSignedBytes, transcriptHash } from './keys.js'

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
 * What the server asks the adapter to do.
 * @example
 * ```ts
 * const actions: accounts.FlatServerAction[] = machine.receive(bytes)
 * for (const action of actions) {
 *   if (action.type === 'send') socket.write(action.bytes)
 * }
 * ```
 */
export type FlatServerAction =
  | { type: 'send', bytes: Uint8Array }
  | { type: 'lookup', by: 'username', username: string }
  | { type: 'lookup', by: 'thumbprint', thumbprint: Uint8Array }
  | { type: 'authenticated', username: string, publicKey: Uint8Array, interactive: boolean }
  | { type: 'data', data: Uint8Array }
  | { type: 'end' }

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
}

/** Checks a MAX-PACKET value. */
export function assertMaxPacket(n: number, phase: string, code: 'ERR_INVALID_ARGUMENT' | 'ERR_PROTOCOL' = ErrorCodes.INVALID_ARGUMENT): number {
  if (!Number.isInteger(n) || n < MIN_MAX_PACKET || n > MAX_MAX_PACKET) {
    throw new SecretChannelError(code, phase, `MAX-PACKET ${n} outside ${MIN_MAX_PACKET}…${MAX_MAX_PACKET}`)
  }
  return n
}

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
export class FlatServerMachine {
  private state: 'hello' | 'ident' | 'lookup' | 'proof' | 'open' | 'closed' = 'hello'
  private readonly decoder = new CommandDecoder(PHASE)
  private readonly keyPair: KeyPair
  private readonly ownMax: number
  private readonly decoySecret: Uint8Array
  private clientMax: number | null = null
  private readonly clientCommands: Uint8Array[] = []
  private interactive = false
  private requested = ''
  private account: FlatAccount | null = null
  private transcript: Uint8Array | null = null
  private sender: FlatSender | null = null
  private receiver: FlatReceiver | null = null
  /** The negotiated MAX-PACKET (valid once the account is resolved). */
  maxPacket: number

  /** @param options - see {@link FlatServerOptions} */
  constructor(options: FlatServerOptions) {
    this.keyPair = assertKeyPair(options.keyPair)
    this.ownMax = assertMaxPacket(options.maxPacket ?? DEFAULT_MAX_PACKET, PHASE)
    this.maxPacket = this.ownMax
    this.decoySecret = options.decoySecret ?? getCryptoBackend().randomBytes(32)
  }

  /** True once the client has proved the session key. */
  get authenticated(): boolean {
    return this.state === 'open'
  }

  private limits(): CommandLimits {
    switch (this.state) {
      case 'hello': return new Map([[Cmd.CLIENT_NONCE, [32, 32]]])
      case 'ident': {
        const m = new Map<number, readonly [number, number]>([[Cmd.USERNAME, [1, 128]], [Cmd.CERTIFICATE_ID, [32, 32]]])
        if (this.clientMax === null) m.set(Cmd.MAX_PACKET, [4, 4])
        return m
      }
      case 'proof': return new Map([[Cmd.CLIENT_PROOF, [48, 48]]])
      case 'open': return this.receiver!.limits()
      default: return new Map()
    }
  }

  /**
   * Feeds received bytes.
   * @throws SecretChannelError `ERR_PROTOCOL` (junk), `ERR_UNAUTHORIZED` (bad proof), `ERR_BOX_TAMPERED`
   */
  receive(chunk: Uint8Array): FlatServerAction[] {
    if (this.state === 'closed') throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'connection already failed')
    this.decoder.push(chunk)
    return this.drain()
  }

  private drain(): FlatServerAction[] {
    const actions: FlatServerAction[] = []
    try {
      while (this.state !== 'lookup' && this.state !== 'closed') {
        const cmd = this.decoder.next(this.limits())
        if (!cmd) break
        this.handle(cmd, actions)
      }
    } catch (err) {
      this.state = 'closed'
      throw err
    }
    return actions
  }

  private handle(cmd: Command, actions: FlatServerAction[]): void {
    if (this.state === 'open') {
      const got = this.receiver!.receive(cmd)
      if (got?.type === 'data') actions.push({ type: 'data', data: got.data })
      else if (got?.type === 'end') actions.push({ type: 'end' })
      return
    }
    if (this.state !== 'proof') this.clientCommands.push(encodeCommand(cmd.op, cmd.value))
    switch (cmd.op) {
      case Cmd.CLIENT_NONCE:
        this.state = 'ident'
        return
      case Cmd.MAX_PACKET:
        this.clientMax = assertMaxPacket(readU32(cmd.value), PHASE, ErrorCodes.PROTOCOL)
        return
      case Cmd.USERNAME: {
        const username = assertUserID(text(cmd.value, PHASE), PHASE, ErrorCodes.PROTOCOL)
        this.interactive = true
        this.requested = username
        this.state = 'lookup'
        actions.push({ type: 'lookup', by: 'username', username })
        return
      }
      case Cmd.CERTIFICATE_ID:
        this.interactive = false
        this.requested = Buffer.from(cmd.value).toString('hex')
        this.state = 'lookup'
        actions.push({ type: 'lookup', by: 'thumbprint', thumbprint: Uint8Array.from(cmd.value) })
        return
      case Cmd.CLIENT_PROOF: {
        const proof = this.receiver!.openValueOrNull(cmd.value)
        const ok = proof !== null && this.account !== null && constantTimeEqual(proof, this.transcript!)
        if (!ok) throw new SecretChannelError(ErrorCodes.UNAUTHORIZED, PHASE, 'the client did not prove the session key')
        this.state = 'open'
        actions.push({ type: 'authenticated', username: this.account!.username, publicKey: this.account!.publicKey, interactive: this.interactive })
        return
      }
      default:
        throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, 'unexpected command')
    }
  }

  /**
   * Answers the last `lookup` action (null: no such account, or no certificate for an interactive
   * login). Returns the server's handshake bytes and whatever the buffered input now yields.
   */
  resolve(account: FlatAccount | null): FlatServerAction[] {
    if (this.state !== 'lookup') throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'resolve() without a pending lookup')
    const crypto = getCryptoBackend()
    const usable = account !== null && crypto.signPublicKeyToCurve(account.publicKey) !== null &&
      (!this.interactive || account.certificate?.length === ENCODED_SEALED_KEY_BYTES)
    this.account = usable ? account : null
    this.maxPacket = Math.min(this.ownMax, this.clientMax ?? this.ownMax)
    const recipient = this.account?.publicKey ?? this.decoyKey()
    const sessionKey = crypto.randomBytes(32)
    const server: Uint8Array[] = [encodeCommand(Cmd.MAX_PACKET, u32(this.maxPacket))]
    if (this.interactive) server.push(encodeCommand(Cmd.CERTIFICATE, this.account?.certificate ?? this.decoyCertificate(recipient)))
    server.push(encodeCommand(Cmd.SESSION_KEY, sealToPublicKey(recipient, sessionKey)))
    this.transcript = transcriptHash(this.clientCommands, server)
    const signature = crypto.sign(serverSignedBytes(this.transcript), this.keyPair.secretKey)
    const keys = directionalKeys(sessionKey, this.transcript)
    wipe(sessionKey)
    this.sender = new FlatSender(keys.serverToClient, this.maxPacket, 0n)
    this.receiver = new FlatReceiver(keys.clientToServer, this.maxPacket, 0n, PHASE)
    wipe(keys.serverToClient, keys.clientToServer)
    this.state = 'proof'
    const bytes = Buffer.concat([...server, encodeCommand(Cmd.SERVER_SIGNATURE, signature)])
    return [{ type: 'send', bytes }, ...this.drain()]
  }

  /** Received bytes not yet turned into commands. */
  get pendingInput(): number {
    return this.decoder.pending
  }

  /** Seals application data (only once authenticated). */
  write(data: Uint8Array): Uint8Array {
    if (this.state !== 'open' || !this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot send data before the client is authenticated')
    return this.sender.seal(data)
  }

  /** The END command (only once authenticated). */
  end(): Uint8Array {
    if (!this.sender || !this.account) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot end before the client is authenticated')
    return this.sender.end()
  }

  /** The ERROR command telling the client why the connection is being closed. */
  errorCommand(err: SecretChannelError): Uint8Array {
    return encodeCommand(Cmd.ERROR, Buffer.from(`${err.code} ${err.message}`.slice(0, 256), 'utf8'))
  }

  private decoySeed(label: string): Uint8Array {
    return hmac(sha256, this.decoySecret, Buffer.from(`${label}\u0000${this.interactive ? 'u' : 't'}\u0000${this.requested}`, 'utf8'))
  }

  private decoyKey(): Uint8Array {
    return getCryptoBackend().signKeyPairFromSeed(this.decoySeed('key')).publicKey
  }

  private decoyCertificate(publicKey: Uint8Array): Uint8Array {
    // Same layout as a real one (version, default KDF params, salt, nonce, sealed seed, public key),
    // filled with stable pseudo-random bytes so repeated queries give the same answer.
    const filler = Buffer.concat([this.decoySeed('c1'), this.decoySeed('c2'), this.decoySeed('c3'), this.decoySeed('c4')])
    return Buffer.concat([Uint8Array.of(1), encodeKdfParams(defaultKdfParams()), filler.subarray(0, 32 + 24 + 48), publicKey])
  }
}
