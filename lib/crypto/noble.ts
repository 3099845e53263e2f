/**
 * The portable backend: pure JavaScript over @noble/curves, @noble/ciphers and @noble/hashes.
 * Always available; the default where no faster backend loads.
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { xsalsa20 } from '@noble/ciphers/salsa.js'
import { poly1305 } from '@noble/ciphers/_poly1305.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'
import { randomBytes as nodeRandomBytes } from 'node:crypto'
import type { CryptoBackend, SignKeyPair } from './backend.js'
import { constantTimeEqual, hasSmallOrderEdwardsEncoding, isAllZero, isCanonicalEdwardsEncoding, passesSignaturePrechecks, wipe } from './policy.js'
import { copyBytes } from './policy.js'

const L = ed25519.Point.Fn.ORDER

function numberFromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/**
 * XSalsa20 keystream block 0 carries the one-time Poly1305 key in bytes 0..31 and encrypts the
 * first 32 message bytes with bytes 32..63; the message continues from block 1:
 * ```
 * block 0: [ poly1305 key (32) | keystream for data[0..32) (32) ]
 * block 1…: keystream for data[32..)
 * ```
 * `scratch` is 64 bytes owned by the caller; it is wiped before returning.
 */
function xorFirstBlock(scratch: Uint8Array, data: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const head = Math.min(32, data.length)
  scratch.fill(0)
  scratch.set(data.subarray(0, head), 32)
  xsalsa20(key, nonce, scratch, scratch, 0)
  return scratch
}

/** Creates the noble backend. */
export function createNobleBackend(): CryptoBackend {
  const block = new Uint8Array(64)

  const backend: CryptoBackend = {
    name: 'noble',

    randomBytes: (length) => new Uint8Array(nodeRandomBytes(length)),

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

    signSecretKeyToCurve(secretKey) {
      const h = sha512(secretKey.subarray(0, 32))
      h[0]! &= 248
      h[31]! &= 127
      h[31]! |= 64
      const scalar = copyBytes(h, 0, 32)
      wipe(h)
      return scalar
    },

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
      const first = xorFirstBlock(block, data, nonce, key)
      data.set(first.subarray(32, 32 + Math.min(32, data.length)), 0)
      if (data.length > 32) {
        const rest = data.subarray(32)
        xsalsa20(key, nonce, rest, rest, 1)
      }
      tag.set(poly1305(data, first.subarray(0, 32)))
      wipe(block)
    },

    secretboxOpenDetached(out, cipher, tag, nonce, key) {
      const first = xorFirstBlock(block, cipher, nonce, key)
      const ok = tag.length === 16 && constantTimeEqual(poly1305(cipher, first.subarray(0, 32)), tag)
      if (ok) {
        out.set(first.subarray(32, 32 + Math.min(32, cipher.length)), 0)
        if (cipher.length > 32) xsalsa20(key, nonce, cipher.subarray(32), out.subarray(32), 1)
      }
      wipe(block)
      return ok
    }
  }
  return backend
}
