/**
 * HMAC-SHA-256, HKDF-SHA-256 and scrypt's memory bound, built once from a backend's SHA-256 for
 * backends that lack them (libsodium has no HMAC-SHA-256 with arbitrary key lengths nor HKDF),
 * so every backend gives the same bytes. RFC 2104 and RFC 5869, nothing of our own:
 *
 * ```
 * HMAC(K, m) = H((K0 ^ opad) ‖ H((K0 ^ ipad) ‖ m))      K0 = K (or H(K) when longer than 64), zero-padded to 64
 * PRK        = HMAC(salt or 32 zero bytes, ikm)
 * T(i)       = HMAC(PRK, T(i-1) ‖ info ‖ i)                 i = 1, 2, …; output = T(1) ‖ T(2) ‖ … cut to length
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import type { ScryptCost } from './backend.js'
import { wipe } from './policy.js'

const BLOCK = 64

/** HMAC over any 64-byte-block hash. */
export function hmacFromHash(hash: (data: Uint8Array) => Uint8Array, key: Uint8Array, data: Uint8Array): Uint8Array {
  const k0 = new Uint8Array(BLOCK)
  k0.set(key.length > BLOCK ? hash(key) : key)
  const inner = new Uint8Array(BLOCK + data.length)
  for (let i = 0; i < BLOCK; i++) inner[i] = k0[i]! ^ 0x36
  inner.set(data, BLOCK)
  const innerHash = hash(inner)
  const outer = new Uint8Array(BLOCK + innerHash.length)
  for (let i = 0; i < BLOCK; i++) outer[i] = k0[i]! ^ 0x5c
  outer.set(innerHash, BLOCK)
  const out = hash(outer)
  wipe(k0, inner, outer, innerHash)
  return out
}

/** HKDF (extract and expand) over an HMAC-SHA-256. */
export function hkdfFromHmac(hmac: (key: Uint8Array, data: Uint8Array) => Uint8Array, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  assertHkdfLength(length)
  const prk = hmac(salt.length === 0 ? new Uint8Array(32) : salt, ikm)
  const out = new Uint8Array(length)
  let previous: Uint8Array = new Uint8Array(0)
  for (let i = 1, at = 0; at < length; i++) {
    const input = new Uint8Array(previous.length + info.length + 1)
    input.set(previous, 0)
    input.set(info, previous.length)
    input[input.length - 1] = i
    const block = hmac(prk, input)
    wipe(previous, input)
    out.set(block.subarray(0, Math.min(32, length - at)), at)
    at += 32
    previous = block
  }
  wipe(prk, previous)
  return out
}

/** HKDF-SHA-256 can give at most 255 blocks of 32 bytes. */
export function assertHkdfLength(length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', 'HKDF-SHA-256 output must be 1 to 8160 bytes')
  }
}

/** Memory scrypt needs for `cost` (128 · N · r for V, 128 · r · p for B) plus slack, for `maxmem`. */
export function scryptMemory(cost: ScryptCost): number {
  return 128 * 2 ** cost.logN * cost.r + 128 * cost.r * cost.p + 1024 * 1024
}

/**
 * scrypt in pure JavaScript (noble's, yielding every 10 ms), for the backends without a native one.
 * Loaded on first use: only the account protocols derive keys with scrypt, and bundlers put a
 * dynamic import in a chunk of its own, so a page that only opens channels never downloads it.
 * @example
 * ```ts
 * const key = await portableScrypt(password, salt, { logN: 17, r: 8, p: 1 }, 32)
 * ```
 */
export async function portableScrypt(password: Uint8Array, salt: Uint8Array, cost: ScryptCost, length: number): Promise<Uint8Array> {
  const { scryptAsync } = await import('@noble/hashes/scrypt.js')
  return scryptAsync(password, salt, { N: 2 ** cost.logN, r: cost.r, p: cost.p, dkLen: length, maxmem: scryptMemory(cost), asyncTick: 10 })
}
