/**
 * Point-validation rules shared by every backend, so that all of them reject exactly what
 * libsodium 1.0.18 rejects, whatever library does the arithmetic.
 *
 * Why this matters for SHS1: a low-order X25519 or Ed25519 key makes a DH result or a signature
 * predictable, which lets a stranger who does not know the server's key pass the handshake's
 * capability check (Cremers & Jackson 2019; go-secretstream d640867). The JS reference does not
 * even survive such input: an all-zero DH crashes its process.
 * @module
 */
/**
 * The checks below compare bytes, not BigInts: they run on every handshake (twice per verify),
 * and building a 256-bit BigInt a byte at a time cost about 5 µs per verify. All inputs here are
 * public (keys, signatures), so early exits leak nothing.
 */

/** 2^255 - 19 as 32 little-endian bytes: ed ff … ff 7f. */
const P_BYTES = littleEndianBytes((1n << 255n) - 19n)
/** The order L of the Ed25519 prime-order subgroup, as 32 little-endian bytes. */
const L_BYTES = littleEndianBytes((1n << 252n) + 27742317777372353535851937790883648493n)

function littleEndianBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}

/**
 * `a[from..from+32) < b` as little-endian numbers, with bit 255 of `a` cleared when `mask255`
 * (an Ed25519 encoding's sign bit is not part of y).
 */
function lessThan(a: Uint8Array, from: number, b: Uint8Array, mask255: boolean): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 && mask255 ? a[from + 31]! & 0x7f : a[from + i]!
    if (x !== b[i]) return x < b[i]!
  }
  return false
}

/**
 * The y-coordinates (mod p) of the eight points of small order (the 8-torsion subgroup), as
 * 32-byte little-endian values: 0, 1, p - 1 and the two y of the points of order 8.
 * An encoding whose y reduces to one of these is of small order whatever its sign bit says;
 * this covers libsodium's seven-entry blacklist, including the non-canonical encodings p and p+1.
 * (The list is written out rather than derived from @noble/curves' `ED25519_TORSION_SUBGROUP`, so
 * that this module imports no curve code: the WebCrypto backend needs it without noble.
 * test/crypto/policy.test.ts checks it against that list.)
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0: order 4
  '0100000000000000000000000000000000000000000000000000000000000000', // y = 1: the identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p - 1: order 2
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a' // order 8
].map(hexToBytes)

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * y mod p of a 32-byte encoding, sign bit cleared. A y that is not canonical lies in
 * [p, 2^255 - 1], so y - p is just its low byte minus 0xed (0..18) with every other byte zero.
 */
function reducedY(encoding: Uint8Array): Uint8Array {
  const y = encoding.slice(0, 32)
  y[31]! &= 0x7f
  if (lessThan(y, 0, P_BYTES, false)) return y
  const low = y[0]! - 0xed
  y.fill(0)
  y[0] = low
  return y
}

/** True when the 32-byte Ed25519 encoding has y < p (libsodium `ge25519_is_canonical`). */
export function isCanonicalEdwardsEncoding(encoding: Uint8Array): boolean {
  return encoding.length === 32 && lessThan(encoding, 0, P_BYTES, true)
}

/**
 * True when the 32-byte Ed25519 encoding names a point of small order (libsodium
 * `ge25519_has_small_order`). Fails closed: anything but 32 bytes counts as small order.
 */
export function hasSmallOrderEdwardsEncoding(encoding: Uint8Array): boolean {
  if (encoding.length !== 32) return true
  // Rare: y in [p, 2^255) names y - p (0..18), which may be 0 or 1.
  if (!lessThan(encoding, 0, P_BYTES, true)) return SMALL_ORDER_Y.some((y) => equalBytes(y, reducedY(encoding)))
  for (const y of SMALL_ORDER_Y) if (sameY(encoding, y)) return true
  return false
}

/** The canonical `encoding`'s y (sign bit cleared) is `y`; most encodings differ at byte 0 or 1. */
function sameY(encoding: Uint8Array, y: Uint8Array): boolean {
  for (let i = 0; i < 31; i++) if (encoding[i] !== y[i]) return false
  return (encoding[31]! & 0x7f) === y[31]
}

/** True when the scalar S of a signature (its last 32 bytes) is below L (libsodium `sc25519_is_canonical`). */
function isCanonicalSignatureScalar(signature: Uint8Array): boolean {
  return lessThan(signature, 32, L_BYTES, false)
}

/**
 * The checks libsodium's `crypto_sign_verify_detached` makes before doing any arithmetic:
 * lengths, canonical S, R not of small order, public key canonical and not of small order.
 * A backend's verify returns false when this does, and runs its (cofactorless) equation otherwise.
 */
export function passesSignaturePrechecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  if (!isCanonicalSignatureScalar(signature)) return false
  if (hasSmallOrderEdwardsEncoding(signature.subarray(0, 32))) return false
  return isCanonicalEdwardsEncoding(publicKey) && !hasSmallOrderEdwardsEncoding(publicKey)
}

/** True when every byte is zero, examined in constant time. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!
  return acc === 0
}

/** Constant-time equality of two byte arrays (their lengths are not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let acc = 0
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!
  return acc === 0
}

/**
 * A private copy of `bytes` as a plain Uint8Array. Never use `.slice()` for this: on a Node
 * `Buffer` it returns a view that shares memory, so wiping the "copy" would wipe the caller's data.
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end))
}

/**
 * `crypto_sign_ed25519_sk_to_curve25519` after the hash: clamps the first 32 bytes of
 * SHA-512(seed) into an X25519 scalar, returns them as a fresh array and wipes the hash.
 */
export function curveScalarFromSeedHash(seedHash: Uint8Array): Uint8Array {
  seedHash[0]! &= 248
  seedHash[31]! &= 127
  seedHash[31]! |= 64
  const scalar = copyBytes(seedHash, 0, 32)
  seedHash.fill(0)
  return scalar
}

/** Overwrites each array with zeros; null and undefined are skipped. */
export function wipe(...arrays: Array<Uint8Array | null | undefined>): void {
  for (const a of arrays) if (a) a.fill(0)
}
