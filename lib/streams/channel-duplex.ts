/**
 * The base of every plaintext channel in this package (`SecretStream`, `FlatStream`,
 * `NoticeChannel`): a streamx `Duplex` that opens once a protocol says so, with the parts every
 * such adapter needs written once.
 *
 * ```
 * constructed ──begin()── deadline, AbortSignal ──markOpen()──▶ open: `opened` resolves, idle timer
 *      │                                                          │
 *      └── destroy(err) ◀── failAfterDelivery(err) ◀──────────────┘  (after the app read every byte)
 * pending callbacks: open, write, final: one named slot each, nulled and then called exactly once
 * ```
 * It uses streamx's public API, with one assumption: the readable buffer is measured through the
 * public `byteLengthReadable` option (streamx calls it once when a chunk is queued and once when it
 * is taken) as a method of the readable state, whose `stream` is the channel, so that one shared
 * function serves every channel; the destroy reason comes through `getStreamError`.
 * @module
 */
import { Duplex, getStreamError, type DuplexEvents } from 'streamx'
import { plainDestroyReason } from './plain-destroy.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { abortError } from './abort.js'
import { utf8PlatformBytes } from '#platform-bytes'
import { iterateUntilEnd } from './iterate-until-end.js'
import type { PlatformBytes } from '../platform/bytes-type.js'

/** Options every channel shares. */
export interface ChannelDuplexOptions {
  /** streamx high-water mark for both sides, in bytes (default 16 KiB). */
  highWaterMark?: number
  /** Aborts the opening, or destroys the open channel, when it fires. */
  signal?: AbortSignal
  /** Milliseconds the opening may take (0 or undefined: no deadline). */
  openTimeout?: number
  /** Open channel: destroy with `ERR_IDLE_TIMEOUT` after this many ms without traffic (0: never). */
  idleTimeout?: number
  /** Keep writes accepted by `write()` so a `destroy()` without error can still send them. */
  trackWrites?: boolean
}

type Callback = (err: Error | null) => void
const noop = (): void => {}

/** Checks a millisecond option: a finite number >= 0. */
export function checkMilliseconds(value: unknown, name: string, phase: string): number {
  const ms = value ?? 0
  if (typeof ms !== 'number' || !(ms >= 0)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, `${name} must be a number of milliseconds >= 0`)
  }
  return ms
}

/**
 * Checks an optional yes/no option: left out, `true` or `false`. The one wording for every entry
 * point that takes the option (`SecretStream` and the socket helpers' up-front checks).
 * @example
 * ```ts
 * checkOptionalBoolean(options.ownReadBuffers, 'ownReadBuffers', 'connect') // throws for 'yes'
 * ```
 */
export function checkOptionalBoolean(value: unknown, name: string, phase: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, `${name} must be true or false`)
  }
}

/**
 * A streamx duplex that opens on the protocol's word; see the module header.
 * Subclasses call {@link begin} at the end of their constructor, {@link markOpen} when the
 * protocol is ready, and implement {@link phaseName}, {@link onTeardown}.
 */
export abstract class ChannelDuplex<E extends DuplexEvents = DuplexEvents> extends Duplex<E> {
  /** Resolves when the channel opened; rejects with the typed error when it failed first. */
  readonly opened: Promise<void>
  /** True once {@link markOpen} ran. */
  protected isOpen = false
  /** True once `end()` was called. */
  protected endCalled = false

  private openSlot: Callback | null = null
  private writeSlot: Callback | null = null
  private finalSlot: Callback | null = null
  private resolveOpened: () => void = noop
  private rejectOpened: (err: Error) => void = noop
  private readonly signal: AbortSignal | undefined
  private readonly openTimeout: number
  private readonly idleTimeout: number
  private openTimer: ReturnType<typeof setTimeout> | null = null
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  /** Chunks in streamx's readable buffer right now (see the module header), and their bytes. */
  private queuedChunks: WeakSet<object> | null = null
  private queuedCount = 0
  private queuedBytes = 0
  /** An error decided while authenticated plaintext still waits to be read. */
  private pendingError: Error | null = null
  /** Writes accepted by write() that streamx has not handed to _write/_writev yet. */
  private unsent: Uint8Array[] | null = null
  private readonly trackWrites: boolean
  private unsentBytes = 0

  /** The signal's listener; made only when there is a signal (an idle channel without one carries none). */
  private onAbort: (() => void) | null = null

  protected constructor(options: ChannelDuplexOptions) {
    super({
      eagerOpen: true,
      highWaterMark: options.highWaterMark,
      // Called by streamx once when a chunk is queued for reading and once when it is taken.
      byteLengthReadable: ChannelDuplex.accountReadable
    })
    this.signal = options.signal
    this.openTimeout = options.openTimeout ?? 0
    this.idleTimeout = options.idleTimeout ?? 0
    this.trackWrites = options.trackWrites === true
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve
      this.rejectOpened = reject
    })
    // Nobody is obliged to await `opened`; a failure is also reported through 'error'.
    this.opened.catch(noop)
  }

  /**
   * streamx's destroy; without an error, streamx is given its "destroyed" marker built without a
   * stack trace (plain-destroy.ts), the same as streamx's own in everything but the stack.
   */
  override destroy(err?: Error | null): void {
    super.destroy(err ?? plainDestroyReason())
  }

  /** The phase to name in errors right now. */
  protected abstract phaseName(): string

  /** The phase to name for a misuse of `write()`; by default {@link phaseName}. */
  protected writePhaseName(): string {
    return this.phaseName()
  }

  /** Lets go of the transport; called once when streamx destroys the stream (cleanly or not). */
  protected onRelease(): void {}

  /**
   * Releases what the subclass holds (machines, keys, transport listeners); called once,
   * synchronously, on destroy. `reason()` is the error to fail anything still parked with: built
   * on first call only, so a teardown with nothing parked builds no error object.
   */
  protected abstract onTeardown(reason: () => Error, byOwner: boolean): void

  /** Starts the AbortSignal and the opening deadline; call at the end of the subclass constructor. */
  protected begin(): void {
    const signal = this.signal
    if (signal) {
      const onAbort = (this.onAbort = (): void => {
        this.destroy(abortError(this.phaseName(), signal))
      })
      if (signal.aborted) {
        queueMicrotask(onAbort)
        return
      }
      signal.addEventListener('abort', onAbort, { once: true })
    }
    if (this.openTimeout > 0 && !this.isOpen) {
      const ms = this.openTimeout
      this.openTimer = setTimeout(() => {
        this.openTimer = null
        this.destroy(this.openTimeoutError(ms))
      }, ms)
    }
  }

  /** The error for a missed opening deadline. */
  protected openTimeoutError(ms: number): Error {
    return new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, this.phaseName(), `the handshake did not finish within ${ms} ms`)
  }

  /** The protocol is ready: `opened` resolves, streamx's open completes, the idle timer starts. */
  protected markOpen(): void {
    if (this.isOpen || this.destroying) return
    this.isOpen = true
    this.clearOpenTimer()
    this.startIdleTimer()
    const resolve = this.resolveOpened
    this.forgetOpened()
    resolve()
    const open = this.openSlot
    this.openSlot = null
    if (open) open(null)
  }

  /** Fails a pending open (the protocol ended before it was ready) without destroying the stream. */
  protected releaseOpen(err: Error): void {
    if (!this.isOpen) this.failOpened(err)
    const open = this.openSlot
    this.openSlot = null
    if (open) open(err)
  }

  /** Traffic: postpones the idle deadline. */
  protected touch(): void {
    this.idleTimer?.refresh()
  }

  /** Stops the idle timer (the session is finishing cleanly). */
  protected clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  /** Parks a write callback until {@link releaseWrite}. */
  protected holdWrite(cb: Callback): void {
    this.writeSlot = cb
  }

  /** Calls the parked write callback, if any, once. */
  protected releaseWrite(err: Error | null = null): void {
    const cb = this.writeSlot
    this.writeSlot = null
    if (cb) cb(err)
  }

  /** True while a write callback is parked. */
  protected get writeHeld(): boolean {
    return this.writeSlot !== null
  }

  /** Parks the final callback until {@link releaseFinal}. */
  protected holdFinal(cb: Callback): void {
    this.finalSlot = cb
  }

  /** Calls the parked final callback, if any, once. */
  protected releaseFinal(err: Error | null = null): void {
    const cb = this.finalSlot
    this.finalSlot = null
    if (cb) cb(err)
  }

  /**
   * Fails the channel once the application has read every byte already pushed: authenticated
   * plaintext that arrived before the failure is never dropped with it. Returns true when the
   * error is deferred (the caller should stop taking input).
   */
  protected failAfterDelivery(err: Error): boolean {
    if (this.destroying || this.pendingError) return this.pendingError !== null
    if (this.queuedCount === 0) {
      this.destroy(err)
      return false
    }
    this.pendingError = err
    this.clearIdleTimer()
    return true
  }

  /** True once an error waits for the application to read the plaintext before it. */
  protected get failing(): boolean {
    return this.pendingError !== null
  }

  /** Bytes queued for the application to read. */
  get readableBuffered(): number {
    return this.queuedBytes
  }

  /** Bytes accepted by `write()` that have not been handed to the protocol yet (with `trackWrites`). */
  get writableBuffered(): number {
    return this.unsentBytes
  }

  /** Removes the `n` oldest accepted writes from the unsent list (streamx has handed them to `_write`/`_writev`). */
  protected takeUnsent(n: number): void {
    if (!this.unsent) return
    for (const chunk of this.unsent.splice(0, n)) this.unsentBytes -= chunk.length
  }

  /**
   * Queues plaintext; strings are UTF-8. Returns false when the caller should wait for 'drain'.
   * @throws SecretChannelError `ERR_INVALID_STATE` after {@link end}: the bytes could never be sent
   */
  override write(data: Uint8Array | string | unknown): boolean {
    if (this.endCalled && !this.destroying) {
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, this.writePhaseName(), 'write after end(): the goodbye is already queued')
    }
    const bytes = typeof data === 'string' ? utf8PlatformBytes(data) : data
    if (this.trackWrites && !this.destroying && bytes instanceof Uint8Array) {
      ;(this.unsent ??= []).push(bytes)
      this.unsentBytes += bytes.length
    }
    return super.write(bytes)
  }

  /** Ends our direction after writing `data`, if given; a function is a 'finish' listener. */
  override end(data?: Uint8Array | string | (() => void) | unknown): this {
    if (typeof data === 'function') {
      this.once('finish', data as () => void)
      data = undefined
    }
    if (data !== undefined && data !== null && !this.endCalled) this.write(data)
    this.endCalled = true
    return super.end(undefined)
  }

  /** Iterates the plaintext until the peer's clean end, even while our side still writes. */
  override [Symbol.asyncIterator](): AsyncIterableIterator<PlatformBytes> {
    return iterateUntilEnd(this as unknown as Duplex, () => new SecretChannelError(ErrorCodes.ABORTED, this.phaseName(), 'the stream was destroyed before the peer finished'))
  }

  /** streamx: resolves once the protocol opened. */
  override _open(cb: Callback): void {
    if (this.isOpen) cb(null)
    else this.openSlot = cb
  }

  /** streamx: releases everything synchronously, and every parked callback exactly once. */
  override _predestroy(): void {
    const own = getStreamError(this as unknown as Duplex)
    let built: Error | null = own
    const reason = (): Error => (built ??= new SecretChannelError(ErrorCodes.ABORTED, this.phaseName(), 'the stream was destroyed'))
    this.settle()
    this.onTeardown(reason, own === null)
    if (this.unsent) {
      this.unsent.length = 0
      this.unsentBytes = 0
    }
    if (!this.isOpen) this.failOpened(reason())
    const open = this.openSlot
    this.openSlot = null
    if (open) open(reason())
    if (this.writeHeld) this.releaseWrite(reason())
    if (this.finalSlot) this.releaseFinal(reason())
  }

  /** streamx: the stream is done (destroyed, or both sides finished): stop every timer and let go of the transport. */
  override _destroy(cb: Callback): void {
    this.settle()
    this.onRelease()
    cb(null)
  }

  /** Stops the timers and the signal listener; safe to call twice. */
  private settle(): void {
    this.clearOpenTimer()
    this.clearIdleTimer()
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort)
  }

  /** Rejects `opened` (once; later calls do nothing). */
  private failOpened(err: Error): void {
    const reject = this.rejectOpened
    this.forgetOpened()
    reject(err)
  }

  /** `opened` is settled: drop its resolving functions, which an open channel would otherwise carry for its whole life. */
  private forgetOpened(): void {
    this.resolveOpened = noop
    this.rejectOpened = noop
  }

  /** The writes accepted but not yet handed to the protocol, oldest first (empty without `trackWrites`). */
  protected unsentWrites(): readonly Uint8Array[] {
    return this.unsent ?? []
  }

  /**
   * The `byteLengthReadable` of every channel: one shared function, not a closure per channel
   * (an idle connection would carry it for its whole life). streamx calls it as a method of the
   * stream's readable state, whose `stream` is the channel.
   */
  private static accountReadable(this: { stream: ChannelDuplex }, data: unknown): number {
    return this.stream.account(data)
  }

  private account(data: unknown): number {
    const size = (data as { byteLength?: number }).byteLength ?? 1024
    if (typeof data !== 'object' || data === null) return size
    // Made on first use: an idle connection should not carry one.
    const queued = (this.queuedChunks ??= new WeakSet<object>())
    if (queued.has(data)) {
      queued.delete(data)
      this.queuedCount--
      this.queuedBytes -= size
      if (this.queuedCount === 0 && this.pendingError) {
        // The last chunk is being taken; the application sees it before the error.
        const err = this.pendingError
        queueMicrotask(() => this.destroy(err))
      }
    } else {
      queued.add(data)
      this.queuedCount++
      this.queuedBytes += size
    }
    return size
  }

  private startIdleTimer(): void {
    if (this.idleTimeout <= 0 || this.destroying) return
    const ms = this.idleTimeout
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      this.destroy(new SecretChannelError(ErrorCodes.IDLE_TIMEOUT, this.phaseName(), `no traffic for ${ms} ms`))
    }, ms)
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer)
    this.openTimer = null
  }
}
