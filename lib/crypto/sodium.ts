/**
 * The native backend: libsodium through the optional `sodium-native` addon.
 *
 * Loaded lazily with `createRequire` inside a try/catch, so the package works (on the noble or
 * node backend) wherever the addon is missing or fails to load. sodium-native bundles a newer
 * libsodium than 1.0.18; every check whose strictness could differ goes through `policy.ts` first,
 * so this backend accepts and rejects exactly what the others do.
 *
 * Measured on the dev machine (2 cores), per call: an 18-byte header secretbox costs ~0.7 µs here
 * against ~5 µs in noble, a 4 KiB body ~3 µs against ~34 µs, X25519 ~52 µs against ~1.7 ms. The
 * N-API crossing never dominates, even for the smallest boxes box-stream makes, so every primitive
 * uses libsodium (no per-size split as js-libp2p-noise needed for its binding).
 * @module
 */
import { createRequire } from 'node:module'
import type { CryptoBackend, SignKeyPair } from './backend.js'
import { hkdfFromHmac, hmacFromHash } from './derive.js'
import { nodeScrypt } from './node-scrypt.js'
import { SodiumKeyedSecretbox } from './sodium-keyed.js'
import { NativeKeyedSecretbox, loadNativeBoxStream } from './native-box-stream.js'
import { hasSmallOrderEdwardsEncoding, isAllZero, isCanonicalEdwardsEncoding, passesSignaturePrechecks } from './policy.js'

/**
 * The slice of sodium-native's API this backend calls (its exported, argument-checking functions).
 * @example
 * ```ts
 * const sodium = createRequire(import.meta.url)('sodium-native') as SodiumNative
 * sodium.crypto_secretbox_detached(cipher, tag, message, nonce, key)
 * ```
 */
export interface SodiumNative {
  randombytes_buf(buf: Uint8Array): void
  crypto_hash_sha256(out: Uint8Array, data: Uint8Array): void
  crypto_hash_sha512(out: Uint8Array, data: Uint8Array): void
  crypto_auth(out: Uint8Array, data: Uint8Array, key: Uint8Array): void
  crypto_auth_verify(tag: Uint8Array, data: Uint8Array, key: Uint8Array): boolean
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean
  crypto_sign_ed25519_pk_to_curve25519(out: Uint8Array, pk: Uint8Array): void
  crypto_sign_ed25519_sk_to_curve25519(out: Uint8Array, sk: Uint8Array): void
  crypto_scalarmult_base(out: Uint8Array, n: Uint8Array): void
  crypto_scalarmult(out: Uint8Array, n: Uint8Array, p: Uint8Array): void
  crypto_secretbox_detached(c: Uint8Array, mac: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void
  crypto_secretbox_open_detached(m: Uint8Array, c: Uint8Array, mac: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
}

let loaded: SodiumNative | null | undefined

/**
 * The sodium-native module, or null when it cannot be loaded here (not installed, no prebuild
 * for this platform, a bundler that strips addons). Tried once per process.
 */
function loadSodiumNative(): SodiumNative | null {
  if (loaded !== undefined) return loaded
  try {
    const require = createRequire(import.meta.url)
    loaded = require('sodium-native') as SodiumNative
  } catch {
    loaded = null
  }
  return loaded
}

/**
 * Creates the sodium-native backend.
 * @throws Error when sodium-native cannot be loaded (the selector then falls back to the next backend)
 */
export function createSodiumBackend(): CryptoBackend {
  const sodium = loadSodiumNative()
  if (!sodium) throw new Error('sodium-native is not available')

  const backend: CryptoBackend = {
    name: 'sodium-native',

    randomBytes(length) {
      const out = new Uint8Array(length)
      sodium.randombytes_buf(out)
      return out
    },

    sha256(data) {
      const out = new Uint8Array(32)
      sodium.crypto_hash_sha256(out, data)
      return out
    },

    sha512(data) {
      const out = new Uint8Array(64)
      sodium.crypto_hash_sha512(out, data)
      return out
    },

    auth(data, key) {
      const out = new Uint8Array(32)
      sodium.crypto_auth(out, data, key)
      return out
    },

    authVerify: (tag, data, key) => tag.length === 32 && key.length === 32 && sodium.crypto_auth_verify(tag, data, key),

    signKeyPairFromSeed(seed): SignKeyPair {
      const publicKey = new Uint8Array(32)
      const secretKey = new Uint8Array(64)
      sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed)
      return { publicKey, secretKey }
    },

    sign(message, secretKey) {
      const signature = new Uint8Array(64)
      sodium.crypto_sign_detached(signature, message, secretKey)
      return signature
    },

    verify(signature, message, publicKey) {
      // The policy pre-checks pin 1.0.18's rules; libsodium then runs the same cofactorless equation.
      if (!passesSignaturePrechecks(signature, publicKey)) return false
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    },

    signPublicKeyToCurve(publicKey) {
      if (publicKey.length !== 32 || !isCanonicalEdwardsEncoding(publicKey) || hasSmallOrderEdwardsEncoding(publicKey)) return null
      const out = new Uint8Array(32)
      try {
        // libsodium also refuses points off the curve or outside the prime-order subgroup.
        sodium.crypto_sign_ed25519_pk_to_curve25519(out, publicKey)
        return out
      } catch {
        return null
      }
    },

    signSecretKeyToCurve(secretKey) {
      const out = new Uint8Array(32)
      sodium.crypto_sign_ed25519_sk_to_curve25519(out, secretKey)
      return out
    },

    scalarMultBase(secretKey) {
      const out = new Uint8Array(32)
      sodium.crypto_scalarmult_base(out, secretKey)
      return out
    },

    scalarMult(secretKey, publicKey) {
      if (publicKey.length !== 32 || secretKey.length !== 32) return null
      const out = new Uint8Array(32)
      try {
        // Throws for libsodium's small-order blacklist and for an all-zero result.
        sodium.crypto_scalarmult(out, secretKey, publicKey)
      } catch {
        return null
      }
      return isAllZero(out) ? null : out
    },

    secretboxSealDetached(data, tag, nonce, key) {
      // libsodium allows the ciphertext to overlap the message exactly: encryption in place.
      sodium.crypto_secretbox_detached(data, tag, data, nonce, key)
    },

    secretboxOpenDetached(out, cipher, tag, nonce, key) {
      if (tag.length !== 16 || out.length !== cipher.length) return false
      return sodium.crypto_secretbox_open_detached(out, cipher, tag, nonce, key)
    },

    // libsodium's crypto_auth_hmacsha256 is not in sodium-native: RFC 2104 over its SHA-256.
    hmacSha256: (key, data) => hmacFromHash((d) => backend.sha256(d), key, data),

    hkdfSha256: (ikm, salt, info, length) => hkdfFromHmac(backend.hmacSha256, ikm, salt, info, length),

    scrypt: nodeScrypt,

    // With the native addon built (scripts/build-native.js), whole writes and chunks go through it.
    keyedSecretbox: (key) => {
      const native = loadNativeBoxStream()
      return native ? new NativeKeyedSecretbox(key, sodium, native) : new SodiumKeyedSecretbox(key, sodium)
    }
  }
  return backend
}
