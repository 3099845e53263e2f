/**
 * `SecretStream`: the secret handshake and box-stream over any duplex byte transport, as a streamx
 * `Duplex` that carries plaintext.
 *
 * This file is only an adapter. It owns the I/O, the timers and the buffering; every protocol
 * decision is made by the sans-I/O machines in `lib/handshake` and `lib/boxstream`.
 *
 * Lifecycle:
 * ```
 * constructed ── handshake (deadline, AbortSignal) ──> open: 'connect', `opened` resolves
 *      │                                                 │  end()  -> our goodbye
 *      └── any failure: destroy(typed error) <───────────┤  peer's goodbye -> readable ends
 *                                                        └─ both goodbyes -> transport ended, closed
 * ```
 * @module
 */
import { Duplex, type DuplexEvents } from 'streamx'
import { ClientHandshake } from '../handshake/client.js'
import { ServerHandshake } from '../handshake/server.js'
import { Phase } from '../handshake/layout.js'
import type { SessionKeys } from '../handshake/session.js'
import { BoxDecoder } from '../boxstream/decoder.js'
import { BoxEncoder } from '../boxstream/encoder.js'
import { encodedLength } from '../boxstream/layout.js'
import { allocBuffer } from '../boxstream/slab.js'
import { iterateUntilEnd } from './iterate-until-end.js'
import { ChunkQueue } from './chunk-queue.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { assertKeyPair, formatId, type KeyPair } from '../keys.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { wipe } from '../crypto/policy.js'

/**
 * The default whole-handshake deadline, in milliseconds.
 * @example
 * ```ts
 * new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey, handshakeTimeout: 2 * DEFAULT_HANDSHAKE_TIMEOUT })
 * ```
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000

/** Most bytes a peer may send us before the handshake is over (the largest message is 112 bytes). */
const MAX_HANDSHAKE_BUFFER = 64 * 1024

/**
 * Decides whether a client may connect. Receives the client's proven long-term public key.
 * Return (or resolve to) a truthy value to accept — it is exposed as `stream.auth` — or a falsy
 * value / throw to refuse; the server then hangs up without ever proving who it is.
 * @example
 * ```ts
 * const authorize: Authorize = async (key) => (await db.lookup(formatId(key))) ?? false // truthy admits; kept as stream.auth
 * ```
 */
export type Authorize = (remotePublicKey: Buffer) => unknown

/**
 * The duplex byte transport under a {@link SecretStream}: a `net.Socket`, a pipe, any Node or streamx duplex.
 * @example
 * ```ts
 * const raw: RawStream = net.connect({ host, port, allowHalfOpen: true }) // or any Node, streamx or web duplex
 * const stream = new SecretStream(raw, { isInitiator: true, keyPair, appKey, remotePublicKey })
 * ```
 */
export interface RawStream {
  write(data: Uint8Array): boolean
  end(...args: any[]): unknown
  destroy(err?: Error): unknown
  on(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  pause?(): unknown
  resume?(): unknown
  destroyed?: boolean
  writableEnded?: boolean
}

/**
 * Options for {@link SecretStream}.
 * @example
 * ```ts
 * const options: SecretStreamOptions = { isInitiator: true, keyPair, appKey, remotePublicKey: serverKey, handshakeTimeout: 5000 }
 * const stream = new SecretStream(socket, options)
 * ```
 */
export interface SecretStreamOptions {
  /** True on the side that dials (the SHS1 client). */
  isInitiator: boolean
  /** Our long-term Ed25519 key pair. */
  keyPair: KeyPair
  /** 32-byte app key (network identifier); both sides must use the same one. */
  appKey: Uint8Array
  /** The server's long-term public key. Required for the initiator, who must know whom it dials. */
  remotePublicKey?: Uint8Array
  /** Server only: admission decision, see {@link Authorize}. Without it every client that knows our key is admitted. */
  authorize?: Authorize
  /** Whole-handshake deadline in milliseconds (default {@link DEFAULT_HANDSHAKE_TIMEOUT}; 0 disables it). */
  handshakeTimeout?: number
  /** Aborts the handshake, or destroys the open channel, when it fires. */
  signal?: AbortSignal
  /**
   * Open channel only: destroy it with `ERR_IDLE_TIMEOUT` after this many milliseconds without a
   * byte received or sent (default 0: no idle timeout). The handshake has its own deadline.
   */
  idleTimeout?: number
  /** streamx high-water mark for both sides, in bytes (default 16 KiB). */
  highWaterMark?: number
  /** Crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
  /** Test vectors only: a fixed ephemeral X25519 secret. */
  ephemeralSecretKey?: Uint8Array
}

type Handshake = ClientHandshake | ServerHandshake

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function mapWritable(data: unknown): unknown {
  return typeof data === 'string' ? Buffer.from(data) : data
}

const noop = (): void => {}

/**
 * The events of a {@link SecretStream}: streamx's, with plaintext typed, plus `'connect'`.
 * @example
 * ```ts
 * stream.on('connect', () => console.log('open:', formatId(stream.remotePublicKey!)))
 * stream.on('error', (err) => console.error(err.message))
 * ```
 */
export interface SecretStreamEvents extends DuplexEvents {
  /** A chunk of authenticated plaintext. */
  data: [data: Buffer]
  /** The handshake succeeded; `remotePublicKey` (and on a server, `auth`) are set. */
  connect: []
}

/**
 * A mutually authenticated, encrypted channel over `rawStream`.
 *
 * @example
 * ```ts
 * const socket = net.connect({ port, host, allowHalfOpen: true })
 * const channel = new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey: serverKey })
 * await channel.opened
 * channel.write('hello')
 * channel.end() // sends the goodbye
 * ```
 */
export class SecretStream extends Duplex<SecretStreamEvents> {
  /** The transport underneath. */
  readonly rawStream: RawStream
  /** True on the dialing side. */
  readonly isInitiator: boolean
  /** Our long-term public key. */
  readonly publicKey: Buffer
  /** The peer's long-term public key: known up front on the initiator, proven after the handshake on both sides. */
  remotePublicKey: Buffer | null
  /** Server only: what `authorize` returned for this client. */
  auth: unknown = undefined
  /** Resolves when the handshake succeeded; rejects with the typed error when it failed. */
  readonly opened: Promise<void>
  /** Milliseconds the handshake took, once open. */
  handshakeDuration = 0

  private readonly crypto: CryptoBackend
  private handshake: Handshake | null
  private readonly authorize: Authorize | undefined
  private encoder: BoxEncoder | null = null
  private decoder: BoxDecoder | null = null
  /** Handshake bytes received but not yet consumed. */
  private readonly pendingInput = new ChunkQueue()
  private authorizing = false
  private handshakeTimer: ReturnType<typeof setTimeout> | null = null
  private readonly idleTimeout: number
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  private endCalled = false
  private destroyedByOwner = false
  private readonly signal: AbortSignal | undefined
  private openCallback: ((err: Error | null) => void) | null = null
  private drainCallback: ((err: Error | null) => void) | null = null
  private resolveOpened: () => void = noop
  private rejectOpened: (err: Error) => void = noop
  private isOpen = false
  private sentGoodbye = false
  private rawEnded = false
  private rawFinished = false
  private readonly startedAt = Date.now()

  private readonly onRawData = (chunk: Uint8Array | string): void => this.receive(typeof chunk === 'string' ? Buffer.from(chunk) : toBuffer(chunk))
  private readonly onRawEnd = (): void => this.receiveEnd()
  private readonly onRawError = (err: Error): void => {
    this.destroy(new SecretChannelError(ErrorCodes.TRANSPORT, this.phaseName(), `the transport failed: ${err?.message ?? err}`, { cause: err }))
  }
  private readonly onRawClose = (): void => {
    if (this.destroying) return
    if (this.decoder?.ended && (this.sentGoodbye || this.rawEnded)) return
    this.destroy(this.truncation('the transport closed'))
  }
  private readonly onRawDrain = (): void => {
    const cb = this.drainCallback
    this.drainCallback = null
    if (cb) cb(null)
  }
  private readonly onAbort = (): void => {
    const reason = this.signal?.reason
    this.destroy(new SecretChannelError(ErrorCodes.ABORTED, this.phaseName(), 'aborted by the AbortSignal', { cause: reason }))
  }

  /**
   * @param rawStream - the transport; for `net.Socket`s, create them with `allowHalfOpen: true`
   *   so each direction can say goodbye on its own
   * @param options - see {@link SecretStreamOptions}
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for missing or malformed options
   */
  constructor(rawStream: RawStream, options: SecretStreamOptions) {
    const opts = options ?? ({} as SecretStreamOptions)
    super({ eagerOpen: true, mapWritable, highWaterMark: opts.highWaterMark } as any)
    if (!rawStream || typeof rawStream.write !== 'function' || typeof rawStream.on !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'rawStream must be a duplex stream')
    }
    if (typeof opts.isInitiator !== 'boolean') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'isInitiator must be true or false')
    }
    const keyPair = assertKeyPair(opts.keyPair)
    if (opts.authorize !== undefined && typeof opts.authorize !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'authorize must be a function')
    }
    const timeout = opts.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'handshakeTimeout must be a number of milliseconds >= 0')
    }
    const idle = opts.idleTimeout ?? 0
    if (typeof idle !== 'number' || !(idle >= 0)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'idleTimeout must be a number of milliseconds >= 0')
    }
    this.idleTimeout = idle
    this.rawStream = rawStream
    this.isInitiator = opts.isInitiator
    this.publicKey = toBuffer(keyPair.publicKey)
    this.crypto = opts.crypto ?? getCryptoBackend()
    this.authorize = opts.authorize
    this.signal = opts.signal

    if (opts.isInitiator) {
      if (!(opts.remotePublicKey instanceof Uint8Array)) {
        throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'the initiator must give remotePublicKey (the server key it dials)')
      }
      this.handshake = new ClientHandshake({ appKey: opts.appKey, keyPair, serverPublicKey: opts.remotePublicKey, crypto: this.crypto, ephemeralSecretKey: opts.ephemeralSecretKey })
      this.remotePublicKey = Buffer.from(opts.remotePublicKey)
    } else {
      this.handshake = new ServerHandshake({ appKey: opts.appKey, keyPair, crypto: this.crypto, ephemeralSecretKey: opts.ephemeralSecretKey })
      this.remotePublicKey = null
    }

    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve
      this.rejectOpened = reject
    })
    // Nobody is obliged to await `opened`; a failure is also reported through 'error'.
    this.opened.catch(noop)

    rawStream.on('data', this.onRawData)
    rawStream.on('end', this.onRawEnd)
    rawStream.on('error', this.onRawError)
    rawStream.on('close', this.onRawClose)
    rawStream.on('drain', this.onRawDrain)

    if (this.signal) {
      if (this.signal.aborted) {
        queueMicrotask(this.onAbort)
        return
      }
      this.signal.addEventListener('abort', this.onAbort, { once: true })
    }
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = null
        this.destroy(new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, this.phaseName(), `the handshake did not finish within ${timeout} ms`))
      }, timeout)
    }
    if (this.handshake instanceof ClientHandshake) this.sendRaw(this.handshake.createHello())
  }

  /**
   * Ends our direction: queued writes go out, then the goodbye. Optional final data or a
   * 'finish' callback, as on any writable.
   */
  override end(data?: Buffer | Uint8Array | string | (() => void)): this {
    this.endCalled = true
    return super.end(data)
  }

  /**
   * Queues plaintext. Returns false when the caller should wait for 'drain'.
   * @throws SecretChannelError `ERR_INVALID_STATE` after {@link end}: the bytes could never be
   *   sent (streamx alone would drop them silently)
   */
  override write(data: Buffer | Uint8Array | string): boolean {
    if (this.endCalled && !this.destroying) {
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, 'box-stream', 'write after end(): the goodbye is already queued')
    }
    return super.write(data)
  }

  /**
   * Iterates the plaintext until the peer's goodbye. streamx's own iterator waits for 'close',
   * which on a duplex only comes once our side has ended too; a channel must be readable to the
   * end while we still write (an echo loop), so this one finishes on 'end'. Breaking out of the
   * loop destroys the stream, as with Node streams.
   */
  override [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return iterateUntilEnd(this, () => new SecretChannelError(ErrorCodes.ABORTED, this.phaseName(), 'the stream was destroyed before the peer finished'))
  }


  /**
   * Tears the channel down at once: no goodbye is sent, so the peer sees a truncation. With `err`,
   * emits it as 'error'; without, just closes (and `opened`, if pending, rejects with `ERR_ABORTED`).
   */
  override destroy(err?: Error | null): void {
    if (!err && !this.destroying) this.destroyedByOwner = true
    super.destroy(err ?? undefined)
  }

  /** streamx: resolves once the handshake is over. */
  override _open(cb: (err: Error | null) => void): void {
    if (this.isOpen) cb(null)
    else this.openCallback = cb
  }

  /** streamx: the application wants more plaintext; let the transport flow again. */
  override _read(cb: (err: Error | null) => void): void {
    this.rawStream.resume?.()
    cb(null)
  }

  /** streamx: every queued write is framed into one buffer and handed to the transport at once. */
  override _writev(batch: Buffer[], cb: (err: Error | null) => void): void {
    const encoder = this.encoder
    if (!encoder) return cb(new SecretChannelError(ErrorCodes.INVALID_STATE, 'box-stream', 'write before the handshake finished'))
    let total = 0
    for (const data of batch) {
      if (!(data instanceof Uint8Array)) return cb(new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'box-stream', 'writes must be Buffers, Uint8Arrays or strings'))
      total += encodedLength(data.length)
    }
    if (total === 0) return cb(null)
    const wire = allocBuffer(total)
    let at = 0
    for (const data of batch) at += encoder.encodeInto(data, wire, at)
    if (this.sendRaw(wire)) cb(null)
    else this.drainCallback = cb
  }

  /** streamx: our side is done; send the goodbye. The transport ends once both sides said goodbye. */
  override _final(cb: (err: Error | null) => void): void {
    if (this.encoder && !this.encoder.ended && this.rawWritable()) this.sendRaw(this.encoder.goodbye())
    this.sentGoodbye = true
    this.endRawIfDone()
    cb(null)
  }

  /** streamx: release everything synchronously, before the final `_destroy`. */
  override _predestroy(): void {
    const err = this.destroyError()
    this.clearHandshakeTimer()
    this.clearIdleTimer()
    this.signal?.removeEventListener('abort', this.onAbort)
    if (this.handshake) {
      this.handshake.destroy()
      this.handshake = null
    }
    this.encoder?.destroy()
    this.decoder?.destroy()
    this.pendingInput.drain()
    if (!this.isOpen) this.rejectOpened(err)
    const open = this.openCallback
    this.openCallback = null
    if (open) open(err)
    const drain = this.drainCallback
    this.drainCallback = null
    if (drain) drain(err)
  }

  /** streamx: detach from the transport; tear it down unless both sides finished cleanly. */
  override _destroy(cb: (err: Error | null) => void): void {
    this._predestroy()
    const raw = this.rawStream
    raw.removeListener('data', this.onRawData)
    raw.removeListener('end', this.onRawEnd)
    raw.removeListener('close', this.onRawClose)
    raw.removeListener('drain', this.onRawDrain)
    raw.removeListener('error', this.onRawError)
    // The transport may still report an error after we let go; never let that crash the process.
    raw.on('error', noop)
    const clean = this.sentGoodbye && this.decoder?.ended === true
    if (clean) this.endRawIfDone()
    else if (!raw.destroyed) raw.destroy()
    cb(null)
  }

  private destroyError(): Error {
    const state = (this as any)._readableState ?? (this as any)._writableState
    const err = state?.error
    // destroy() without an error: streamx records its own untyped StreamError; report ours instead.
    if (this.destroyedByOwner || !(err instanceof Error)) return new SecretChannelError(ErrorCodes.ABORTED, this.phaseName(), 'the stream was destroyed')
    return err
  }

  private phaseName(): string {
    if (this.isOpen) return 'box-stream'
    const hs = this.handshake
    if (!hs) return Phase.HANDSHAKE
    switch (hs.phase) {
      case 'await-hello':
        return hs instanceof ClientHandshake ? Phase.SERVER_HELLO : Phase.CLIENT_HELLO
      case 'await-auth':
        return Phase.CLIENT_AUTH
      case 'authorize':
        return Phase.CLIENT_AUTH
      case 'await-accept':
        return Phase.SERVER_ACCEPT
      default:
        return Phase.HANDSHAKE
    }
  }

  /** Any traffic after the handshake postpones the idle deadline. */
  private touch(): void {
    this.idleTimer?.refresh()
  }

  private startIdleTimer(): void {
    if (this.idleTimeout <= 0 || this.destroying) return
    const ms = this.idleTimeout
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      this.destroy(new SecretChannelError(ErrorCodes.IDLE_TIMEOUT, 'box-stream', `no traffic for ${ms} ms`))
    }, ms)
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
  }

  private rawWritable(): boolean {
    return !this.rawStream.destroyed && !this.rawStream.writableEnded && !this.rawFinished
  }

  private sendRaw(bytes: Uint8Array): boolean {
    this.touch()
    return this.rawStream.write(toBuffer(bytes)) !== false
  }

  /** Ends the transport once both goodbyes are through, so a peer socket without half-open support never cuts us short. */
  private endRawIfDone(): void {
    if (this.sentGoodbye && this.decoder?.ended && !this.rawFinished) {
      this.rawFinished = true
      this.clearIdleTimer()
      if (!this.rawStream.writableEnded && !this.rawStream.destroyed) this.rawStream.end()
    }
  }

  private receive(chunk: Buffer): void {
    if (this.destroying) return
    this.touch()
    if (this.decoder) return this.decode(chunk)
    this.pendingInput.push(chunk)
    if (this.pendingInput.length > MAX_HANDSHAKE_BUFFER) {
      this.destroy(new SecretChannelError(ErrorCodes.PROTOCOL, this.phaseName(), 'the peer sent more data than the handshake allows'))
      return
    }
    this.advanceHandshake()
  }

  private advanceHandshake(): void {
    try {
      while (this.handshake && !this.authorizing && !this.destroying) {
        const hs = this.handshake
        const message = this.pendingInput.take(hs.expectedLength)
        if (!message) return
        if (hs instanceof ClientHandshake) {
          if (hs.phase === 'await-hello') {
            hs.receiveHello(message)
            this.sendRaw(hs.createAuth())
          } else {
            this.complete(hs.receiveAccept(message))
          }
        } else if (hs.phase === 'await-hello') {
          hs.receiveHello(message)
          this.sendRaw(hs.createHello())
        } else {
          this.authorizeClient(hs, hs.receiveAuth(message))
        }
      }
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  private authorizeClient(hs: ServerHandshake, clientKey: Uint8Array): void {
    const remote = Buffer.from(clientKey)
    if (!this.authorize) return this.accept(hs, true)
    this.authorizing = true
    const refuse = (cause?: unknown): void => {
      if (this.destroying) return
      if (hs.phase === 'authorize') hs.reject()
      this.destroy(new SecretChannelError(ErrorCodes.UNAUTHORIZED, Phase.CLIENT_AUTH, `client ${formatId(remote)} is not authorized`, cause === undefined ? undefined : { cause }))
    }
    let verdict: unknown
    try {
      verdict = this.authorize(remote)
    } catch (err) {
      return refuse(err)
    }
    const decide = (value: unknown): void => {
      this.authorizing = false
      if (this.destroying) return
      if (!value) return refuse()
      try {
        this.accept(hs, value)
        this.advanceHandshake()
      } catch (err) {
        this.destroy(err as Error)
      }
    }
    if (verdict && typeof (verdict as Promise<unknown>).then === 'function') {
      ;(verdict as Promise<unknown>).then(decide, (err) => {
        this.authorizing = false
        refuse(err)
      })
    } else {
      decide(verdict)
    }
  }

  private accept(hs: ServerHandshake, auth: unknown): void {
    this.auth = auth
    const { message, session } = hs.createAccept()
    this.sendRaw(message)
    this.complete(session)
  }

  private complete(session: SessionKeys): void {
    this.encoder = new BoxEncoder(session.encryptKey, session.encryptNonce, this.crypto)
    this.decoder = new BoxDecoder(session.decryptKey, session.decryptNonce, this.crypto)
    this.remotePublicKey = Buffer.from(session.remotePublicKey)
    wipe(session.encryptKey, session.decryptKey)
    this.handshake = null
    this.isOpen = true
    this.handshakeDuration = Date.now() - this.startedAt
    this.clearHandshakeTimer()
    this.startIdleTimer()
    const rest = this.pendingInput.drain()
    this.resolveOpened()
    const open = this.openCallback
    this.openCallback = null
    if (open) open(null)
    this.emit('connect')
    for (const chunk of rest) this.decode(chunk)
    if (this.rawEnded && !this.destroying) this.receiveEnd()
  }

  private readonly onPlaintext = (plain: Buffer): void => {
    if (!this.push(plain)) this.rawStream.pause?.()
  }

  private decode(chunk: Buffer): void {
    const decoder = this.decoder!
    if (decoder.ended) return
    try {
      decoder.pushCoalesced(chunk, this.onPlaintext)
    } catch (err) {
      this.destroy(err as Error)
      return
    }
    if (decoder.ended) {
      this.push(null)
      this.endRawIfDone()
    }
  }

  private truncation(what: string): SecretChannelError {
    if (!this.isOpen) {
      const hs = this.handshake
      if (hs instanceof ClientHandshake && hs.phase === 'await-accept') {
        return new SecretChannelError(ErrorCodes.UNAUTHORIZED, Phase.SERVER_ACCEPT, `${what} after we authenticated: the server refused us, or it does not hold the key we dialed (wrong number)`)
      }
      if (hs instanceof ClientHandshake && hs.phase === 'await-hello') {
        return new SecretChannelError(ErrorCodes.TRUNCATED, Phase.SERVER_HELLO, `${what} before the server hello: the server may be on another network (wrong app key) or not speak SHS1`)
      }
      return new SecretChannelError(ErrorCodes.TRUNCATED, this.phaseName(), `${what} before the handshake finished`)
    }
    try {
      this.decoder!.end()
    } catch (err) {
      return err as SecretChannelError
    }
    return new SecretChannelError(ErrorCodes.TRUNCATED, 'box-stream', `${what} before we finished sending`)
  }

  private receiveEnd(): void {
    this.rawEnded = true
    if (this.destroying) return
    if (!this.isOpen) {
      if (this.authorizing) return // the client may half-close while we decide; the outcome is ours
      this.destroy(this.truncation('the transport ended'))
      return
    }
    if (this.decoder!.ended) return
    this.destroy(this.truncation('the transport ended'))
  }
}
