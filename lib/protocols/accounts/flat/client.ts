/**
 * The flat protocol's client side, sans-I/O.
 *
 * ```
 * start()          → CLIENT-NONCE, MAX-PACKET, USERNAME (interactive) | CERTIFICATE-ID (non-interactive)
 * server           ← MAX-PACKET (optional), CERTIFICATE (interactive), SESSION-KEY, SERVER-SIGNATURE
 * signature check  against the pinned server key, over the transcript
 * interactive      → action "unlock": the adapter opens the CERTIFICATE with the password, calls unlock()
 * both             open SESSION-KEY with the private key, → CLIENT-PROOF; data may follow at once
 * ```
 * An ERROR from the server at any point becomes a thrown error carrying the server's code.
 * @module
 */
import { getCryptoBackend } from '../../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import type { ErrorCode } from '../../../errors.js'
import { assertKeyPair } from '../../../keys.js'
import type { KeyPair } from '../../../keys.js'
import { ENCODED_SEALED_KEY_BYTES, decodeSealedKey } from '../sealed-key.js'
import type { SealedPrivateKey } from '../sealed-key.js'
import { SEALED_BOX_OVERHEAD, openSealed } from '../sealed-box.js'
import { assertUserID } from '../user-id.js'
import { FlatReceiver, FlatSender } from './channel.js'
import { Cmd, CommandDecoder, DEFAULT_MAX_PACKET, encodeCommand, readU32, u32 } from './commands.js'
import type { Command, CommandLimits } from './commands.js'
import { directionalKeys, serverSignedBytes, transcriptHash } from './keys.js'
import { assertMaxPacket } from './server.js'

const PHASE = 'flat client'
const ERROR_LIMIT: readonly [number, number] = [0, 256]

/**
 * What the client asks the adapter to do.
 * @example
 * ```ts
 * const actions: accounts.FlatClientAction[] = machine.receive(bytes)
 * for (const action of actions) {
 *   if (action.type === 'send') socket.write(action.bytes)
 * }
 * ```
 */
export type FlatClientAction =
  | { type: 'send', bytes: Uint8Array }
  | { type: 'unlock', sealed: SealedPrivateKey, publicKey: Uint8Array }
  | { type: 'authenticated', maxPacket: number }
  | { type: 'data', data: Uint8Array }
  | { type: 'end' }

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
}

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
export class FlatClientMachine {
  private state: 'new' | 'max' | 'certificate' | 'session-key' | 'signature' | 'unlocking' | 'open' | 'closed' = 'new'
  private readonly decoder = new CommandDecoder(PHASE)
  private readonly serverPublicKey: Uint8Array
  private readonly username: string | undefined
  private readonly keyPair: KeyPair | undefined
  private readonly ownMax: number
  private readonly clientCommands: Uint8Array[] = []
  private readonly serverCommands: Uint8Array[] = []
  private certificate: { sealed: SealedPrivateKey, publicKey: Uint8Array } | null = null
  private sessionBox: Uint8Array | null = null
  private transcript: Uint8Array | null = null
  private sender: FlatSender | null = null
  private receiver: FlatReceiver | null = null
  /** The negotiated MAX-PACKET. */
  maxPacket: number

  /** @param options - see {@link FlatClientOptions} */
  constructor(options: FlatClientOptions) {
    if (!(options.serverPublicKey instanceof Uint8Array) || options.serverPublicKey.length !== 32) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'serverPublicKey must be 32 bytes')
    }
    if ((options.username === undefined) === (options.keyPair === undefined)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'give exactly one of username (interactive) and keyPair (non-interactive)')
    }
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
    return this.state === 'open'
  }

  /** The opening commands to send. */
  start(): Uint8Array {
    if (this.state !== 'new') throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'start() called twice')
    const crypto = getCryptoBackend()
    this.clientCommands.push(encodeCommand(Cmd.CLIENT_NONCE, crypto.randomBytes(32)), encodeCommand(Cmd.MAX_PACKET, u32(this.ownMax)))
    this.clientCommands.push(this.username !== undefined
      ? encodeCommand(Cmd.USERNAME, Buffer.from(this.username, 'utf8'))
      : encodeCommand(Cmd.CERTIFICATE_ID, crypto.sha256(this.keyPair!.publicKey)))
    this.state = 'max'
    return Buffer.concat(this.clientCommands)
  }

  private limits(): CommandLimits {
    const m = new Map<number, readonly [number, number]>([[Cmd.ERROR, ERROR_LIMIT]])
    const cert: readonly [number, number] = [ENCODED_SEALED_KEY_BYTES, ENCODED_SEALED_KEY_BYTES]
    const key: readonly [number, number] = [SEALED_BOX_OVERHEAD + 32, SEALED_BOX_OVERHEAD + 32]
    switch (this.state) {
      case 'max':
        m.set(Cmd.MAX_PACKET, [4, 4])
        if (this.interactive) m.set(Cmd.CERTIFICATE, cert)
        else m.set(Cmd.SESSION_KEY, key)
        return m
      case 'certificate': return m.set(Cmd.CERTIFICATE, cert)
      case 'session-key': return m.set(Cmd.SESSION_KEY, key)
      case 'signature': return m.set(Cmd.SERVER_SIGNATURE, [64, 64])
      case 'open': {
        for (const [op, b] of this.receiver!.limits()) m.set(op, b)
        return m
      }
      default: return new Map()
    }
  }

  /** Feeds received bytes. */
  receive(chunk: Uint8Array): FlatClientAction[] {
    if (this.state === 'new' || this.state === 'closed') throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'receive() before start() or after a failure')
    this.decoder.push(chunk)
    return this.drain()
  }

  private drain(): FlatClientAction[] {
    const actions: FlatClientAction[] = []
    try {
      while (this.state !== 'unlocking' && this.state !== 'closed') {
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

  private handle(cmd: Command, actions: FlatClientAction[]): void {
    if (cmd.op === Cmd.ERROR) {
      const said = Buffer.from(cmd.value).toString('utf8').replace(/[^\x20-\x7e]/g, '?')
      const code = (Object.values(ErrorCodes) as string[]).find((c) => said.startsWith(`${c} `)) as ErrorCode | undefined
      throw new SecretChannelError(code ?? ErrorCodes.PROTOCOL, PHASE, `the server refused: ${said}`)
    }
    if (this.state === 'open') {
      const got = this.receiver!.receive(cmd)
      if (got) actions.push(got.type === 'data' ? { type: 'data', data: got.data } : { type: 'end' })
      return
    }
    if (cmd.op !== Cmd.SERVER_SIGNATURE) this.serverCommands.push(encodeCommand(cmd.op, cmd.value))
    switch (cmd.op) {
      case Cmd.MAX_PACKET:
        this.maxPacket = Math.min(this.ownMax, assertMaxPacket(readU32(cmd.value), PHASE, ErrorCodes.PROTOCOL))
        this.state = this.interactive ? 'certificate' : 'session-key'
        return
      case Cmd.CERTIFICATE:
        this.certificate = decodeSealedKey(cmd.value, PHASE)
        this.state = 'session-key'
        return
      case Cmd.SESSION_KEY:
        this.sessionBox = Uint8Array.from(cmd.value)
        this.state = 'signature'
        return
      case Cmd.SERVER_SIGNATURE: {
        this.transcript = transcriptHash(this.clientCommands, this.serverCommands)
        if (!getCryptoBackend().verify(cmd.value, serverSignedBytes(this.transcript), this.serverPublicKey)) {
          throw new SecretChannelError(ErrorCodes.SERVER_KEY_MISMATCH, PHASE, 'the server did not sign the session with the expected key')
        }
        if (this.interactive) {
          this.state = 'unlocking'
          actions.push({ type: 'unlock', sealed: this.certificate!.sealed, publicKey: this.certificate!.publicKey })
        } else {
          actions.push(...this.finish(this.keyPair!))
        }
        return
      }
      default:
        throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, 'unexpected command')
    }
  }

  /**
   * Interactive logins: hands over the key pair the adapter unlocked from the CERTIFICATE.
   * Returns the proof to send and whatever buffered input now yields.
   */
  unlock(keyPair: KeyPair): FlatClientAction[] {
    if (this.state !== 'unlocking') throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'unlock() is only for an interactive login waiting for it')
    if (!constantTimeEqual(keyPair.publicKey, this.certificate!.publicKey)) {
      this.state = 'closed'
      throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'the unlocked key is not the certificate\'s key')
    }
    try {
      return [...this.finish(keyPair), ...this.drain()]
    } catch (err) {
      this.state = 'closed'
      throw err
    }
  }

  private finish(keyPair: KeyPair): FlatClientAction[] {
    let sessionKey: Uint8Array
    try {
      sessionKey = openSealed(keyPair.secretKey, this.sessionBox!)
    } catch (err) {
      throw new SecretChannelError(ErrorCodes.UNAUTHORIZED, PHASE, 'the SESSION-KEY is not sealed to this account\'s key', { cause: err })
    }
    const keys = directionalKeys(sessionKey, this.transcript!)
    wipe(sessionKey)
    this.sender = new FlatSender(keys.clientToServer, this.maxPacket, 0n)
    this.receiver = new FlatReceiver(keys.serverToClient, this.maxPacket, 0n, PHASE)
    wipe(keys.clientToServer, keys.serverToClient)
    const proof = encodeCommand(Cmd.CLIENT_PROOF, this.sender.sealValue(this.transcript!))
    this.state = 'open'
    return [{ type: 'send', bytes: proof }, { type: 'authenticated', maxPacket: this.maxPacket }]
  }

  /** Received bytes not yet turned into commands. */
  get pendingInput(): number {
    return this.decoder.pending
  }

  /** Seals application data (only once authenticated). */
  write(data: Uint8Array): Uint8Array {
    if (this.state !== 'open' || !this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot send data before authentication')
    return this.sender.seal(data)
  }

  /** The END command. */
  end(): Uint8Array {
    if (!this.sender) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'cannot end before authentication')
    return this.sender.end()
  }
}
