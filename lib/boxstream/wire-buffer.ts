/**
 * A reusable wire buffer for the box-stream sender, with the views of each full-frame slot made
 * once, when the buffer is made, instead of once per frame.
 *
 * Frames of a full 4096-byte body sit at natural offsets k × 4130, so for a buffer that is filled
 * with full frames from its start, every libsodium call can take a view made in advance:
 * ```
 * slot k at k × 4130:  0        16    18        34                       4130
 *                      ├ hdr tag ┼ len ┼ body tag ┼──────── body ──────────┤
 *   headerTag[k] ──────┘         └─ headerPlain[k] ┘└────── body[k] ───────┘
 *                                       bodyTag[k] = bytes 18..34
 * ```
 * A view costs about 0.1 µs and a frame needs four: 0.1 s/GiB that a recycled buffer pays once.
 * Frames that do not fall on a natural offset (after a short write) get views made on the spot.
 * @module
 */
import { allocPlatformBytesSlow } from '#platform-bytes'
import { HEADER_BYTES, MAX_FRAME_BODY, TAG_BYTES } from './layout.js'
import type { PlatformBytes } from '../platform/bytes-type.js'

/** Wire bytes of a frame with a full body. */
export const FULL_FRAME_BYTES = HEADER_BYTES + MAX_FRAME_BODY

/**
 * A wire buffer of `frames` full-frame slots and the views of each slot.
 * @example
 * ```ts
 * const wire = new WireBuffer(64) // 264,320 bytes: 256 KiB of plaintext
 * const n = encoder.encodeInto(plaintext, wire.bytes, 0, wire)
 * socket.write(wire.bytes.subarray(0, n), () => pool.push(wire)) // reusable once written
 * ```
 */
export class WireBuffer {
  /** The whole buffer. */
  readonly bytes: PlatformBytes
  /** Number of full-frame slots. */
  readonly frames: number
  /** Per slot: the header's tag, bytes 0..16. */
  readonly headerTag: Uint8Array[] = []
  /** Per slot: the header's plaintext (length ‖ body tag), bytes 16..34. */
  readonly headerPlain: Uint8Array[] = []
  /** Per slot: the body's tag, bytes 18..34. */
  readonly bodyTag: Uint8Array[] = []
  /** Per slot: the body, bytes 34..4130. */
  readonly body: Uint8Array[] = []

  /** @param frames - full-frame slots (the buffer holds `frames` × 4130 bytes) */
  constructor(frames: number) {
    this.frames = frames
    // Outside Node's pool: the buffer lives long and is reused, so it should not pin a pool slab.
    this.bytes = allocPlatformBytesSlow(frames * FULL_FRAME_BYTES)
    const { buffer, byteOffset } = this.bytes
    for (let k = 0, at = byteOffset; k < frames; k++, at += FULL_FRAME_BYTES) {
      // Plain Uint8Arrays: libsodium needs only the bytes, and they are cheaper to make than Buffers.
      this.headerTag.push(new Uint8Array(buffer, at, TAG_BYTES))
      this.headerPlain.push(new Uint8Array(buffer, at + TAG_BYTES, HEADER_BYTES - TAG_BYTES))
      this.bodyTag.push(new Uint8Array(buffer, at + 18, TAG_BYTES))
      this.body.push(new Uint8Array(buffer, at + HEADER_BYTES, MAX_FRAME_BODY))
    }
  }
}
