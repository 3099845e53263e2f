/**
 * The sending half of a stream adapter's data path: turns a batch of application writes into
 * transport writes of bounded size, one at a time, so the adapter can wait for the transport's
 * 'drain' between them.
 *
 * Why one transport write at a time: a writer that ignores backpressure may hand over a 200 MiB
 * batch. Encoding it all at once would hold the plaintext and its whole wire form together (twice
 * what was written); encoding one bounded piece, writing it and waiting when the transport says so
 * holds the plaintext plus one piece, and each plaintext write is let go as soon as it is encoded.
 *
 * Two kinds of wire buffer:
 * - recycled ({@link WirePool}, when the transport is done with a buffer once its write callback
 *   runs, as a `net.Socket` is): 64 full frames (256 KiB of plaintext) with precomputed views, so
 *   a batch of up to four 64 KiB writes is one socket write (a quarter of the write calls and
 *   'drain' rounds of one per 64 KiB: 256 MiB over TCP, the sender 1.74–1.95 → 1.48–1.58 CPU s/GiB);
 * - fresh (any other transport, which may keep what it was given): up to 1 MiB, never reused.
 * @module
 */
import type { BoxEncoder } from '../boxstream/encoder.js'
import { MAX_FRAME_BODY, encodedLength } from '../boxstream/layout.js'
import { allocBuffer } from '../boxstream/slab.js'
import { FULL_FRAME_BYTES, WireBuffer } from '../boxstream/wire-buffer.js'

/** Largest fresh transport write; a single write larger than that is split at a frame boundary. */
export const MAX_TRANSPORT_WRITE = 1024 * 1024

/** Full-frame slots per recycled wire buffer. */
const RECYCLED_FRAMES = 64

/**
 * Plaintext that fills one recycled wire buffer (256 KiB): the writable high-water mark of a
 * stream that recycles its writes, so streamx hands over batches that fill one.
 * @example
 * ```ts
 * const fourWrites = RECYCLED_PLAINTEXT_BYTES / (64 * 1024) // 4
 * ```
 */
export const RECYCLED_PLAINTEXT_BYTES = RECYCLED_FRAMES * MAX_FRAME_BODY

/**
 * A free list of recycled wire buffers, shared by every stream of the process so an idle
 * connection holds none. Bounded: past {@link WirePool.limit} free buffers, returned ones are
 * left to the garbage collector.
 * @example
 * ```ts
 * const wire = sharedWirePool.take()
 * socket.write(wire.bytes, (err) => { if (!err) sharedWirePool.give(wire) })
 * ```
 */
export class WirePool {
  private readonly free: WireBuffer[] = []
  /** @param limit - free buffers kept at most (each 264,320 bytes) */
  constructor(readonly limit = 8) {}

  /** A buffer nobody is using: a free one, or a new one. */
  take(): WireBuffer {
    return this.free.pop() ?? new WireBuffer(RECYCLED_FRAMES)
  }

  /** Hands back a buffer whose bytes the transport has finished with. */
  give(wire: WireBuffer): void {
    if (this.free.length < this.limit) this.free.push(wire)
  }
}

/**
 * The process-wide pool used by streams that recycle their writes.
 * @example
 * ```ts
 * const writer = new WireWriter(encoder, sharedWirePool)
 * ```
 */
export const sharedWirePool = new WirePool()

/**
 * One transport write: `bytes` to write, and the recycled buffer they live in (give it back to
 * the pool once the transport's write callback reports success), if any.
 * @example
 * ```ts
 * const piece: WirePiece = writer.next()!
 * socket.write(piece.bytes, (err) => { if (!err && piece.wire) pool.give(piece.wire) })
 * ```
 */
export interface WirePiece {
  bytes: Uint8Array
  wire: WireBuffer | null
}

/**
 * Encodes queued writes into bounded transport writes.
 * @example
 * ```ts
 * const writer = new WireWriter(encoder, recycle ? sharedWirePool : null)
 * writer.start(batch)
 * for (let piece = writer.next(); piece; piece = writer.next()) socket.write(piece.bytes)
 * ```
 */
export class WireWriter {
  /** The writes being sent; entries are cleared as soon as they are encoded. */
  private writes: Array<Uint8Array | null> = []
  private index = 0
  /** Bytes of `writes[index]` already encoded. */
  private offset = 0

  /**
   * @param encoder - the direction's box-stream encoder
   * @param pool - recycled wire buffers, or null to allocate a fresh buffer per transport write
   */
  constructor(private readonly encoder: BoxEncoder, private readonly pool: WirePool | null) {}

  /** Takes a batch to send (the previous one must be finished: {@link next} returned null). */
  start(writes: Array<Uint8Array | null>): void {
    this.writes = writes
    this.index = 0
    this.offset = 0
  }

  /** True while part of the batch is not encoded yet. */
  get pending(): boolean {
    this.skipEmpty()
    return this.index < this.writes.length
  }

  /** The plaintext not encoded yet, oldest first (the batch is then forgotten). */
  takeRemaining(): Uint8Array[] {
    const out: Uint8Array[] = []
    for (; this.index < this.writes.length; this.index++, this.offset = 0) {
      const data = this.writes[this.index]
      if (data && data.length > this.offset) out.push(this.offset ? data.subarray(this.offset) : data)
    }
    this.writes = []
    this.index = 0
    return out
  }

  /** Encodes the next transport write's worth of the batch; null once everything is encoded. */
  next(): WirePiece | null {
    if (!this.pending) return null
    const wire = this.pool?.take() ?? null
    const out = wire ? wire.bytes : allocBuffer(this.freshSize())
    const used = this.fill(out, wire)
    return { bytes: used === out.length ? out : out.subarray(0, used), wire }
  }

  /** Encodes as much of the batch as fits in `out` (at least one frame); returns the bytes used. */
  private fill(out: Uint8Array, wire: WireBuffer | null): number {
    let used = 0
    while (this.pending) {
      const data = this.writes[this.index]!
      const left = data.length - this.offset
      const take = plaintextThatFits(left, out.length - used)
      if (take === 0) break
      const piece = take === data.length ? data : data.subarray(this.offset, this.offset + take)
      used += this.encoder.encodeInto(piece, out, used, wire ?? undefined)
      this.offset += take
      if (this.offset === data.length) {
        // Let go of the plaintext now: the caller may have queued far more than one piece.
        this.writes[this.index++] = null
        this.offset = 0
      }
    }
    return used
  }

  /**
   * Size of the next fresh buffer: the wire bytes of everything pending, at most
   * {@link MAX_TRANSPORT_WRITE} (when a write is split there, {@link fill} stops at its last whole
   * frame and uses up to one frame less).
   */
  private freshSize(): number {
    let size = 0
    for (let i = this.index; i < this.writes.length && size < MAX_TRANSPORT_WRITE; i++) {
      size += encodedLength((this.writes[i]?.length ?? 0) - (i === this.index ? this.offset : 0))
    }
    return Math.min(size, MAX_TRANSPORT_WRITE)
  }

  private skipEmpty(): void {
    while (this.index < this.writes.length && (this.writes[this.index]?.length ?? 0) === this.offset) {
      this.writes[this.index++] = null
      this.offset = 0
    }
  }
}

/** Plaintext of a write with `left` bytes to go that fits in `free` wire bytes: all of it, or whole frames. */
function plaintextThatFits(left: number, free: number): number {
  return encodedLength(left) <= free ? left : Math.floor(free / FULL_FRAME_BYTES) * MAX_FRAME_BODY
}
