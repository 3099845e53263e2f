/**
 * Reads for sockets the library creates itself (`connect()`'s, and those `createServer` accepts),
 * through Node's `onread` option: the kernel copies each read straight into a region of a large
 * slab we own, instead of Node allocating a fresh 64 KiB buffer per read (and shrinking it with a
 * copy when the read is short).
 *
 * ```
 * slab (1 MiB): [ read 1 | read 2 | read 3 | … free (≥ 64 KiB, offered to the next read) ]
 *                                           └─ at
 * ```
 * Regions are handed out once and never reused: the plaintext views a secret stream hands to the
 * application (opened in place inside a read) stay valid for as long as anyone holds them, which
 * keeps their slab alive, as with Node's own pool. When less than {@link MIN_READ} bytes are left,
 * the next read gets a new slab.
 *
 * Used by `connect()`'s own sockets (created with `onread`) and by any other `net.Socket` a
 * `SecretStream` reads with `ownReadBuffers` (those `createServer` accepts, and sockets handed over
 * by the application), which are given the same fields (platform/transport-node.ts).
 * @module
 */
import type { OnReadOpts } from 'node:net'

/** Bytes per slab. */
const SLAB_BYTES = 1024 * 1024
/** The smallest region offered to a read (Node's own read size). */
const MIN_READ = 64 * 1024

/**
 * A bump allocator of read regions for one socket.
 * @example
 * ```ts
 * const arena = new ReadArena()
 * const socket: net.Socket = net.connect({ port, onread: arena.onread((chunk) => socket.emit('data', chunk)) })
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

  /**
   * Node's `onread` option for `net.connect`, delivering each read to `deliver`.
   * @param deliver - gets every read as a buffer nobody else holds or will reuse
   */
  onread(deliver: (chunk: Buffer) => void): OnReadOpts {
    return {
      buffer: () => this.region(),
      callback: (n: number, region: Uint8Array) => {
        deliver(this.filled(region as Buffer, n))
        return true // flow control is the reader's: it calls socket.pause()
      }
    }
  }
}
