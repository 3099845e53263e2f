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
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'

/** 2^255 - 19, the field prime of Curve25519 / Ed25519. */
const P = (1n << 255n) - 19n
/** The order L of the Ed25519 prime-order subgroup. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n

function littleEndianToBigInt(bytes: Uint8Array, from: number, to: number, mask255: boolean): bigint {
  let n = 0n
  for (let i = to - 1; i >= from; i--) {
    const b = i === to - 1 && mask255 ? bytes[i]! & 0x7f : bytes[i]!
    n = (n << 8n) | BigInt(b)
  }
  return n
}

/**
 * The y-coordinates (mod p) of the eight points of small order (the 8-torsion subgroup).
 * An encoding whose y reduces to one of these is of small order whatever its sign bit says;
 * this covers libsodium's seven-entry blacklist, including the non-canonical encodings p and p+1.
 */
const SMALL_ORDER_Y: ReadonlySet<bigint> = new Set(
  ED25519_TORSION_SUBGROUP.map((hex) => littleEndianToBigInt(hexToBytes(hex), 0, 32, true) % P)
)

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** True when the 32-byte Ed25519 encoding has y < p (libsodium `ge25519_is_canonical`). */
export function isCanonicalEdwardsEncoding(encoding: Uint8Array): boolean {
  return encoding.length === 32 && littleEndianToBigInt(encoding, 0, 32, true) < P
}

/** True when the 32-byte Ed25519 encoding names a point of small order (libsodium `ge25519_has_small_order`). */
export function hasSmallOrderEdwardsEncoding(encoding: Uint8Array): boolean {
  return SMALL_ORDER_Y.has(littleEndianToBigInt(encoding, 0, 32, true) % P)
}

/** True when the scalar S of a signature (its last 32 bytes) is below L (libsodium `sc25519_is_canonical`). */
function isCanonicalSignatureScalar(signature: Uint8Array): boolean {
  return littleEndianToBigInt(signature, 32, 64, false) < L
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
