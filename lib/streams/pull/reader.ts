/**
 * Reads exact byte counts from a pull-stream source of byte chunks, for the handshake, then hands
 * what is left (buffered bytes first) on as a plain source for box-stream.
 *
 * ```
 * transport chunks:  [ 50 ][ 30 ][ 200 ............ ]
 * read(64)        →  64 bytes (50 + 14 of the second chunk)
 * read(80)        →  80 bytes (16 + 64 of the third)
 * rest()          →  the 136 bytes still buffered, then every later chunk as it comes
 * ```
 * It asks the transport for a chunk only when a read cannot be answered from the buffer, so it
 * never pulls more than the protocol needs right now.
 * @module
 */
import { isEnd, type End, type Source, type SourceCallback } from './types.js'
import { ChunkQueue } from '../chunk-queue.js'

/** The answer to {@link ExactReader.read}: the bytes, or how the source ended before enough came. */
export type ExactCallback = (end: true | Error | null, data?: Buffer) => void

/** Exact-length reads over a pull source that may be attached later. */
export class ExactReader {
  private source: Source<Uint8Array> | null = null
  private readonly queue = new ChunkQueue()
  private ended: true | Error | null = null
  private reading = false
  private want = 0
  private pending: ExactCallback | null = null
  /** Reads of {@link rest} that came before the transport was attached. */
  private readonly attachWaiters: Array<() => void> = []

  /** Bytes received but not yet consumed. */
  get buffered(): number {
    return this.queue.length
  }

  /** How the source ended, if it did. */
  get end(): true | Error | null {
    return this.ended
  }

  /** Sets the source to read from (a pull sink's job). Reads asked for earlier start now. */
  attach(source: Source<Uint8Array>): void {
    if (this.source) throw new Error('ExactReader: a source is already attached')
    this.source = source
    if (this.ended) {
      // Aborted before the transport showed up: tell it to stop at once.
      source(this.ended, () => {})
      return
    }
    for (const waiter of this.attachWaiters.splice(0)) waiter()
    this.more()
  }

  /**
   * Reads exactly `n` bytes. Only one read may be outstanding. If the source ends first, `cb`
   * gets that end and the partial bytes stay counted in {@link buffered}.
   */
  read(n: number, cb: ExactCallback): void {
    if (this.pending) throw new Error('ExactReader: a read is already pending')
    this.want = n
    this.pending = cb
    this.more()
  }

  /**
   * Stops reading: the source is told to abort (if attached) and a pending read gets `err`.
   * Buffered bytes are dropped.
   */
  abort(err: Error | true): void {
    if (this.ended) return
    this.ended = err
    this.queue.drain()
    const cb = this.pending
    this.pending = null
    if (this.source) this.source(err, () => {})
    if (cb) cb(err)
  }

  /**
   * The rest of the input as a source: the buffered bytes first (as one chunk), then the
   * transport's chunks as they come. Aborting it aborts the transport.
   */
  rest(): Source<Buffer> {
    return (abort: End, cb: SourceCallback<Buffer>): void => {
      if (isEnd(abort)) {
        this.queue.drain()
        if (this.ended) return cb(abort)
        this.ended = abort
        if (this.source) return this.source(abort, () => cb(abort))
        return cb(abort)
      }
      if (this.queue.length > 0) return cb(null, this.queue.take(this.queue.length)!)
      if (this.ended) return cb(this.ended)
      this.whenAttached(() => {
        this.source!(null, (end, data) => {
          if (isEnd(end)) {
            if (!this.ended) this.ended = end
            return cb(end)
          }
          cb(null, data ? toBuffer(data) : Buffer.alloc(0))
        })
      })
    }
  }

  private whenAttached(fn: () => void): void {
    if (this.source) fn()
    else this.attachWaiters.push(fn)
  }

  /** Answers the pending read from the buffer, or asks the source for one more chunk. */
  private more(): void {
    const cb = this.pending
    if (!cb) return
    if (this.queue.length >= this.want) {
      this.pending = null
      cb(null, this.queue.take(this.want)!)
      return
    }
    if (this.ended) {
      this.pending = null
      cb(this.ended)
      return
    }
    if (!this.source || this.reading) return
    this.reading = true
    this.source(null, (end, data) => {
      this.reading = false
      if (this.ended) return // aborted meanwhile; the pending read was already answered
      if (isEnd(end)) {
        this.ended = end
      } else if (data) {
        this.queue.push(toBuffer(data))
      }
      this.more()
    })
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}
