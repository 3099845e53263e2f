/**
 * The portable backend: pure JavaScript over @noble/curves, @noble/ciphers and @noble/hashes.
 * Always available; the default where no faster backend loads.
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hsalsa, salsa20, xsalsa20 } from '@noble/ciphers/salsa.js'
import { poly1305 } from '@noble/ciphers/_poly1305.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { assertHkdfLength, portableScrypt } from './derive.js'
import { LITTLE_ENDIAN, SecretboxEngine } from './xsalsa20poly1305.js'
import type { CryptoBackend, KeyedSecretbox, SignKeyPair } from './backend.js'
import { constantTimeEqual, hasSmallOrderEdwardsEncoding, isAllZero, isCanonicalEdwardsEncoding, passesSignaturePrechecks, wipe, curveScalarFromSeedHash } from './policy.js'

const L = ed25519.Point.Fn.ORDER

function numberFromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/**
 * `length` bytes from the platform's CSPRNG (Web Crypto's `getRandomValues`, in Node too), at most
 * 65,536 bytes per call as the Web Crypto API requires.
 */
function webRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let at = 0; at < length; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)))
  return out
}

/** Inputs up to this size go through the backend's reusable scratch buffer; larger ones get their own. */
const SCRATCH_BYTES = 32 + 4096

/**
 * Runs XSalsa20 once over `[32 zero bytes | data]` in an aligned scratch buffer. Block 0's first
 * 32 keystream bytes become the one-time Poly1305 key; the message is encrypted from byte 32:
 * ```
 * scratch: [ poly1305 key (32) | data XOR keystream[32..) ]
 * ```
 * One pass, one HSalsa20, and 4-byte aligned (noble's fast path: box-stream bodies sit at odd
 * offsets such as 34 in a frame, which would otherwise take noble's ~40% slower unaligned path).
 * The caller wipes what it used.
 */
function xsalsa20WithPolyKey(scratch: Uint8Array, data: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const s = data.length + 32 <= scratch.length ? scratch.subarray(0, data.length + 32) : new Uint8Array(data.length + 32)
  s.fill(0, 0, 32)
  s.set(data, 32)
  xsalsa20(key, nonce, s, s, 0)
  return s
}

/** "expand 32-byte k" as little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

function wordsLE(bytes: Uint8Array, out: Uint32Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true)
  return out
}

/** The XSalsa20 subkey words `HSalsa20(key, nonce[0..16))` into `out` (8 words). */
function subkeyWords(keyWords: Uint32Array, nonce: Uint8Array, prefixWords: Uint32Array, out: Uint32Array): Uint32Array {
  for (let i = 0; i < 4; i++) prefixWords[i] = nonce[4 * i]! | (nonce[4 * i + 1]! << 8) | (nonce[4 * i + 2]! << 16) | (nonce[4 * i + 3]! << 24)
  hsalsa(SIGMA, keyWords, prefixWords, out)
  return out
}

/**
 * A secretbox bound to one key that derives the XSalsa20 subkey once per nonce prefix:
 * ```
 * XSalsa20(key, nonce) = Salsa20( HSalsa20(key, nonce[0..16]) , nonce[16..24] )
 *                                 └─ subkey, cached ─┘
 * ```
 * Box-stream nonces are a big-endian counter, so consecutive frames change only bytes 16..24;
 * the subkey is recomputed whenever bytes 0..16 differ from the cached prefix (a carry into
 * byte 15, or another stream's nonce), so the output is always that of plain XSalsa20.
 */
function nobleKeyedSecretbox(key: Uint8Array, engine: SecretboxEngine | null, scratch: Uint8Array): KeyedSecretbox {
  const keyWords = wordsLE(key, new Uint32Array(8))
  const prefixWords = new Uint32Array(4)
  const subWords = new Uint32Array(8)
  const subkey = new Uint8Array(32)
  const prefix = new Uint8Array(16)
  let cached = false
  let wiped = false
  /** The subkey for `nonce`, from the cache when its first 16 bytes are the cached prefix. */
  const subkeyFor = (nonce: Uint8Array): Uint32Array => {
    if (wiped) throw new Error('keyed secretbox used after wipe')
    let same = cached
    for (let i = 0; same && i < 16; i++) same = prefix[i] === nonce[i]
    if (!same) {
      for (let i = 0; i < 16; i++) prefix[i] = nonce[i]!
      subkeyWords(keyWords, prefix, prefixWords, subWords)
      if (!engine) {
        const view = new DataView(subkey.buffer)
        for (let i = 0; i < 8; i++) view.setUint32(i * 4, subWords[i]!, true)
      }
      cached = true
    }
    return subWords
  }
  /** Without the engine (big-endian platforms): noble's salsa20 over `[32 zero bytes | data]`. */
  const stream = (data: Uint8Array, nonce: Uint8Array): Uint8Array => {
    subkeyFor(nonce)
    const s = data.length + 32 <= scratch.length ? scratch.subarray(0, data.length + 32) : new Uint8Array(data.length + 32)
    s.fill(0, 0, 32)
    s.set(data, 32)
    salsa20(subkey, nonce.subarray(16, 24), s, s, 0)
    return s
  }
  return {
    seal(data, tag, nonce) {
      if (engine) return engine.seal(subkeyFor(nonce), nonce, data, tag)
      const s = stream(data, nonce)
      const cipher = s.subarray(32)
      tag.set(poly1305(cipher, s.subarray(0, 32)))
      data.set(cipher)
      wipe(s)
    },
    open(out, cipher, tag, nonce) {
      if (tag.length !== 16 || out.length !== cipher.length) return false
      if (engine) return engine.open(subkeyFor(nonce), nonce, out, cipher, tag)
      const s = stream(cipher, nonce)
      const ok = constantTimeEqual(poly1305(cipher, s.subarray(0, 32)), tag)
      if (ok) out.set(s.subarray(32))
      wipe(s)
      return ok
    },
    wipe() {
      wiped = true
      cached = false
      wipe(subkey, prefix)
      keyWords.fill(0)
      subWords.fill(0)
      prefixWords.fill(0)
    }
  }
}

/** Creates the noble backend. */
export function createNobleBackend(): CryptoBackend {
  const scratch = new Uint8Array(SCRATCH_BYTES)
  // The allocation-free XSalsa20-Poly1305 (xsalsa20poly1305.ts) wherever words are little-endian.
  const engine = LITTLE_ENDIAN ? new SecretboxEngine() : null
  /** One-shot secretbox calls (the handshake's boxes): a fresh subkey each time, wiped after. */
  const oneShotKey = new Uint32Array(8)
  const oneShotPrefix = new Uint32Array(4)
  const oneShotSubkey = new Uint32Array(8)
  const oneShot = <T>(key: Uint8Array, nonce: Uint8Array, run: (subkey: Uint32Array) => T): T => {
    try {
      return run(subkeyWords(wordsLE(key, oneShotKey), nonce, oneShotPrefix, oneShotSubkey))
    } finally {
      oneShotKey.fill(0)
      oneShotSubkey.fill(0)
    }
  }

  const backend: CryptoBackend = {
    name: 'noble',

    randomBytes: webRandomBytes,

    sha256: (data) => sha256(data),

    sha512: (data) => sha512(data),

    auth: (data, key) => hmac(sha512, key, data).subarray(0, 32),

    authVerify: (tag, data, key) => tag.length === 32 && constantTimeEqual(tag, hmac(sha512, key, data).subarray(0, 32)),

    signKeyPairFromSeed(seed): SignKeyPair {
      const publicKey = ed25519.getPublicKey(seed)
      const secretKey = new Uint8Array(64)
      secretKey.set(seed, 0)
      secretKey.set(publicKey, 32)
      return { publicKey, secretKey }
    },

    sign: (message, secretKey) => ed25519.sign(message, secretKey.subarray(0, 32)),

    verify(signature, message, publicKey) {
      if (!passesSignaturePrechecks(signature, publicKey)) return false
      try {
        // libsodium's equation, cofactorless: accept only if [S]B - [k]A encodes to exactly R.
        const A = ed25519.Point.fromBytes(publicKey, false)
        const R = signature.subarray(0, 32)
        const S = numberFromLittleEndian(signature.subarray(32, 64))
        const hashInput = new Uint8Array(64 + message.length)
        hashInput.set(R, 0)
        hashInput.set(publicKey, 32)
        hashInput.set(message, 64)
        const k = numberFromLittleEndian(sha512(hashInput)) % L
        const check = ed25519.Point.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k))
        return constantTimeEqual(check.toBytes(), R)
      } catch {
        return false
      }
    },

    signPublicKeyToCurve(publicKey) {
      if (publicKey.length !== 32 || !isCanonicalEdwardsEncoding(publicKey) || hasSmallOrderEdwardsEncoding(publicKey)) return null
      try {
        const point = ed25519.Point.fromBytes(publicKey, false)
        if (!point.isTorsionFree()) return null
        return ed25519.utils.toMontgomery(publicKey)
      } catch {
        return null
      }
    },

    signSecretKeyToCurve: (secretKey) => curveScalarFromSeedHash(sha512(secretKey.subarray(0, 32))),

    scalarMultBase: (secretKey) => x25519.scalarMultBase(secretKey),

    scalarMult(secretKey, publicKey) {
      if (publicKey.length !== 32 || secretKey.length !== 32) return null
      try {
        const shared = x25519.scalarMult(secretKey, publicKey)
        return isAllZero(shared) ? null : shared
      } catch {
        return null
      }
    },

    secretboxSealDetached(data, tag, nonce, key) {
      if (engine) return oneShot(key, nonce, (subkey) => engine.seal(subkey, nonce, data, tag))
      const s = xsalsa20WithPolyKey(scratch, data, nonce, key)
      const cipher = s.subarray(32)
      tag.set(poly1305(cipher, s.subarray(0, 32)))
      data.set(cipher)
      wipe(s)
    },

    secretboxOpenDetached(out, cipher, tag, nonce, key) {
      if (tag.length !== 16 || out.length !== cipher.length) return false
      if (engine) return oneShot(key, nonce, (subkey) => engine.open(subkey, nonce, out, cipher, tag))
      // Decrypts into scratch first; the plaintext reaches `out` only once the tag checks out.
      const s = xsalsa20WithPolyKey(scratch, cipher, nonce, key)
      const ok = constantTimeEqual(poly1305(cipher, s.subarray(0, 32)), tag)
      if (ok) out.set(s.subarray(32))
      wipe(s)
      return ok
    },

    hmacSha256: (key, data) => hmac(sha256, key, data),

    hkdfSha256(ikm, salt, info, length) {
      assertHkdfLength(length)
      return hkdf(sha256, ikm, salt, info, length)
    },

    // Pure JS on the main thread, yielding every 10 ms: slower than OpenSSL's, same bytes.
    scrypt: portableScrypt,

    keyedSecretbox: (key) => nobleKeyedSecretbox(key, engine, scratch)
  }
  return backend
}
