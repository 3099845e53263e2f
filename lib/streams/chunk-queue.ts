/**
 * Transport chunks waiting to be read in exact lengths (the handshake's 64/64/112/80-byte messages).
 *
 * ```
 * chunks:  [ 50 ][ 30 ][ 200 ............ ]     take(64) -> copy of 50 + 14
 *                                                 take(16) -> view into the 30-byte chunk
 * ```
 * A read that one chunk can satisfy is a view into it (no copy); a read that spans chunks is
 * copied into a fresh buffer. Only adapters use it; the data path after the handshake does not.
 * @module
 */
import { allocPlatformBytes } from '#platform-bytes'

/** A FIFO of byte chunks with exact-length reads. */
export class ChunkQueue {
  private chunks: Buffer[] = []
  private bytes = 0

  /** Bytes queued. */
  get length(): number {
    return this.bytes
  }

  /** Appends a chunk (kept by reference, not copied). Empty chunks are ignored. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.bytes += chunk.length
  }

  /**
   * Removes and returns exactly `n` bytes from the front; `null` when fewer are queued or `n` is 0.
   * The result may be a view into a queued chunk.
   */
  take(n: number): Buffer | null {
    if (n <= 0 || this.bytes < n) return null
    const first = this.chunks[0]!
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = allocPlatformBytes(n)
      let at = 0
      while (at < n) {
        const head = this.chunks[0]!
        const use = Math.min(head.length, n - at)
        out.set(head.subarray(0, use), at)
        at += use
        if (use === head.length) this.chunks.shift()
        else this.chunks[0] = head.subarray(use)
      }
    }
    this.bytes -= n
    return out
  }

  /** Removes and returns every queued chunk, in order. */
  drain(): Buffer[] {
    const all = this.chunks
    this.chunks = []
    this.bytes = 0
    return all
  }
}
