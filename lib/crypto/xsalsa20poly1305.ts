/**
 * The secretbox of the pure-JS backend (`crypto_secretbox_detached` / `_open_detached`:
 * XSalsa20 + Poly1305), as two tight loops over one aligned scratch buffer, with no allocation
 * per call.
 *
 * Why not @noble/ciphers' `salsa20` + `poly1305` calls: per 4 KiB box-stream frame those copy the
 * key, the nonce and the whole message (`Uint8Array.from`), build 32-bit views, allocate a
 * Poly1305 object and keep its state in typed arrays between blocks; together about a third of
 * the time of a box+unbox. HSalsa20 (the subkey, once per nonce prefix: see noble.ts) is the
 * same Salsa20 core, so {@link hsalsa20} reuses it: with this module the portable core needs no
 * cipher package (4 KB less in a browser bundle).
 *
 * Layout of one call, in the scratch buffer (4-byte aligned, so the 32-bit view sees every word):
 * ```
 * byte   0        32                     32 + length
 *        [ zeros | message              | slack up to the next 4 bytes ]
 * block  [ Salsa20 block 0 (64 bytes)   ][ block 1 ] ...        keystream XORed over all of it
 *          └ first 32 keystream bytes = the one-time Poly1305 key (r, s), never written out
 * ```
 * Poly1305 runs over the ciphertext bytes [32, 32 + length). Everything the scratch held is
 * zeroed before a call returns.
 *
 * On little-endian platforms (every browser; Node except s390x) the message is copied into the
 * scratch as bytes and read as words. Elsewhere the engine assembles and splits the words byte by
 * byte instead (slower, same output): {@link SecretboxEngine}'s `byteByByte` option.
 * @module
 */

/** True when typed-array words are little-endian (the engine's fast way to load and store words). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/** "expand 32-byte k" as little-endian words. */
const S0 = 0x61707865
const S1 = 0x3320646e
const S2 = 0x79622d32
const S3 = 0x6b206574

/** Bodies up to this many bytes use the engine's own scratch; longer ones get a temporary one. */
const SCRATCH_BODY = 4096

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n))

/**
 * One Salsa20/20 block for key words `k`, nonce words `n0`, `n1` and the 64-bit block counter
 * `counter`, `counterHigh` (a secretbox never reaches 2^32 blocks, so the high word is 0 there;
 * HSalsa20 puts nonce words in both): 16 keystream words into `out`.
 */
function salsa20Block(k: Uint32Array, n0: number, n1: number, counter: number, counterHigh: number, out: Uint32Array): void {
  const j1 = k[0]! | 0, j2 = k[1]! | 0, j3 = k[2]! | 0, j4 = k[3]! | 0
  const j11 = k[4]! | 0, j12 = k[5]! | 0, j13 = k[6]! | 0, j14 = k[7]! | 0
  let x0 = S0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = S1, x6 = n0, x7 = n1
  let x8 = counter, x9 = counterHigh, x10 = S2, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = S3
  for (let round = 0; round < 20; round += 2) {
    // Column round: quarter-rounds on (0 4 8 12), (5 9 13 1), (10 14 2 6), (15 3 7 11).
    x4 ^= rotl((x0 + x12) | 0, 7); x8 ^= rotl((x4 + x0) | 0, 9); x12 ^= rotl((x8 + x4) | 0, 13); x0 ^= rotl((x12 + x8) | 0, 18)
    x9 ^= rotl((x5 + x1) | 0, 7); x13 ^= rotl((x9 + x5) | 0, 9); x1 ^= rotl((x13 + x9) | 0, 13); x5 ^= rotl((x1 + x13) | 0, 18)
    x14 ^= rotl((x10 + x6) | 0, 7); x2 ^= rotl((x14 + x10) | 0, 9); x6 ^= rotl((x2 + x14) | 0, 13); x10 ^= rotl((x6 + x2) | 0, 18)
    x3 ^= rotl((x15 + x11) | 0, 7); x7 ^= rotl((x3 + x15) | 0, 9); x11 ^= rotl((x7 + x3) | 0, 13); x15 ^= rotl((x11 + x7) | 0, 18)
    // Row round: quarter-rounds on (0 1 2 3), (5 6 7 4), (10 11 8 9), (15 12 13 14).
    x1 ^= rotl((x0 + x3) | 0, 7); x2 ^= rotl((x1 + x0) | 0, 9); x3 ^= rotl((x2 + x1) | 0, 13); x0 ^= rotl((x3 + x2) | 0, 18)
    x6 ^= rotl((x5 + x4) | 0, 7); x7 ^= rotl((x6 + x5) | 0, 9); x4 ^= rotl((x7 + x6) | 0, 13); x5 ^= rotl((x4 + x7) | 0, 18)
    x11 ^= rotl((x10 + x9) | 0, 7); x8 ^= rotl((x11 + x10) | 0, 9); x9 ^= rotl((x8 + x11) | 0, 13); x10 ^= rotl((x9 + x8) | 0, 18)
    x12 ^= rotl((x15 + x14) | 0, 7); x13 ^= rotl((x12 + x15) | 0, 9); x14 ^= rotl((x13 + x12) | 0, 13); x15 ^= rotl((x14 + x13) | 0, 18)
  }
  out[0] = x0 + S0; out[1] = x1 + j1; out[2] = x2 + j2; out[3] = x3 + j3
  out[4] = x4 + j4; out[5] = x5 + S1; out[6] = x6 + n0; out[7] = x7 + n1
  out[8] = x8 + counter; out[9] = x9 + counterHigh; out[10] = x10 + S2; out[11] = x11 + j11
  out[12] = x12 + j12; out[13] = x13 + j13; out[14] = x14 + j14; out[15] = x15 + S3
}

const hsalsaBlock = new Uint32Array(16)

/**
 * HSalsa20: the XSalsa20 subkey of key words `k` for the nonce's first 16 bytes (`nonce[0..16)`),
 * 8 words into `out`. HSalsa20 is the Salsa20 core with the nonce in words 6..9 and without the
 * final addition of the input, whose output words 0, 5, 10, 15 (the constants' places) and 6..9
 * (the nonce's) are taken. So it is one {@link salsa20Block} minus that addition:
 * ```
 * out = [ b0 - S0, b5 - S1, b10 - S2, b15 - S3, b6 - n0, b7 - n1, b8 - n2, b9 - n3 ]   (mod 2^32)
 * ```
 * @example
 * ```ts
 * const subkey = new Uint32Array(8)
 * hsalsa20(keyWords, nonce, subkey) // then engine.seal(subkey, nonce, data, tag)
 * ```
 */
export function hsalsa20(k: Uint32Array, nonce: Uint8Array, out: Uint32Array): void {
  const n0 = readWord(nonce, 0), n1 = readWord(nonce, 4), n2 = readWord(nonce, 8), n3 = readWord(nonce, 12)
  const b = hsalsaBlock
  salsa20Block(k, n0, n1, n2, n3, b)
  out[0] = b[0]! - S0; out[1] = b[5]! - S1; out[2] = b[10]! - S2; out[3] = b[15]! - S3
  out[4] = b[6]! - n0; out[5] = b[7]! - n1; out[6] = b[8]! - n2; out[7] = b[9]! - n3
  b.fill(0)
}

/**
 * Poly1305 of `length` bytes of `words` (as bytes) from word `at`, keyed by `key[0..8)`, into
 * `tag` (16 bytes). The accumulator h and the clamped r are ten 13-bit limbs each, so every
 * product and every partial sum stays below 2^32:
 * ```
 * limb i = bits 13i .. 13i+12 of a 130-bit number;  2^130 ≡ 5 (mod 2^130 - 5)
 * ```
 * `words` must be readable for the whole last block (the bytes past `length` are masked off).
 */
function poly1305(words: Uint32Array, at: number, length: number, key: Uint32Array, tag: Uint8Array): void {
  // r = key[0..16) with the clamp 0x0ffffffc0ffffffc0ffffffc0fffffff.
  const k0 = key[0]! & 0x0fffffff, k1 = key[1]! & 0x0ffffffc, k2 = key[2]! & 0x0ffffffc, k3 = key[3]! & 0x0ffffffc
  const r0 = k0 & 0x1fff
  const r1 = (k0 >>> 13) & 0x1fff
  const r2 = ((k0 >>> 26) | (k1 << 6)) & 0x1fff
  const r3 = (k1 >>> 7) & 0x1fff
  const r4 = ((k1 >>> 20) | (k2 << 12)) & 0x1fff
  const r5 = (k2 >>> 1) & 0x1fff
  const r6 = (k2 >>> 14) & 0x1fff
  const r7 = ((k2 >>> 27) | (k3 << 5)) & 0x1fff
  const r8 = (k3 >>> 8) & 0x1fff
  const r9 = (k3 >>> 21) & 0x1fff
  // 5·r for the limbs that wrap past 2^130.
  const s1 = 5 * r1, s2 = 5 * r2, s3 = 5 * r3, s4 = 5 * r4, s5 = 5 * r5, s6 = 5 * r6, s7 = 5 * r7, s8 = 5 * r8, s9 = 5 * r9
  let h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0, h8 = 0, h9 = 0
  const full = length >>> 4
  const blocks = full + ((length & 15) === 0 ? 0 : 1)
  for (let b = 0; b < blocks; b++) {
    let m0: number, m1: number, m2: number, m3: number, hibit: number
    if (b < full) {
      const w = at + 4 * b
      m0 = words[w]!; m1 = words[w + 1]!; m2 = words[w + 2]!; m3 = words[w + 3]!
      hibit = 1 << 11
    } else {
      // The last partial block: its bytes, then 0x01, then zeros; no 2^128 bit.
      const rest = length & 15
      const w = at + 4 * full
      m0 = tailWord(words[w]!, rest, 0); m1 = tailWord(words[w + 1]!, rest, 4)
      m2 = tailWord(words[w + 2]!, rest, 8); m3 = tailWord(words[w + 3]!, rest, 12)
      hibit = 0
    }
    // h += m, m split into 13-bit limbs (the 2^128 bit is bit 11 of limb 9).
    h0 += m0 & 0x1fff
    h1 += (m0 >>> 13) & 0x1fff
    h2 += ((m0 >>> 26) | (m1 << 6)) & 0x1fff
    h3 += (m1 >>> 7) & 0x1fff
    h4 += ((m1 >>> 20) | (m2 << 12)) & 0x1fff
    h5 += (m2 >>> 1) & 0x1fff
    h6 += (m2 >>> 14) & 0x1fff
    h7 += ((m2 >>> 27) | (m3 << 5)) & 0x1fff
    h8 += (m3 >>> 8) & 0x1fff
    h9 += (m3 >>> 21) | hibit
    // h *= r (mod 2^130 - 5). Each d sums ten products of < 2^14 · 2^16; the sum is split in two
    // halves with a carry between them so that neither exceeds 2^32.
    let c: number
    let d0 = h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6
    c = d0 >>> 13; d0 &= 0x1fff
    d0 += h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1
    c += d0 >>> 13; d0 &= 0x1fff
    let d1 = c + h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7
    c = d1 >>> 13; d1 &= 0x1fff
    d1 += h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2
    c += d1 >>> 13; d1 &= 0x1fff
    let d2 = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8
    c = d2 >>> 13; d2 &= 0x1fff
    d2 += h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3
    c += d2 >>> 13; d2 &= 0x1fff
    let d3 = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9
    c = d3 >>> 13; d3 &= 0x1fff
    d3 += h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4
    c += d3 >>> 13; d3 &= 0x1fff
    let d4 = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
    c = d4 >>> 13; d4 &= 0x1fff
    d4 += h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5
    c += d4 >>> 13; d4 &= 0x1fff
    let d5 = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1
    c = d5 >>> 13; d5 &= 0x1fff
    d5 += h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6
    c += d5 >>> 13; d5 &= 0x1fff
    let d6 = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2
    c = d6 >>> 13; d6 &= 0x1fff
    d6 += h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7
    c += d6 >>> 13; d6 &= 0x1fff
    let d7 = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3
    c = d7 >>> 13; d7 &= 0x1fff
    d7 += h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8
    c += d7 >>> 13; d7 &= 0x1fff
    let d8 = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4
    c = d8 >>> 13; d8 &= 0x1fff
    d8 += h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9
    c += d8 >>> 13; d8 &= 0x1fff
    let d9 = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5
    c = d9 >>> 13; d9 &= 0x1fff
    d9 += h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0
    c += d9 >>> 13; d9 &= 0x1fff
    // The carry out of limb 9 is worth c · 2^130 ≡ 5c.
    c = (c * 5 + d0) | 0
    h0 = c & 0x1fff
    h1 = d1 + (c >>> 13)
    h2 = d2; h3 = d3; h4 = d4; h5 = d5; h6 = d6; h7 = d7; h8 = d8; h9 = d9
  }
  // Carry fully, then reduce once: h < 2^130 + small, so h mod p is h or h - p.
  let c = h1 >>> 13; h1 &= 0x1fff
  h2 += c; c = h2 >>> 13; h2 &= 0x1fff
  h3 += c; c = h3 >>> 13; h3 &= 0x1fff
  h4 += c; c = h4 >>> 13; h4 &= 0x1fff
  h5 += c; c = h5 >>> 13; h5 &= 0x1fff
  h6 += c; c = h6 >>> 13; h6 &= 0x1fff
  h7 += c; c = h7 >>> 13; h7 &= 0x1fff
  h8 += c; c = h8 >>> 13; h8 &= 0x1fff
  h9 += c; c = h9 >>> 13; h9 &= 0x1fff
  h0 += c * 5; c = h0 >>> 13; h0 &= 0x1fff
  h1 += c; c = h1 >>> 13; h1 &= 0x1fff
  h2 += c
  // g = h + 5 - 2^130; use g when it is not negative (h >= p), in constant time.
  let g0 = h0 + 5; c = g0 >>> 13; g0 &= 0x1fff
  let g1 = h1 + c; c = g1 >>> 13; g1 &= 0x1fff
  let g2 = h2 + c; c = g2 >>> 13; g2 &= 0x1fff
  let g3 = h3 + c; c = g3 >>> 13; g3 &= 0x1fff
  let g4 = h4 + c; c = g4 >>> 13; g4 &= 0x1fff
  let g5 = h5 + c; c = g5 >>> 13; g5 &= 0x1fff
  let g6 = h6 + c; c = g6 >>> 13; g6 &= 0x1fff
  let g7 = h7 + c; c = g7 >>> 13; g7 &= 0x1fff
  let g8 = h8 + c; c = g8 >>> 13; g8 &= 0x1fff
  let g9 = h9 + c
  const useG = -((g9 >>> 13) & 1) // all ones when h + 5 reached 2^130
  const useH = ~useG
  g9 &= 0x1fff
  h0 = (h0 & useH) | (g0 & useG); h1 = (h1 & useH) | (g1 & useG); h2 = (h2 & useH) | (g2 & useG)
  h3 = (h3 & useH) | (g3 & useG); h4 = (h4 & useH) | (g4 & useG); h5 = (h5 & useH) | (g5 & useG)
  h6 = (h6 & useH) | (g6 & useG); h7 = (h7 & useH) | (g7 & useG); h8 = (h8 & useH) | (g8 & useG)
  h9 = (h9 & useH) | (g9 & useG)
  // tag = (h + s) mod 2^128, s = key[16..32), in 32-bit words with the carry between them.
  const w0 = (h0 | (h1 << 13) | (h2 << 26)) >>> 0
  const w1 = ((h2 >>> 6) | (h3 << 7) | (h4 << 20)) >>> 0
  const w2 = ((h4 >>> 12) | (h5 << 1) | (h6 << 14) | (h7 << 27)) >>> 0
  const w3 = ((h7 >>> 5) | (h8 << 8) | (h9 << 21)) >>> 0
  let f = w0 + key[4]!
  writeWord(tag, 0, f)
  f = w1 + key[5]! + carryOut(f)
  writeWord(tag, 4, f)
  f = w2 + key[6]! + carryOut(f)
  writeWord(tag, 8, f)
  f = w3 + key[7]! + carryOut(f)
  writeWord(tag, 12, f)
}

/** The carry (0 or 1) of a sum of two 32-bit words plus a carry, without a branch. */
function carryOut(sum: number): number {
  return (sum - (sum >>> 0)) / 0x100000000
}

/**
 * Word `word` (bytes `at..at+4` of the last block) with the bytes from `rest` on cleared and the
 * 0x01 terminator at byte `rest`. Lengths are public, so the branches leak nothing.
 */
function tailWord(word: number, rest: number, at: number): number {
  const keep = rest - at
  if (keep >= 4) return word
  if (keep < 0) return 0
  return (word & ((1 << (8 * keep)) - 1)) | (1 << (8 * keep))
}

function writeWord(out: Uint8Array, at: number, word: number): void {
  out[at] = word
  out[at + 1] = word >>> 8
  out[at + 2] = word >>> 16
  out[at + 3] = word >>> 24
}

/**
 * The first `out.length` little-endian 32-bit words of `bytes` (a key as HSalsa20 wants it).
 * @example
 * ```ts
 * hsalsa20(wordsLE(key, new Uint32Array(8)), nonce, subkey)
 * ```
 */
export function wordsLE(bytes: Uint8Array, out: Uint32Array): Uint32Array {
  for (let i = 0; i < out.length; i++) out[i] = readWord(bytes, 4 * i)
  return out
}

function readWord(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)
}

/**
 * Secretbox seal and open for a given XSalsa20 subkey (`HSalsa20(key, nonce[0..16))`, as 8
 * little-endian words), over this engine's own scratch. One engine per backend: calls are
 * synchronous and never nest.
 * @example
 * ```ts
 * const engine = new SecretboxEngine()
 * engine.seal(subkeyWords, nonce, body, tag)          // body encrypted in place, tag written
 * const ok = engine.open(subkeyWords, nonce, out, body, tag)
 * ```
 */
export class SecretboxEngine {
  private readonly scratch = new Uint32Array((32 + SCRATCH_BODY + 64) >>> 2)
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer)
  /** The current keystream block. */
  private readonly block = new Uint32Array(16)
  /** Block 0's first 32 bytes: the one-time Poly1305 key. */
  private readonly polyKey = new Uint32Array(8)
  private readonly tag = new Uint8Array(16)
  /** Messages go in and out of the word scratch as bytes of its own memory (little-endian only). */
  private readonly aliased: boolean

  /**
   * @param options - `byteByByte`: assemble and split words byte by byte even on a little-endian
   *   platform (what big-endian ones always do; tests use it to check that path anywhere)
   */
  constructor(options: { byteByByte?: boolean } = {}) {
    this.aliased = LITTLE_ENDIAN && options.byteByByte !== true
  }

  /**
   * `crypto_secretbox_detached` in place: encrypts `data` and writes its 16-byte tag to `tag`.
   * `nonce` is the whole 24-byte nonce; only bytes 16..24 are read here.
   */
  seal(subkey: Uint32Array, nonce: Uint8Array, data: Uint8Array, tag: Uint8Array): void {
    const length = data.length
    const words = this.load(data)
    const n0 = readWord(nonce, 16), n1 = readWord(nonce, 20)
    this.firstBlock(subkey, n0, n1)
    this.stream(subkey, n0, n1, words, length)
    poly1305(words, 8, length, this.polyKey, tag)
    this.store(words, data, length)
    this.clean(words, length)
  }

  /**
   * `crypto_secretbox_open_detached`: checks `tag` over `cipher` in constant time and only then
   * writes the plaintext to `out` (which may be `cipher`). Returns false, writing nothing, otherwise.
   */
  open(subkey: Uint32Array, nonce: Uint8Array, out: Uint8Array, cipher: Uint8Array, tag: Uint8Array): boolean {
    const length = cipher.length
    const words = this.load(cipher)
    const n0 = readWord(nonce, 16), n1 = readWord(nonce, 20)
    this.firstBlock(subkey, n0, n1)
    const computed = this.tag
    poly1305(words, 8, length, this.polyKey, computed)
    let diff = 0
    for (let i = 0; i < 16; i++) diff |= computed[i]! ^ tag[i]!
    if (diff !== 0) {
      this.clean(words, length)
      return false
    }
    this.stream(subkey, n0, n1, words, length)
    this.store(words, out, length)
    this.clean(words, length)
    return true
  }

  /**
   * Copies `data` to byte 32 of an aligned scratch (the engine's, or a temporary one for long
   * inputs), whose words are all zero there (a fresh array, or {@link clean} after the last call).
   */
  private load(data: Uint8Array): Uint32Array {
    const needed = (32 + data.length + 63) >>> 2
    const words = needed <= this.scratch.length ? this.scratch : new Uint32Array(needed + 16)
    if (this.aliased) {
      this.bytesOf(words).set(data, 32)
    } else {
      for (let i = 0; i < data.length; i++) words[8 + (i >>> 2)] |= data[i]! << (8 * (i & 3))
    }
    return words
  }

  /** The reverse of {@link load}: `length` bytes from byte 32 of `words` into `out`. */
  private store(words: Uint32Array, out: Uint8Array, length: number): void {
    if (this.aliased) {
      out.set(this.bytesOf(words).subarray(32, 32 + length))
    } else {
      for (let i = 0; i < length; i++) out[i] = words[8 + (i >>> 2)]! >>> (8 * (i & 3))
    }
  }

  private bytesOf(words: Uint32Array): Uint8Array {
    return words === this.scratch ? this.scratchBytes : new Uint8Array(words.buffer)
  }

  /** Block 0 into `block`; its first 8 words, the Poly1305 key, into `polyKey`. */
  private firstBlock(subkey: Uint32Array, n0: number, n1: number): void {
    const block = this.block
    salsa20Block(subkey, n0, n1, 0, 0, block)
    for (let i = 0; i < 8; i++) this.polyKey[i] = block[i]!
  }

  /**
   * XORs the keystream over bytes [32, 32 + length) of `words` (whole words: the slack of the
   * last one is cleaned afterwards). Block 0 must already be in `block` (see {@link firstBlock}).
   */
  private stream(subkey: Uint32Array, n0: number, n1: number, words: Uint32Array, length: number): void {
    const block = this.block
    const end = (32 + length + 3) >>> 2
    for (let i = 8; i < 16 && i < end; i++) words[i] ^= block[i]!
    for (let counter = 1, w = 16; w < end; counter++, w += 16) {
      salsa20Block(subkey, n0, n1, counter, 0, block)
      const stop = Math.min(16, end - w)
      for (let i = 0; i < stop; i++) words[w + i] ^= block[i]!
    }
  }

  /** Zeroes what a call left: the scratch it used, the keystream block, the Poly1305 key and tag. */
  private clean(words: Uint32Array, length: number): void {
    words.fill(0, 0, (32 + length + 63) >>> 2)
    this.block.fill(0)
    this.polyKey.fill(0)
    this.tag.fill(0)
  }
}
