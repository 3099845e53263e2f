/**
 * The raw-transport half of the adapter base: a {@link ChannelDuplex} over a byte duplex (a
 * `net.Socket`, a pipe, an in-memory pair, any Node or streamx duplex). It attaches and detaches
 * the transport listeners, writes with backpressure (one named drain slot), and lets go of the
 * transport in one of two ways:
 * ```
 * clean (both sides finished) or our owner's destroy() after flushing accepted writes:
 *     transport.end() ── our bytes flushed ('finish') ── grace ──▶ transport.destroy()
 * anything else (an error, a failed handshake):
 *     transport.destroy() at once
 * ```
 * The grace is short and bounded, so a peer that said goodbye but keeps its socket open cannot
 * hold a file descriptor: after {@link CLOSE_GRACE_MS} the transport is destroyed whatever it does.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { ChannelDuplex, type ChannelDuplexOptions } from './channel-duplex.js'
import type { DuplexEvents } from 'streamx'
import { platformBytes, utf8PlatformBytes } from '#platform-bytes'
import { canReadIntoOwnBuffers, readIntoOwnBuffers } from '#platform-transport'
import type { PlatformBytes } from '../platform/bytes-type.js'

/**
 * The duplex byte transport under a channel: a `net.Socket`, a pipe, any Node or streamx duplex.
 * @example
 * ```ts
 * const raw: RawStream = net.connect({ host, port, allowHalfOpen: true }) // or any Node, streamx or web duplex
 * const stream = new SecretStream(raw, { isInitiator: true, keyPair, appKey, remotePublicKey })
 * ```
 */
export interface RawStream {
  write(data: Uint8Array, callback?: (err?: Error | null) => void): boolean
  end(...args: any[]): unknown
  destroy(err?: Error): unknown
  on(event: string, listener: (...args: any[]) => void): unknown
  once?(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  pause?(): unknown
  resume?(): unknown
  destroyed?: boolean
  writableEnded?: boolean
  writableFinished?: boolean
  /** Bytes written but not yet handed to the operating system (Node streams). */
  writableLength?: number
}

/** Milliseconds between our flushed end and the transport's destruction when the peer keeps it open. */
export const CLOSE_GRACE_MS = 2000

/**
 * A transport read at least this large means bulk traffic (Node reads up to 64 KiB at a time):
 * with `ownReadBuffers`, the socket then moves to our own read buffers. Until then, and for a
 * connection that stays idle or chatty, it costs nothing more than a plain socket.
 */
const OWN_READS_FROM_BYTES = 32 * 1024

const noop = (): void => {}


/**
 * Releases a transport after our last bytes: end it, and once those bytes are flushed, give the
 * peer {@link CLOSE_GRACE_MS} to close its side before destroying it.
 * @example
 * ```ts
 * endThenDestroy(socket) // after the goodbyes
 * ```
 */
function endThenDestroy(raw: RawStream, graceMs = CLOSE_GRACE_MS): void {
  if (raw.destroyed) return
  let timer: ReturnType<typeof setTimeout> | null = null
  const onClose = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  const arm = (): void => {
    if (raw.destroyed || timer) return
    timer = setTimeout(() => {
      timer = null
      raw.removeListener('close', onClose)
      if (!raw.destroyed) raw.destroy()
    }, graceMs)
    // A grace timer alone must not keep a process alive.
    ;(timer as { unref?: () => void }).unref?.()
  }
  raw.on('close', onClose)
  raw.on('error', noop)
  // Read on to the peer's FIN (its bytes go nowhere: we stopped listening) so that the transport
  // closes by itself: one we paused for backpressure would otherwise wait for the grace timer.
  raw.resume?.()
  if (!raw.writableEnded) raw.end()
  if (raw.writableFinished) arm()
  else raw.on('finish', arm)
}

/** A {@link ChannelDuplex} whose protocol bytes travel over a {@link RawStream}. */
export abstract class RawStreamAdapter<E extends DuplexEvents = DuplexEvents> extends ChannelDuplex<E> {
  /** The transport underneath. */
  readonly rawStream: RawStream
  private drainSlot: ((err: Error | null) => void) | null = null
  /** Set once we stop listening to the transport (teardown, or an error waiting for delivery). */
  private inputClosed = false
  private released = false
  /** The transport may move to our own read buffers at its first bulk read (see {@link begin}). */
  private ownReadsPending = false
  /** The transport reads into our own buffers: its chunks are ours to reuse (opened in place). */
  protected readsOwned = false

  // The transport listeners are bound methods rather than arrow functions: an arrow per event
  // also keeps a closure context alive for the connection's whole life (see perf notes, memory).
  private readonly onRawData: (chunk: Uint8Array | string) => void = this.rawData.bind(this)
  private readonly onRawEnd: () => void = this.rawEnd.bind(this)
  private readonly onRawError: (err: Error) => void = this.rawError.bind(this)
  private readonly onRawClose: () => void = this.rawClose.bind(this)
  /** The transport's 'drain' listener: attached on the first wait for one (an idle channel never waits). */
  private onRawDrain: (() => void) | null = null

  /**
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` unless `rawStream` is a duplex
   */
  protected constructor(rawStream: RawStream, options: ChannelDuplexOptions, phase: string) {
    super(options)
    if (!rawStream || typeof rawStream.write !== 'function' || typeof rawStream.on !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'rawStream must be a duplex stream')
    }
    this.rawStream = rawStream
  }

  private rawData(chunk: Uint8Array | string): void {
    if (this.inputClosed || this.destroying) return
    this.touch()
    this.receive(typeof chunk === 'string' ? utf8PlatformBytes(chunk) : platformBytes(chunk))
    // At a bulk read, switch the socket to our own read buffers from its next read on. Only while
    // nothing is buffered in it (else bytes would be reordered): otherwise the next bulk read tries again.
    if (this.ownReadsPending && chunk.length >= OWN_READS_FROM_BYTES && !this.destroying && readIntoOwnBuffers(this.rawStream)) {
      this.ownReadsPending = false
      this.readsOwned = true
    }
  }

  private rawEnd(): void {
    if (this.inputClosed || this.destroying) return
    this.receiveEnd()
  }

  private rawError(err: Error): void {
    if (this.inputClosed || this.destroying) return
    const decided = this.transportFailed(err)
    if (decided) return this.destroy(decided)
    this.destroy(new SecretChannelError(ErrorCodes.TRANSPORT, this.phaseName(), `the transport failed: ${err?.message ?? String(err)}`, { cause: err }))
  }

  private rawClose(): void {
    if (this.inputClosed || this.destroying) return
    this.receiveClose()
  }

  /** Transport bytes in. */
  protected abstract receive(chunk: PlatformBytes): void
  /** The transport ended (the peer's FIN). */
  protected abstract receiveEnd(): void
  /** What a transport error means now; null for the default `ERR_TRANSPORT`. */
  protected transportFailed(_err: Error): Error | null {
    return null
  }

  /** The transport closed; by default the same as an end. */
  protected receiveClose(): void {
    this.receiveEnd()
  }
  /** True when both sides finished cleanly: the transport is ended gracefully, not destroyed. */
  protected abstract finishedCleanly(): boolean
  /** Owner's destroy() without error: send what was accepted; true if anything went out (then the transport is ended gracefully). */
  protected flushOnDestroy(): boolean {
    return false
  }

  /**
   * Attaches to the transport and starts the deadline and the signal.
   * @param ownReadBuffers - move a Node `net.Socket` to reading into buffers we own
   *   (`#platform-transport`) once bulk data flows ({@link OWN_READS_FROM_BYTES}), so an idle
   *   connection holds no read buffer; other transports are left as they are
   */
  protected override begin(ownReadBuffers = false): void {
    const raw = this.rawStream
    this.ownReadsPending = ownReadBuffers && canReadIntoOwnBuffers(raw)
    raw.on('data', this.onRawData)
    raw.on('end', this.onRawEnd)
    raw.on('error', this.onRawError)
    raw.on('close', this.onRawClose)
    super.begin()
  }

  /** True while the transport can take bytes. */
  protected rawWritable(): boolean {
    return !this.released && !this.rawStream.destroyed && !this.rawStream.writableEnded
  }

  /**
   * Writes protocol bytes; false when the transport wants us to wait for 'drain'. `written`, if
   * given, is passed to the transport's write (only for transports that take a callback).
   */
  protected writeRaw(bytes: Uint8Array, written?: (err?: Error | null) => void): boolean {
    if (!this.rawWritable()) return true
    this.touch()
    const data = platformBytes(bytes)
    return (written ? this.rawStream.write(data, written) : this.rawStream.write(data)) !== false
  }

  /** Writes protocol bytes and calls `cb` once the transport can take more. */
  protected writeRawThen(bytes: Uint8Array, cb: (err: Error | null) => void): void {
    if (this.writeRaw(bytes)) cb(null)
    else this.waitForDrain(cb)
  }

  /** Calls `cb` at the transport's next 'drain' (after a write that returned false). */
  protected waitForDrain(cb: (err: Error | null) => void): void {
    this.drainSlot = cb
    if (this.onRawDrain || this.released) return
    this.onRawDrain = (): void => {
      const slot = this.drainSlot
      this.drainSlot = null
      if (slot) slot(null)
    }
    this.rawStream.on('drain', this.onRawDrain)
  }

  /** Lets the transport flow again (the application wants more). */
  protected resumeRaw(): void {
    this.rawStream.resume?.()
  }

  /** Stops the transport's flow (our readable buffer is full). */
  protected pauseRaw(): void {
    this.rawStream.pause?.()
  }

  /**
   * Fails after delivery (see {@link ChannelDuplex.failAfterDelivery}); while the application
   * reads what is left, we stop listening and drop the transport.
   */
  protected failAfterRead(err: Error): void {
    if (this.failAfterDelivery(err)) {
      this.inputClosed = true
      this.release(false)
    }
  }

  /** Ends the transport gracefully now (both sides finished): flush, FIN, grace, destroy. */
  protected releaseGracefully(): void {
    this.release(true)
  }

  /** Detaches from the transport and lets it go (see the module header). */
  protected override onRelease(): void {
    this.release(this.finishedCleanly())
  }

  protected override onTeardown(reason: () => Error, byOwner: boolean): void {
    // An owner's destroy() keeps socket manners: accepted writes still go out.
    if (byOwner && this.isOpen && !this.released && this.flushOnDestroy()) this.release(true)
    const drain = this.drainSlot
    this.drainSlot = null
    if (drain) drain(reason())
  }

  private release(graceful: boolean): void {
    if (this.released) return
    this.released = true
    this.inputClosed = true
    const raw = this.rawStream
    raw.removeListener('data', this.onRawData)
    raw.removeListener('end', this.onRawEnd)
    raw.removeListener('close', this.onRawClose)
    if (this.onRawDrain) raw.removeListener('drain', this.onRawDrain)
    raw.removeListener('error', this.onRawError)
    // The transport may still report an error after we let go; never let that crash the process.
    raw.on('error', noop)
    if (graceful) endThenDestroy(raw)
    else if (!raw.destroyed) raw.destroy()
  }
}
