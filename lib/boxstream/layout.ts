/**
 * Box-stream framing, byte for byte as pull-box-stream@1.0.13 sends it.
 *
 * One frame per chunk of at most 4096 plaintext bytes, header nonce N, body nonce N+1:
 * ```
 *  0               16      18               34                 34+len
 *  ├─ header tag ──┼─ len ─┼─── body tag ───┼──── body ciphertext ────┤
 *  │   (16)        │ u16be │      (16)      │        (len)            │
 *  └───────────────┴───────┴────────────────┴─────────────────────────┘
 *                  └─ secretbox(nonce N)  ─┘  secretbox(nonce N+1), tag moved into the header
 * ```
 * The goodbye is a header whose 18 plaintext bytes are all zero (34 bytes on the wire).
 * Nonces are a 24-byte big-endian counter, +1 per secretbox, wrapping at 2^192.
 * @module
 */

/**
 * Largest plaintext carried by one frame; larger writes are split.
 * @example
 * ```ts
 * encoder.encode(Buffer.alloc(10_000)) // three frames: 4096 + 4096 + 1808 bytes (MAX_FRAME_BODY each at most)
 * ```
 */
export const MAX_FRAME_BODY = 4096
/** Bytes of a boxed header on the wire. */
export const HEADER_BYTES = 34
/** Bytes of a header's plaintext: u16be length ‖ 16-byte body tag. */
export const HEADER_PLAINTEXT_BYTES = 18
/** Bytes of a Poly1305 tag. */
export const TAG_BYTES = 16
/** Bytes of a nonce. */
export const NONCE_BYTES = 24
/** Bytes of a box-stream key. */
export const KEY_BYTES = 32

/** Adds one to a 24-byte big-endian counter in place, wrapping from all-0xff to all-zero. */
export function incrementNonce(nonce: Uint8Array): void {
  for (let i = nonce.length - 1; i >= 0; i--) {
    if (nonce[i] !== 255) {
      nonce[i]!++
      return
    }
    nonce[i] = 0
  }
}

/** See {@link bodyNonceOf}. */
const bodyNonceScratch = new Uint8Array(NONCE_BYTES)

/**
 * The nonce of a frame's body, `nonce + 1` (the header uses `nonce`), in one scratch array shared
 * by every encoder and decoder: a codec asks for it right before the secretbox call that uses it,
 * so no codec carries a 24-byte array of its own (an idle connection holds two codecs). Nonces
 * are not secret; the next call overwrites it.
 * @example
 * ```ts
 * box.seal(body, bodyTag, bodyNonceOf(nonce))
 * ```
 */
export function bodyNonceOf(nonce: Uint8Array): Uint8Array {
  bodyNonceScratch.set(nonce)
  incrementNonce(bodyNonceScratch)
  return bodyNonceScratch
}

/** Total wire bytes for `plaintextLength` bytes of one write (no goodbye). */
export function encodedLength(plaintextLength: number): number {
  const frames = Math.ceil(plaintextLength / MAX_FRAME_BODY)
  return plaintextLength + frames * HEADER_BYTES
}
