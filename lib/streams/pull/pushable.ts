/**
 * The outgoing side of a handshake duplex: a queue the handshake pushes its messages into, which
 * afterwards continues with another source (the box-stream encoder), like
 * `cat([pushable, rest])` in the reference but without an unbounded buffer: once the queue is
 * empty, every chunk is pulled from the continuation only when the transport asks for one.
 *
 * ```
 * transport reads ◀── [msg1][msg3] ◀── push()         during the handshake
 * transport reads ◀── continueWith(encryptedSource)   afterwards, one chunk per read
 * ```
 * @module
 */
import { isEnd, type End, type Source, type SourceCallback } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

/** A pull source fed by pushes, then optionally by another source. */
export class Pushable {
  private readonly queue: PlatformBytes[] = []
  private ended: true | Error | null = null
  private waiting: SourceCallback<PlatformBytes> | null = null
  private next: Source<PlatformBytes> | null = null
  private aborted: true | Error | null = null

  /**
   * @param onAbort - called once if the reader aborts this source (the transport went away)
   *   before a continuation took over
   */
  constructor(private readonly onAbort: (reason: true | Error) => void = () => {}) {}

  /** True once the reader aborted. */
  get isAborted(): boolean {
    return this.aborted !== null
  }

  /** Queues bytes for the reader. Ignored after {@link end} or an abort. */
  push(data: PlatformBytes): void {
    if (this.ended || this.aborted || this.next) return
    this.queue.push(data)
    this.flush()
  }

  /**
   * Ends the source. A clean end (`true`) lets queued bytes go out first; an error drops them,
   * so nothing more is sent after a failure.
   */
  end(end: true | Error = true): void {
    if (this.ended || this.aborted) return
    this.ended = end
    if (end !== true) this.queue.length = 0
    this.flush()
  }

  /**
   * After the queued bytes, read from `source` instead (one chunk per read). If the reader has
   * already aborted, `source` is aborted at once.
   */
  continueWith(source: Source<PlatformBytes>): void {
    if (this.next) throw new Error('Pushable: already continued')
    this.next = source
    if (this.aborted) {
      source(this.aborted, () => {})
      return
    }
    this.flush()
  }

  /** The pull source the transport reads. */
  readonly source: Source<PlatformBytes> = (abort: End, cb: SourceCallback<PlatformBytes>): void => {
    if (isEnd(abort)) {
      if (this.aborted) return cb(abort)
      this.aborted = abort
      this.queue.length = 0
      const waiting = this.waiting
      this.waiting = null
      if (waiting) waiting(abort)
      if (this.next) return this.next(abort, () => cb(abort))
      if (!this.ended) this.onAbort(abort)
      return cb(abort)
    }
    if (this.aborted) return cb(this.aborted)
    if (this.waiting) throw new Error('Pushable: read while a read is pending')
    this.waiting = cb
    this.flush()
  }

  private flush(): void {
    const cb = this.waiting
    if (!cb) return
    if (this.queue.length > 0) {
      this.waiting = null
      cb(null, this.queue.shift())
    } else if (this.ended) {
      this.waiting = null
      cb(this.ended)
    } else if (this.next) {
      this.waiting = null
      this.next(null, cb)
    }
  }
}
