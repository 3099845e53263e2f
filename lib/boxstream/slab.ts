/**
 * A bump allocator for the data path's buffers, like Node's own Buffer pool but for the sizes
 * box-stream uses. Node pools only allocations under 4 KiB, so every 4 KiB frame (4,130 bytes on
 * the wire) would otherwise cost a fresh ArrayBuffer, and GC pressure to match.
 *
 * ```
 * slab (64 KiB): [ handed out … | handed out | free … ]
 *                                             └─ next
 * ```
 * Regions are handed out once and never reused, so a buffer stays valid for as long as anyone
 * holds it (which keeps its slab alive, as with Node's pool). The slab is shared by every
 * connection, so an idle connection holds none. Contents are uninitialised: callers overwrite
 * every byte they expose.
 * @module
 */
import { allocPlatformBytes, allocPlatformBytesSlow, platformView } from '#platform-bytes'
import type { PlatformBytes } from '../platform/bytes-type.js'

/** Bytes per slab. */
const SLAB_BYTES = 64 * 1024
/** Larger requests get their own allocation (a big buffer would waste most of a slab). */
const MAX_CARVED = 8 * 1024

let slab: ArrayBuffer | null = null
let next = 0

/** An uninitialised Buffer of `size` bytes, carved from the shared slab when small. */
export function allocBuffer(size: number): PlatformBytes {
  if (size > MAX_CARVED || size === 0) return allocPlatformBytes(size)
  if (slab === null || next + size > SLAB_BYTES) {
    // Uninitialised memory: `new ArrayBuffer` would zero 64 KiB that is about to be overwritten.
    slab = allocPlatformBytesSlow(SLAB_BYTES).buffer as ArrayBuffer
    next = 0
  }
  const out = platformView(slab, next, size)
  // Keep every region 8-byte aligned (helps the pure-JS ciphers' word-aligned paths).
  next += (size + 7) & ~7
  return out
}
