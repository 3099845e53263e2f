/**
 * SHA-256 (FIPS 180-4) in one call, for the wasm backend (libsodium-wrappers' build has none).
 * A handshake hashes six short inputs per side (32 to 128 bytes), where `@noble/hashes`'
 * `sha256()` spends more time building its hash object than compressing: in Chromium, 1.6 µs for
 * 32 bytes and 3.3 µs for 128, against 0.4 and 0.9 µs here (docs/browser.md).
 *
 * The noble backend keeps noble's: `@noble/curves` loads `@noble/hashes`' SHA-2 module for
 * Ed25519 anyway, so there this file would only add 2 KB to the browser bundle.
 *
 * One call keeps the eight state words in local variables and works through a module-level
 * scratch, which it zeroes before returning (the inputs are key material):
 * ```
 * W     Int32Array(64)   message schedule of the block being compressed
 * tail  Uint8Array(128)  the last partial block, 0x80, zeros, the bit length as 64-bit big-endian
 *                        (one block if the partial block has room for 9 more bytes, else two)
 * ```
 * Full blocks are read straight from the input, big-endian, byte by byte: no copy, no view.
 * @module
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
)

/** The initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const IV = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

const W = new Int32Array(64)
const TAIL = new Uint8Array(128)
/** The state between blocks. */
const H = new Int32Array(8)

/** Compresses the 64-byte block at `bytes[offset..offset + 64)` into {@link H}. */
function compress(bytes: Uint8Array, offset: number): void {
  const w = W
  for (let i = 0; i < 16; i++, offset += 4) {
    w[i] = (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]
    const y = w[i - 2]
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[i] = (s1 + w[i - 7] + s0 + w[i - 16]) | 0
  }
  const h = H
  let a = h[0]
  let b = h[1]
  let c = h[2]
  let d = h[3]
  let e = h[4]
  let f = h[5]
  let g = h[6]
  let hh = h[7]
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    hh = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  h[0] = (h[0] + a) | 0
  h[1] = (h[1] + b) | 0
  h[2] = (h[2] + c) | 0
  h[3] = (h[3] + d) | 0
  h[4] = (h[4] + e) | 0
  h[5] = (h[5] + f) | 0
  h[6] = (h[6] + g) | 0
  h[7] = (h[7] + hh) | 0
}

/**
 * SHA-256 of `data`, 32 fresh bytes. Any length (the bit length is written as a full 64-bit
 * count); synchronous and not re-entrant, which a single-threaded caller never notices.
 * @example
 * ```ts
 * const digest = sha256(new TextEncoder().encode('abc'))
 * // ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  H.set(IV)
  const length = data.length
  const full = length - (length & 63)
  for (let offset = 0; offset < full; offset += 64) compress(data, offset)

  // The tail: what is left, 0x80, zeros, then the length in bits (high word first).
  const rest = length - full
  const tail = TAIL
  for (let i = 0; i < rest; i++) tail[i] = data[full + i]
  tail[rest] = 0x80
  const tailBytes = rest < 56 ? 64 : 128
  tail.fill(0, rest + 1, tailBytes - 8)
  const high = Math.floor(length / 0x20000000)
  const low = (length << 3) >>> 0
  tail[tailBytes - 8] = high >>> 24
  tail[tailBytes - 7] = high >>> 16
  tail[tailBytes - 6] = high >>> 8
  tail[tailBytes - 5] = high
  tail[tailBytes - 4] = low >>> 24
  tail[tailBytes - 3] = low >>> 16
  tail[tailBytes - 2] = low >>> 8
  tail[tailBytes - 1] = low
  compress(tail, 0)
  if (tailBytes === 128) compress(tail, 64)

  const out = new Uint8Array(32)
  for (let i = 0, j = 0; i < 8; i++, j += 4) {
    const word = H[i]
    out[j] = word >>> 24
    out[j + 1] = word >>> 16
    out[j + 2] = word >>> 8
    out[j + 3] = word
  }
  tail.fill(0, 0, tailBytes)
  W.fill(0)
  H.fill(0)
  return out
}
