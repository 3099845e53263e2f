/**
 * Randomness from the platform's CSPRNG, `globalThis.crypto.getRandomValues`: present in every
 * browser, Deno, Bun and Node ≥ 19, and the one source the portable backends draw from.
 * @module
 */

/** The Web Crypto API refuses more than this many bytes per `getRandomValues` call. */
const MAX_PER_CALL = 65536

/**
 * `length` fresh random bytes from `globalThis.crypto.getRandomValues`, in pieces of at most
 * 65,536 bytes as the Web Crypto API requires.
 *
 * The wasm backend draws from here too rather than from libsodium-wrappers' `randombytes_buf`:
 * in Chromium that call takes about 57 µs for 32 bytes (against about 2 µs here), which was a
 * tenth of a wasm handshake pair's time (docs/browser.md).
 * @example
 * ```ts
 * const seed = webRandomBytes(32)
 * ```
 */
export function webRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let at = 0; at < length; at += MAX_PER_CALL) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + MAX_PER_CALL)))
  return out
}
