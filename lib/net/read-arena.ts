/**
 * Read regions for sockets that read into buffers a secret stream owns (`ownReadBuffers`, set up
 * by platform/transport-node.ts through Node's `onread` fields): the kernel copies each read
 * straight into a region of a large slab we own, instead of Node allocating a fresh 64 KiB buffer
 * per read (and shrinking it with a copy when the read is short).
 *
 * ```
 * slab (up to 1 MiB): [ read 1 | read 2 | read 3 | … free (≥ 64 KiB, offered to the next read) ]
 *                                                 └─ at
 * ```
 * Regions are handed out once and never reused: the plaintext views a secret stream hands to the
 * application (opened in place inside a read) stay valid for as long as anyone holds them, which
 * keeps their slab alive, as with Node's own pool. When less than {@link MIN_READ} bytes are left,
 * the next read gets a new slab. Every socket `connect()` and `createServer` make reads this way
 * once bulk data flows, and so does any `net.Socket` handed to `SecretStream` with `ownReadBuffers`.
 *
 * A switched socket always holds its current slab (the region offered to its next read lies in
 * it), so slabs are sized from a process-wide budget shared by every open arena:
 * ```
 * open arenas    1 … 64     65 … 128    129 … 256    more
 * slab size      1 MiB      512 KiB     256 KiB      none: further sockets keep Node's buffers
 * ```
 * A few bulk connections get the large slabs that make reads cheapest (fewer, larger reads:
 * docs/perf.md). Below 256 KiB a slab saves nothing: 128 KiB slabs cost the receiver as much CPU
 * as Node's own 64 KiB buffers (2.04–2.12 against 2.03–2.17 CPU s/GiB) and more memory. So once
 * 256 sockets read this way, more are not switched ({@link ReadArena.hasRoom}); they try again at
 * their next bulk read, and switch once an arena has closed. A slab already handed out keeps its
 * size until it is used up.
 * @module
 */

/** The largest slab: reads of up to 1 MiB (docs/perf.md: smaller slabs cost the receiver CPU). */
const MAX_SLAB_BYTES = 1024 * 1024
/** The smallest slab worth switching a socket for (see the module header). */
const MIN_SLAB_BYTES = 256 * 1024
/** Bytes of current slabs all open arenas may hold between them. */
export const READ_SLAB_BUDGET_BYTES = 64 * 1024 * 1024
/** Arenas the budget holds at the smallest slab: no more are opened while this many are. */
const MAX_OPEN_ARENAS = READ_SLAB_BUDGET_BYTES / MIN_SLAB_BYTES
/** The smallest region offered to a read (Node's own read size). */
const MIN_READ = 64 * 1024

/** Arenas created and not yet released, process-wide: what the budget is shared by. */
let openArenas = 0

/**
 * The slab size for a new slab while `open` arenas share the budget: the largest power of two
 * within the per-arena share, between 256 KiB and 1 MiB.
 * @param open - arenas open now (at least 1 counts)
 * @example
 * ```ts
 * slabBytesFor(10)    // 1048576
 * slabBytesFor(100)   // 524288
 * slabBytesFor(256)   // 262144
 * ```
 */
export function slabBytesFor(open: number): number {
  const share = READ_SLAB_BUDGET_BYTES / Math.max(1, open)
  let size = MAX_SLAB_BYTES
  while (size > MIN_SLAB_BYTES && size > share) size /= 2
  return size
}

/**
 * A bump allocator of read regions for one socket. Counted against the process-wide budget from
 * construction until {@link release} (when its socket closes).
 * @example
 * ```ts
 * const arena = new ReadArena()
 * const region = arena.region()             // offered to the next read
 * const chunk = arena.filled(region, 1500)  // that read brought 1,500 bytes
 * socket.once('close', () => arena.release())
 * ```
 */
export class ReadArena {
  private slab: Buffer = Buffer.allocUnsafeSlow(0)
  private at = 0
  private released = false

  constructor() {
    openArenas++
  }

  /** Arenas open in this process now. */
  static get open(): number {
    return openArenas
  }

  /** True while the budget has room for one more arena (fewer than 256 are open). */
  static get hasRoom(): boolean {
    return openArenas < MAX_OPEN_ARENAS
  }

  /** The region the next read fills: the rest of the slab, or a fresh slab sized by the budget. */
  region(): Buffer {
    if (this.slab.length - this.at < MIN_READ) {
      // Uninitialised: only bytes a read wrote are ever looked at.
      this.slab = Buffer.allocUnsafeSlow(slabBytesFor(openArenas))
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
   * Its socket closed: it no longer counts against the budget, and drops its slab (views the
   * application holds keep theirs alive). Calling it again does nothing.
   */
  release(): void {
    if (this.released) return
    this.released = true
    openArenas--
    this.slab = Buffer.allocUnsafeSlow(0)
    this.at = 0
  }
}
