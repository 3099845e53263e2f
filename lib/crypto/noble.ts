/**
 * The portable backend: pure JavaScript over @noble/curves and @noble/hashes, with its own
 * XSalsa20-Poly1305 (xsalsa20poly1305.ts).
 * Always available; the default where no faster backend loads.
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hmac, type _HMAC } from '@noble/hashes/hmac.js'
import { hkdfFromHmac, portableScrypt } from './derive.js'
import { SecretboxEngine, hsalsa20, wordsLE } from './xsalsa20poly1305.js'
import { webRandomBytes } from './web-random.js'
import type { CryptoBackend, KeyedSecretbox, SignKeyPair } from './backend.js'
import { constantTimeEqual, copyBytes, hasSmallOrderEdwardsEncoding, isAllZero, isCanonicalEdwardsEncoding, passesSignaturePrechecks, wipe, curveScalarFromSeedHash } from './policy.js'

const L = ed25519.Point.Fn.ORDER

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
function nobleKeyedSecretbox(key: Uint8Array, engine: SecretboxEngine): KeyedSecretbox {
  const keyWords = wordsLE(key, new Uint32Array(8))
  const subkey = new Uint32Array(8)
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
      hsalsa20(keyWords, prefix, subkey)
      cached = true
    }
    return subkey
  }
  return {
    seal: (data, tag, nonce) => engine.seal(subkeyFor(nonce), nonce, data, tag),
    open: (out, cipher, tag, nonce) => tag.length === 16 && out.length === cipher.length && engine.open(subkeyFor(nonce), nonce, out, cipher, tag),
    wipe() {
      wiped = true
      cached = false
      wipe(prefix)
      keyWords.fill(0)
      subkey.fill(0)
    }
  }
}

/**
 * `crypto_auth` (HMAC-SHA-512 truncated to 32 bytes) that keeps the last key's padded blocks
 * hashed (RFC 2104's precomputation): every SHS1 hello is authenticated with the same app key, so
 * each tag then costs two SHA-512 blocks instead of four and no new hash objects.
 * ```
 * keyed    SHA-512 state after (key ⊕ ipad) ‖ state after (key ⊕ opad)   per key, kept
 * scratch  a copy of keyed, run over the message, wiped by the digest      per tag
 * ```
 * The key is compared in constant time; a different key replaces (and wipes) the kept states.
 */
function keyedAuth(): (data: Uint8Array, key: Uint8Array) => Uint8Array {
  let key: Uint8Array | null = null
  let keyed: _HMAC<ReturnType<typeof sha512.create>> | null = null
  let scratch: _HMAC<ReturnType<typeof sha512.create>> | null = null
  const digest = new Uint8Array(64)
  return (data, newKey) => {
    let states = keyed
    if (states === null || key === null || key.length !== newKey.length || !constantTimeEqual(key, newKey)) {
      states?.destroy()
      if (key) wipe(key)
      states = keyed = hmac.create(sha512, newKey)
      key = copyBytes(newKey)
    }
    scratch = states._cloneInto(scratch ?? undefined)
    scratch.update(data).digestInto(digest) // digestInto destroys (zeroes) the scratch states
    const tag = digest.slice(0, 32)
    digest.fill(0)
    return tag
  }
}

/** Creates the noble backend. */
export function createNobleBackend(): CryptoBackend {
  const engine = new SecretboxEngine()
  /** One-shot secretbox calls (the handshake's boxes): a fresh subkey each time, wiped after. */
  const oneShotKey = new Uint32Array(8)
  const oneShotSubkey = new Uint32Array(8)
  const oneShot = <T>(key: Uint8Array, nonce: Uint8Array, run: (subkey: Uint32Array) => T): T => {
    try {
      hsalsa20(wordsLE(key, oneShotKey), nonce, oneShotSubkey)
      return run(oneShotSubkey)
    } finally {
      oneShotKey.fill(0)
      oneShotSubkey.fill(0)
    }
  }

  const auth = keyedAuth()

  const backend: CryptoBackend = {
    name: 'noble',

    randomBytes: webRandomBytes,

    sha256: (data) => sha256(data),

    sha512: (data) => sha512(data),

    auth,

    authVerify: (tag, data, key) => tag.length === 32 && constantTimeEqual(tag, auth(data, key)),

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
        const S = bytesToNumberLE(signature.subarray(32, 64))
        const hashInput = new Uint8Array(64 + message.length)
        hashInput.set(R, 0)
        hashInput.set(publicKey, 32)
        hashInput.set(message, 64)
        const k = bytesToNumberLE(sha512(hashInput)) % L
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

    secretboxSealDetached: (data, tag, nonce, key) => oneShot(key, nonce, (subkey) => engine.seal(subkey, nonce, data, tag)),

    secretboxOpenDetached: (out, cipher, tag, nonce, key) => tag.length === 16 && out.length === cipher.length &&
      oneShot(key, nonce, (subkey) => engine.open(subkey, nonce, out, cipher, tag)),

    hmacSha256: (key, data) => hmac(sha256, key, data),

    // The same HKDF as the libsodium backends (derive.ts) over noble's HMAC: one less module in a browser bundle.
    hkdfSha256: (ikm, salt, info, length) => hkdfFromHmac(backend.hmacSha256, ikm, salt, info, length),

    // Pure JS on the main thread, yielding every 10 ms: slower than OpenSSL's, same bytes.
    scrypt: portableScrypt,

    keyedSecretbox: (key) => nobleKeyedSecretbox(key, engine)
  }
  return backend
}
