/**
 * Read regions for sockets that read into buffers a secret stream owns (`ownReadBuffers`, set up
 * by platform/transport-node.ts through Node's `onread` fields): the kernel copies each read
 * straight into a region of a large slab we own, instead of Node allocating a fresh 64 KiB buffer
 * per read (and shrinking it with a copy when the read is short).
 *
 * ```
 * slab (1 MiB): [ read 1 | read 2 | read 3 | … free (≥ 64 KiB, offered to the next read) ]
 *                                           └─ at
 * ```
 * Regions are handed out once and never reused: the plaintext views a secret stream hands to the
 * application (opened in place inside a read) stay valid for as long as anyone holds them, which
 * keeps their slab alive, as with Node's own pool. When less than {@link MIN_READ} bytes are left,
 * the next read gets a new slab. Every socket `connect()` and `createServer` make reads this way
 * once bulk data flows, and so does any `net.Socket` handed to `SecretStream` with `ownReadBuffers`.
 * @module
 */

/** Bytes per slab. */
const SLAB_BYTES = 1024 * 1024
/** The smallest region offered to a read (Node's own read size). */
const MIN_READ = 64 * 1024

/**
 * A bump allocator of read regions for one socket.
 * @example
 * ```ts
 * const arena = new ReadArena()
 * const region = arena.region()             // offered to the next read
 * const chunk = arena.filled(region, 1500)  // that read brought 1,500 bytes
 * ```
 */
export class ReadArena {
  private slab: Buffer = Buffer.allocUnsafeSlow(0)
  private at = 0

  /** The region the next read fills: the rest of the slab, or a fresh slab. */
  region(): Buffer {
    if (this.slab.length - this.at < MIN_READ) {
      // Uninitialised: only bytes a read wrote are ever looked at.
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.at = 0
    }
    return this.slab.subarray(this.at)
  }

  /** The first `n` bytes of `region`, just filled by a read; they are never offered again. */
  filled(region: Buffer, n: number): Buffer {
    this.at += n
    return region.subarray(0, n)
  }
}
