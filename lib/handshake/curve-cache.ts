/**
 * Curve25519 forms of Ed25519 keys, computed once instead of once per connection.
 *
 * SHS1 uses each long-term Ed25519 key in X25519 form too (aB, Ab). Converting costs a SHA-512
 * for our secret key and, for a peer's public key, a point decompression plus a prime-order
 * subgroup check (~1 ms in pure JS). Both results depend only on the key, so:
 * - our secret key's scalar is cached per secret-key buffer (a WeakMap: dropping the key pair
 *   drops the entry), re-derived if the buffer's public half changed (wiped or reused);
 * - a peer's public key's X25519 form is kept in a small bounded map (public data only), so a
 *   client redialing the same server skips the subgroup check. Invalid keys are never cached.
 * @module
 */
import type { CryptoBackend } from '../crypto/backend.js'
import { constantTimeEqual, copyBytes } from '../crypto/policy.js'

interface LocalEntry {
  /** The public half of the secret key when the scalar was derived (libsodium layout: bytes 32..64). */
  publicHalf: Uint8Array
  scalar: Uint8Array
}

const local = new WeakMap<Uint8Array, LocalEntry>()

/**
 * The clamped X25519 scalar of a 64-byte Ed25519 secret key, shared across connections.
 * The returned array is owned by the cache: read it, never wipe or modify it.
 */
export function localCurveSecret(crypto: CryptoBackend, secretKey: Uint8Array): Uint8Array {
  const hit = local.get(secretKey)
  if (hit && constantTimeEqual(hit.publicHalf, secretKey.subarray(32, 64))) return hit.scalar
  if (hit) hit.scalar.fill(0)
  const scalar = crypto.signSecretKeyToCurve(secretKey)
  local.set(secretKey, { publicHalf: copyBytes(secretKey, 32, 64), scalar })
  return scalar
}

/** How many peer keys {@link remoteCurvePublic} remembers. */
const REMOTE_CACHE_SIZE = 256

const remote = new Map<string, Uint8Array>()

/**
 * The X25519 form of a peer's Ed25519 public key, or null when the key is invalid (see
 * `CryptoBackend.signPublicKeyToCurve`). Returns a fresh copy the caller may keep.
 */
export function remoteCurvePublic(crypto: CryptoBackend, publicKey: Uint8Array): Uint8Array | null {
  if (publicKey.length !== 32) return null
  // A string key for the Map: 32 bytes as 32 UTF-16 code units (portable, no Buffer).
  const id = String.fromCharCode.apply(null, publicKey.subarray(0, 32) as unknown as number[])
  const hit = remote.get(id)
  if (hit) {
    // Refresh its place: the map's insertion order is the eviction order.
    remote.delete(id)
    remote.set(id, hit)
    return copyBytes(hit)
  }
  const curve = crypto.signPublicKeyToCurve(publicKey)
  if (!curve) return null
  if (remote.size >= REMOTE_CACHE_SIZE) remote.delete(remote.keys().next().value!)
  remote.set(id, copyBytes(curve))
  return curve
}
