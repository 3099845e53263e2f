/**
 * `SecretStream`: the secret handshake and box-stream over any duplex byte transport, as a streamx
 * `Duplex` that carries plaintext.
 *
 * A thin composition: the {@link HandshakeDriver} decides every handshake step, the box-stream
 * encoder and decoder frame the data, and the adapter base ({@link RawStreamAdapter}) owns the
 * transport, the timers, the pending callbacks and the teardown.
 *
 * Lifecycle:
 * ```
 * constructed ── handshake (deadline, AbortSignal) ──> open: 'connect', `opened` resolves
 *      │                                                 │  end()  -> our goodbye
 *      └── any failure: destroy(typed error) <───────────┤  peer's goodbye -> readable ends
 *          (after the app read every authenticated byte) └─ both goodbyes -> transport ended, then destroyed after a grace
 * ```
 * @module
 */
import type { DuplexEvents } from 'streamx'
import { HandshakeDriver, Phase, type DriverOutput, type SessionKeys } from '../handshake/index.js'
import type { BoxDecoder } from '../boxstream/decoder.js'
import { StreamBoxDecoder } from '#box-decoder'
import { BoxEncoder } from '../boxstream/encoder.js'
import { RECYCLED_PLAINTEXT_BYTES, WireWriter, sharedWirePool, type WirePiece } from './wire-writer.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { assertKeyPair, formatId, type KeyPair } from '../keys.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { wipe } from '../crypto/policy.js'
import { checkMilliseconds, checkOptionalBoolean } from './channel-duplex.js'
import { RawStreamAdapter, type RawStream } from './raw-adapter.js'
import { copyPlatformBytes, platformBytes } from '#platform-bytes'
import type { PlatformBytes } from '../platform/bytes-type.js'

export type { RawStream } from './raw-adapter.js'

/**
 * The default whole-handshake deadline, in milliseconds.
 * @example
 * ```ts
 * new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey, handshakeTimeout: 2 * DEFAULT_HANDSHAKE_TIMEOUT })
 * ```
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000

/**
 * Decides whether a client may connect. Receives the client's proven long-term public key.
 * Return (or resolve to) a truthy value to accept — it is exposed as `stream.auth` — or a falsy
 * value / throw to refuse; the server then hangs up without ever proving who it is.
 * @example
 * ```ts
 * const authorize: Authorize = async (key) => (await db.lookup(formatId(key))) ?? false // truthy admits; kept as stream.auth
 * ```
 */
export type Authorize = (remotePublicKey: PlatformBytes) => unknown

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
  /** Aborts the handshake, or destroys the open channel, when it fires (the error's `name` is `'AbortError'`). */
  signal?: AbortSignal
  /**
   * Open channel only: destroy it with `ERR_IDLE_TIMEOUT` after this many milliseconds without a
   * byte received or sent (default 0: no idle timeout). The handshake has its own deadline.
   */
  idleTimeout?: number
  /**
   * streamx high-water mark for both sides, in bytes. Default 16 KiB, except for the writable side
   * with `recycleWrites` (sockets): 256 KiB there, so that up to four 64 KiB writes are sealed into
   * one recycled wire buffer and reach the socket as one write (the sender's CPU per GiB drops by
   * about a sixth; docs/perf.md).
   */
  highWaterMark?: number
  /** Crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
  /**
   * The transport hands over buffers that nobody else holds or reuses, as a `net.Socket` does
   * (each read is a fresh buffer): frames are then opened in place inside them and the plaintext
   * handed out as views of them, with no second buffer. Default false (the buffers are only read).
   * `createServer` and `connect` set it for their sockets.
   */
  reuseInput?: boolean
  /**
   * The transport is finished with a written buffer once that write's callback reports success,
   * as a `net.Socket` is: wire buffers are then recycled (a shared free list, with each frame's
   * views made once) instead of allocated per write. Default false: every transport write is a
   * fresh buffer the transport may keep. `createServer` and `connect` set it for their sockets.
   */
  recycleWrites?: boolean
  /**
   * Node, `net.Socket` transports only: once bulk data arrives (a read of 32 KiB or more), switch
   * the socket to reading into buffers the stream owns (regions of slabs that are never reused:
   * 1 MiB each while at most 64 sockets read this way, down to 256 KiB as up to 256 share the
   * process's 64 MiB read budget; past that, a socket keeps Node's buffers and tries again at its
   * next bulk read) instead of a fresh 64 KiB buffer that Node allocates per read,
   * and open frames in place there (as with `reuseInput`); an idle connection never switches and
   * holds no read buffer. The socket's `'data'` events then carry those regions.
   * This sets Node's private `onread` fields on the socket (each checked first): where that is not
   * possible (a TLS socket, an encoding set, another runtime) the socket is left as it is.
   * Default false. `createServer` and `connect` set it for their sockets (unless told not to).
   */
  ownReadBuffers?: boolean
  /** Test vectors only: a fixed ephemeral X25519 secret. */
  ephemeralSecretKey?: Uint8Array
}


/** The streamx state field {@link SecretStream} adjusts (streamx 2: a plain number it reads on every write). */
interface StreamxWritable {
  _writableState: { highWaterMark: number }
}

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
  data: [data: PlatformBytes]
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
export class SecretStream extends RawStreamAdapter<SecretStreamEvents> {
  /** True on the dialing side. */
  readonly isInitiator: boolean
  /** Our long-term public key. */
  readonly publicKey: PlatformBytes
  /** The peer's long-term public key: known up front on the initiator, proven after the handshake on both sides. */
  remotePublicKey: PlatformBytes | null
  /** Server only: what `authorize` returned for this client. */
  auth: unknown = undefined
  /** Milliseconds the handshake took, once open. */
  handshakeDuration = 0

  private readonly crypto: CryptoBackend
  private driver: HandshakeDriver | null
  private readonly authorize: Authorize | undefined
  private encoder: BoxEncoder | null = null
  private decoder: BoxDecoder | null = null
  private sentGoodbye = false
  private readonly reuseInput: boolean
  private readonly recycleWrites: boolean
  /** The data path's sender, made on the first write (an idle connection has none). */
  private writer: WireWriter | null = null
  /** streamx's callback for the batch being sent. */
  private batchDone: ((err: Error | null) => void) | null = null
  private readonly startedAt = Date.now()

  /**
   * @param rawStream - the transport; for `net.Socket`s, create them with `allowHalfOpen: true`
   *   so each direction can say goodbye on its own
   * @param options - see {@link SecretStreamOptions}
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for missing or malformed options
   */
  constructor(rawStream: RawStream, options: SecretStreamOptions) {
    const opts = options ?? ({} as SecretStreamOptions)
    const handshakeTimeout = checkMilliseconds(opts.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, 'handshakeTimeout', Phase.HANDSHAKE)
    const idleTimeout = checkMilliseconds(opts.idleTimeout, 'idleTimeout', Phase.HANDSHAKE)
    super(rawStream, { highWaterMark: opts.highWaterMark, signal: opts.signal, openTimeout: handshakeTimeout, idleTimeout, trackWrites: true }, Phase.HANDSHAKE)
    // streamx takes one high-water mark for both sides; the writable one is a field of its state.
    if (opts.highWaterMark === undefined && opts.recycleWrites === true) (this as unknown as StreamxWritable)._writableState.highWaterMark = RECYCLED_PLAINTEXT_BYTES
    if (typeof opts.isInitiator !== 'boolean') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'isInitiator must be true or false')
    }
    const keyPair = assertKeyPair(opts.keyPair)
    if (opts.authorize !== undefined && typeof opts.authorize !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'authorize must be a function')
    }
    checkOptionalBoolean(opts.ownReadBuffers, 'ownReadBuffers', Phase.HANDSHAKE)
    if (opts.isInitiator && !(opts.remotePublicKey instanceof Uint8Array)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'the initiator must give remotePublicKey (the server key it dials)')
    }
    this.isInitiator = opts.isInitiator
    this.publicKey = platformBytes(keyPair.publicKey)
    this.crypto = opts.crypto ?? getCryptoBackend()
    this.authorize = opts.authorize
    this.reuseInput = opts.reuseInput === true
    this.recycleWrites = opts.recycleWrites === true
    this.driver = new HandshakeDriver({
      isInitiator: opts.isInitiator,
      appKey: opts.appKey,
      keyPair,
      remotePublicKey: opts.remotePublicKey,
      crypto: this.crypto,
      ephemeralSecretKey: opts.ephemeralSecretKey
    })
    this.remotePublicKey = opts.isInitiator ? copyPlatformBytes(opts.remotePublicKey!) : null
    this.begin(opts.ownReadBuffers === true)
    if (!this.destroying) this.apply(this.driver.start())
  }

  /**
   * Tears the channel down. Without an error it keeps socket manners: bytes already accepted by
   * `write()` are encrypted and handed to the transport (and the goodbye, if `end()` was called)
   * before it is closed; the peer sees a truncation unless the goodbye went out. With `err`, queued
   * writes may be dropped and `err` is emitted as 'error'.
   */
  override destroy(err?: Error | null): void {
    super.destroy(err ?? undefined)
  }

  protected phaseName(): string {
    if (this.isOpen) return 'box-stream'
    return this.driver?.phase ?? Phase.HANDSHAKE
  }

  protected override writePhaseName(): string {
    return 'box-stream'
  }

  /** streamx: the application wants more plaintext; let the transport flow again. */
  override _read(cb: (err: Error | null) => void): void {
    this.resumeRaw()
    cb(null)
  }

  /**
   * streamx: queued writes are framed into bounded transport writes (see {@link WireWriter}), one
   * at a time: after a write the transport refuses, we wait for its 'drain' before encoding more.
   */
  override _writev(batch: Array<Uint8Array | null>, cb: (err: Error | null) => void): void {
    this.takeUnsent(batch.length)
    if (!this.encoder) return cb(new SecretChannelError(ErrorCodes.INVALID_STATE, 'box-stream', 'write before the handshake finished'))
    for (const data of batch) {
      if (!(data instanceof Uint8Array)) return cb(new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'box-stream', 'writes must be Buffers, Uint8Arrays or strings'))
    }
    this.sender().start(batch)
    this.batchDone = cb
    this.sendPending()
  }

  private sender(): WireWriter {
    return (this.writer ??= new WireWriter(this.encoder!, this.recycleWrites ? sharedWirePool : null))
  }

  /** Writes the batch piece by piece, pausing at the transport's backpressure. */
  private sendPending(): void {
    const writer = this.writer!
    // A teardown while we write (a transport that fails synchronously) ends the batch: the encoder
    // is wiped by then, and streamx has been told by the teardown.
    for (let piece = this.destroying ? null : writer.next(); piece; piece = this.destroying ? null : writer.next()) {
      // A closure per wait, not a field: an idle channel should not carry one.
      if (!this.writePiece(piece)) return this.waitForDrain((err) => this.afterDrain(err))
    }
    const done = this.batchDone
    this.batchDone = null
    done?.(null)
  }

  private afterDrain(err: Error | null): void {
    if (!err) return this.sendPending()
    const done = this.batchDone
    this.batchDone = null
    done?.(err)
  }

  private writePiece(piece: WirePiece): boolean {
    const wire = piece.wire
    if (!wire) return this.writeRaw(piece.bytes)
    // Back to the free list once the transport is done with the bytes: at once when the socket
    // wrote them all synchronously (nothing left queued: the kernel has them), else when the
    // write's callback reports them written. The callback alone is not enough: a writer driven by
    // promises can keep the microtask queue busy, and the callbacks (next ticks) wait behind it.
    let returned = false
    const ok = this.writeRaw(piece.bytes, (err) => {
      if (err || returned) return
      returned = true
      sharedWirePool.give(wire)
    })
    if (!returned && this.rawStream.writableLength === 0) {
      returned = true
      sharedWirePool.give(wire)
    }
    return ok
  }

  /** streamx: our side is done; send the goodbye. The transport ends once both sides said goodbye. */
  override _final(cb: (err: Error | null) => void): void {
    this.sendGoodbye()
    this.releaseIfDone()
    cb(null)
  }

  protected finishedCleanly(): boolean {
    return this.sentGoodbye && this.decoder?.ended === true
  }

  protected override flushOnDestroy(): boolean {
    const encoder = this.encoder
    if (!encoder || encoder.ended) return false
    // The rest of the batch being sent, then what streamx still queues.
    const pending = [...(this.writer?.takeRemaining() ?? []), ...this.unsentWrites().filter((w) => w.length > 0)]
    const writer = this.sender()
    writer.start(pending)
    for (let piece = writer.next(); piece; piece = writer.next()) this.writePiece(piece)
    if (this.endCalled) this.sendGoodbye()
    return pending.length > 0 || this.sentGoodbye
  }

  protected override onTeardown(reason: () => Error, byOwner: boolean): void {
    super.onTeardown(reason, byOwner)
    this.driver?.destroy()
    this.driver = null
    this.encoder?.destroy()
    this.decoder?.destroy()
  }

  protected receive(chunk: PlatformBytes): void {
    if (this.decoder) return this.decode(chunk)
    if (this.driver) this.apply(this.driver.feed(chunk))
  }

  protected receiveEnd(): void {
    if (!this.isOpen) {
      const err = this.driver?.hangUp({ kind: 'end' })
      if (err) this.destroy(err)
      return
    }
    const decoder = this.decoder!
    if (decoder.ended) return
    try {
      decoder.end()
    } catch (err) {
      this.failAfterRead(err as Error)
    }
  }

  protected override transportFailed(err: Error): Error | null {
    return this.isOpen ? null : this.driver?.hangUp({ kind: 'error', cause: err }) ?? null
  }

  protected override receiveClose(): void {
    if (this.isOpen && this.decoder?.ended) return
    if (!this.isOpen && this.driver?.state === 'authorize') {
      // A transport that closed entirely while we decide: nothing can be sent any more.
      this.destroy(new SecretChannelError(ErrorCodes.TRUNCATED, Phase.CLIENT_AUTH, 'the transport closed while we decided on the client'))
      return
    }
    this.receiveEnd()
  }

  private sendGoodbye(): void {
    if (this.encoder && !this.encoder.ended) this.writeRaw(this.encoder.goodbye())
    this.sentGoodbye = true
  }

  /** Both goodbyes are through: stop the idle timer and let the transport go (flush, end, grace, destroy). */
  private releaseIfDone(): void {
    if (this.finishedCleanly()) {
      this.clearIdleTimer()
      this.releaseGracefully()
    }
  }

  /**
   * Applies what the handshake driver decided: send, ask, finish, fail, or wait for an
   * asynchronous public-key operation (a WebCrypto backend) as for a pending `authorize`: the
   * deadline, the signal and destroy() keep working meanwhile, and a late output is ignored.
   */
  private apply(out: DriverOutput): void {
    for (const message of out.send) this.writeRaw(message)
    if (out.error) return this.destroy(out.error)
    if (out.authorize) return this.askAuthorize(out.authorize)
    if (out.ready) return this.complete(out.ready, out.rest, out.ended)
    // A closure only while waiting: a connection on a synchronous backend never makes one.
    if (out.pending) {
      void out.pending.then((later) => {
        if (!this.destroying && this.driver) this.apply(later)
      })
    }
  }

  private askAuthorize(clientKey: Uint8Array): void {
    const remote = copyPlatformBytes(clientKey)
    if (!this.authorize) return this.decided(true, true)
    const refuse = (cause?: unknown): void => this.decided(false, false, remote, cause)
    let verdict: unknown
    try {
      verdict = this.authorize(remote)
    } catch (err) {
      return refuse(err)
    }
    if (verdict && typeof (verdict as Promise<unknown>).then === 'function') {
      ;(verdict as Promise<unknown>).then((value) => (value ? this.decided(true, value) : refuse()), (err: unknown) => refuse(err ?? new Error('authorize rejected')))
    } else if (verdict) {
      this.decided(true, verdict)
    } else {
      refuse()
    }
  }

  private decided(accept: boolean, auth: unknown, remote?: PlatformBytes, cause?: unknown): void {
    const driver = this.driver
    if (this.destroying || !driver) return
    if (!accept) {
      driver.decide(false, cause)
      this.destroy(new SecretChannelError(ErrorCodes.UNAUTHORIZED, Phase.CLIENT_AUTH, `client ${formatId(remote!)} is not authorized`, cause === undefined ? undefined : { cause }))
      return
    }
    this.auth = auth
    this.apply(driver.decide(true))
  }

  private complete(session: SessionKeys, rest: Uint8Array[], ended: boolean): void {
    this.encoder = new BoxEncoder(session.encryptKey, session.encryptNonce, this.crypto)
    this.decoder = new StreamBoxDecoder(session.decryptKey, session.decryptNonce, this.crypto)
    this.remotePublicKey = copyPlatformBytes(session.remotePublicKey)
    wipe(session.encryptKey, session.decryptKey)
    this.driver = null
    this.handshakeDuration = Date.now() - this.startedAt
    this.markOpen()
    this.emit('connect')
    for (const chunk of rest) {
      if (this.destroying || this.failing) return
      this.decode(platformBytes(chunk))
    }
    // The transport ended while the last step waited for WebCrypto: box-stream hears it now.
    if (ended && !this.destroying && !this.failing) this.receiveEnd()
  }

  private readonly onPlaintext = (plain: PlatformBytes): void => {
    if (!this.push(plain)) this.pauseRaw()
  }

  private decode(chunk: PlatformBytes): void {
    const decoder = this.decoder!
    if (decoder.ended) return
    try {
      // Regions of our own read slabs are never reused either: open frames in place in them too.
      if (this.reuseInput || this.readsOwned) decoder.pushInPlace(chunk, this.onPlaintext)
      else decoder.pushCoalesced(chunk, this.onPlaintext)
    } catch (err) {
      // Frames that authenticated before the failure were pushed; the app reads them first.
      this.failAfterRead(err as Error)
      return
    }
    if (decoder.ended) {
      this.push(null)
      this.releaseIfDone()
    }
  }
}
