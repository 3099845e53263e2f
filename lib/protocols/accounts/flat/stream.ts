/**
 * `FlatStream`: the flat session protocol over any duplex byte transport, as a streamx `Duplex`
 * that carries plaintext, shaped like `SecretStream` (`opened`, `'connect'`, `remotePublicKey`,
 * `end()` sends the authenticated END).
 *
 * Only an adapter: it owns I/O, timers, the async account lookup and the async password unlock;
 * every protocol decision is made by `FlatClientMachine` / `FlatServerMachine`.
 *
 * Memory: each application write becomes one buffer of packets (its size plus 83 bytes per
 * packet); reading is paused while the application does not read, so a transfer of any size runs
 * in memory bounded by the stream's high-water mark plus one packet.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import type { KeyPair } from '../../../keys.js'
import { unsealPrivateKey } from '../sealed-key.js'
import type { SealedPrivateKey } from '../sealed-key.js'
import { FlatClientMachine } from './client.js'
import type { FlatClientAction } from './client.js'
import { FlatServerMachine } from './server.js'
import type { FlatAccount, FlatServerAction } from './server.js'
import { RawStreamAdapter, type RawStream } from '../../../streams/raw-adapter.js'

/**
 * The duplex byte transport underneath: the same shape `SecretStream` accepts.
 * @example
 * ```ts
 * const raw: accounts.FlatRawStream = net.connect({ port: 9002, allowHalfOpen: true })
 * const session = new accounts.FlatStream(raw, { isInitiator: true, serverPublicKey: flatKey, keyPair })
 * ```
 */
export type FlatRawStream = RawStream

/**
 * Looks an account up for the server: by USERNAME (interactive) or by CERTIFICATE-ID (non-interactive).
 * @example
 * ```ts
 * const lookup: accounts.FlatLookup = (query) => query.by === 'username' ? findByName(query.username) : findByThumbprint(query.thumbprint)
 * ```
 */
export type FlatLookup = (query: { by: 'username', username: string } | { by: 'thumbprint', thumbprint: Uint8Array }) => FlatAccount | null | Promise<FlatAccount | null>

/**
 * Options for {@link FlatStream}.
 * @example
 * ```ts
 * const options: accounts.FlatStreamOptions = { isInitiator: false, keyPair: flatKeys, lookup }
 * const session = new accounts.FlatStream(socket, options)
 * ```
 */
export interface FlatStreamOptions {
  /** True on the dialing side (the client). */
  isInitiator: boolean
  /** Client: the server's public key (pinned). */
  serverPublicKey?: Uint8Array
  /** Client, interactive: the account name. */
  username?: string
  /** Client, interactive: the password that unlocks the CERTIFICATE. */
  password?: string | Uint8Array
  /** Client, interactive: custom unlock instead of `password` (e.g. a prompt). */
  unlock?: (sealed: SealedPrivateKey, publicKey: Uint8Array) => Promise<KeyPair>
  /** Client, non-interactive: the account's key pair. Server: the server's own key pair. */
  keyPair?: KeyPair
  /** Server: account lookup. */
  lookup?: FlatLookup
  /** MAX-PACKET this side announces. */
  maxPacket?: number
  /** Deadline for the login, in ms (default 30 000, long enough for a strong scrypt; 0 disables). */
  handshakeTimeout?: number
  /** Destroys the stream when it fires. */
  signal?: AbortSignal
  /** streamx high-water mark in bytes (default 16 KiB). */
  highWaterMark?: number
  /** Server: secret for decoy answers (see `FlatServerMachine`). */
  decoySecret?: Uint8Array
}

/**
 * An authenticated, encrypted flat-protocol session.
 * @example
 * ```ts
 * const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
 * const s = new FlatStream(socket, { isInitiator: true, serverPublicKey, username: 'alice', password })
 * await s.opened
 * s.write('hello'); s.end()
 * ```
 */
export class FlatStream extends RawStreamAdapter {
  /** True on the client. */
  readonly isInitiator: boolean
  /** Client: the server's key. Server: the authenticated account's key (null until then). */
  remotePublicKey: Buffer | null
  /** Server: the authenticated account name (null until then). */
  username: string | null = null
  /** Server: whether the login was interactive. */
  interactive = false
  /** The negotiated MAX-PACKET, once open. */
  maxPacket = 0

  private readonly client: FlatClientMachine | null
  private readonly server: FlatServerMachine | null
  private readonly lookup: FlatLookup | undefined
  private readonly unlockKey: ((sealed: SealedPrivateKey, publicKey: Uint8Array) => Promise<KeyPair>) | undefined
  private busy = false
  private pending: Buffer[] = []
  private sentEnd = false
  private gotEnd = false

  /**
   * @param rawStream - the transport
   * @param options - see {@link FlatStreamOptions}
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for missing or malformed options
   */
  constructor(rawStream: FlatRawStream, options: FlatStreamOptions) {
    const phase = options?.isInitiator ? 'flat client' : 'flat server'
    super(rawStream, { highWaterMark: options?.highWaterMark, signal: options?.signal, openTimeout: options?.handshakeTimeout ?? 30_000, trackWrites: true }, phase)
    this.isInitiator = options.isInitiator === true
    if (this.isInitiator) {
      this.client = new FlatClientMachine({ serverPublicKey: options.serverPublicKey!, username: options.username, keyPair: options.username === undefined ? options.keyPair : undefined, maxPacket: options.maxPacket })
      this.server = null
      const password = options.password
      this.unlockKey = options.unlock ?? (password === undefined ? undefined : (sealed, publicKey) => unsealPrivateKey(sealed, password, publicKey))
      if (options.username !== undefined && !this.unlockKey) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'an interactive login needs password or unlock')
      this.remotePublicKey = Buffer.from(options.serverPublicKey!)
    } else {
      if (typeof options.lookup !== 'function') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'the server needs a lookup function')
      this.server = new FlatServerMachine({ keyPair: options.keyPair!, maxPacket: options.maxPacket, decoySecret: options.decoySecret })
      this.client = null
      this.lookup = options.lookup
      this.remotePublicKey = null
    }
    this.begin()
    if (this.client && !this.destroying) this.send(this.client.start())
  }

  /**
   * Bytes this session holds right now: undecoded input, readable and writable queues, and what
   * the transport has not yet sent. Stays within a few packets however much data flows.
   */
  get bufferedBytes(): number {
    const machine = this.client ?? this.server!
    const raw = (this.rawStream as { writableLength?: number }).writableLength ?? 0
    return machine.pendingInput + this.readableBuffered + this.writableBuffered + raw + this.pending.reduce((n, b) => n + b.length, 0)
  }

  protected phaseName(): string {
    return `flat ${this.isInitiator ? 'client' : 'server'}${this.isOpen ? '' : ' login'}`
  }

  protected override openTimeoutError(ms: number): Error {
    return new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, this.phaseName(), `the login did not finish within ${ms} ms`)
  }

  private send(bytes: Uint8Array): boolean {
    return this.writeRaw(bytes)
  }

  protected receive(chunk: Buffer): void {
    if (this.busy) {
      // An async lookup or unlock is running: hold input until the machine can take it.
      this.pending.push(chunk)
      if (this.pending.reduce((n, b) => n + b.length, 0) > 64 * 1024) {
        this.destroy(new SecretChannelError(ErrorCodes.PROTOCOL, this.phaseName(), 'the peer sent too much before the login finished'))
      }
      return
    }
    try {
      this.act(this.client ? this.client.receive(chunk) : this.server!.receive(chunk))
    } catch (err) {
      this.fail(err as Error)
    }
  }

  protected receiveEnd(): void {
    if (this.gotEnd) return
    const detail = this.isOpen ? 'the transport ended before the peer\'s END' : 'the peer hung up before the login completed'
    this.failAfterRead(new SecretChannelError(ErrorCodes.TRUNCATED, this.phaseName(), detail))
  }

  protected override receiveClose(): void {
    if (this.gotEnd && this.sentEnd) return
    if (this.gotEnd) return
    this.failAfterRead(new SecretChannelError(ErrorCodes.TRUNCATED, this.phaseName(), 'the transport closed before both sides ended'))
  }

  protected finishedCleanly(): boolean {
    return this.sentEnd && this.gotEnd
  }

  private act(actions: Array<FlatClientAction | FlatServerAction>): void {
    for (const a of actions) {
      if (this.destroying || this.failing) return
      switch (a.type) {
        case 'send': this.send(a.bytes); break
        case 'data':
          if (!this.push(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))) this.pauseRaw()
          break
        case 'end':
          this.gotEnd = true
          this.push(null)
          this.releaseIfDone()
          break
        case 'authenticated': this.authenticated(a); break
        case 'lookup': this.runAsync(async () => this.server!.resolve(await this.lookupAccount(a))); break
        case 'unlock': this.runAsync(async () => this.client!.unlock(await this.unlockKey!(a.sealed, a.publicKey))); break
      }
    }
  }

  private async lookupAccount(a: FlatServerAction & { type: 'lookup' }): Promise<FlatAccount | null> {
    try {
      return await this.lookup!(a.by === 'username' ? { by: 'username', username: a.username } : { by: 'thumbprint', thumbprint: a.thumbprint })
    } catch (err) {
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, this.phaseName(), 'the account lookup failed', { cause: err })
    }
  }

  private runAsync(step: () => Promise<Array<FlatClientAction | FlatServerAction>>): void {
    this.busy = true
    step().then((actions) => {
      this.busy = false
      if (this.destroying) return
      this.act(actions)
      const held = this.pending
      this.pending = []
      for (const chunk of held) this.receive(chunk)
    }, (err: Error) => {
      this.busy = false
      this.fail(err)
    })
  }

  private authenticated(a: FlatClientAction | FlatServerAction): void {
    if (a.type !== 'authenticated') return
    if ('username' in a) {
      this.username = a.username
      this.remotePublicKey = Buffer.from(a.publicKey)
      this.interactive = a.interactive
      this.maxPacket = this.server!.maxPacket
    } else {
      this.maxPacket = a.maxPacket
    }
    this.markOpen()
    this.emit('connect')
  }

  private fail(err: Error): void {
    if (this.destroying) return
    const e = err instanceof SecretChannelError ? err : new SecretChannelError(ErrorCodes.PROTOCOL, this.phaseName(), err?.message ?? String(err), { cause: err })
    // The server tells the client why before hanging up (never anything secret: codes and phases
    // only), then lets the transport go: flushed, ended, destroyed after a grace whatever the peer does.
    if (this.server && this.rawWritable()) {
      this.send(this.server.errorCommand(e))
      this.releaseGracefully()
    }
    this.destroy(e)
  }

  private releaseIfDone(): void {
    if (this.finishedCleanly()) {
      this.clearIdleTimer()
      this.releaseGracefully()
    }
  }

  /** streamx: the application wants more; let the transport flow. */
  override _read(cb: (err: Error | null) => void): void {
    this.resumeRaw()
    cb(null)
  }

  /** streamx: one write becomes one buffer of packets. */
  override _write(data: Buffer, cb: (err: Error | null) => void): void {
    this.takeUnsent(1)
    if (!(data instanceof Uint8Array)) return cb(new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, this.phaseName(), 'writes must be Buffers, Uint8Arrays or strings'))
    if (data.length === 0) return cb(null)
    let wire: Uint8Array
    try {
      wire = this.client ? this.client.write(data) : this.server!.write(data)
    } catch (err) {
      return cb(err as Error)
    }
    this.writeRawThen(wire, cb)
  }

  /** streamx: send END; the transport ends once both sides have. */
  override _final(cb: (err: Error | null) => void): void {
    try {
      this.send(this.client ? this.client.end() : this.server!.end())
    } catch (err) {
      return cb(err as Error)
    }
    this.sentEnd = true
    this.releaseIfDone()
    cb(null)
  }

  protected override onTeardown(reason: () => Error, byOwner: boolean): void {
    super.onTeardown(reason, byOwner)
    this.pending = []
  }
}
