/**
 * The built-in fast backend: `node:crypto` (OpenSSL) where it beats pure JS, noble for the rest.
 *
 * | primitive                         | from        | why                                            |
 * |-----------------------------------|-------------|------------------------------------------------|
 * | Ed25519 sign / verify             | node:crypto | ~15× / ~6× faster than noble                   |
 * | X25519 (scalarmult, base)         | node:crypto | ~15× faster, even with the key import per call |
 * | SHA-256, SHA-512, HMAC-SHA-512    | node:crypto | OpenSSL's assembly beats JS from tiny inputs up|
 * | XSalsa20-Poly1305 (secretbox)     | noble       | OpenSSL has no XSalsa20                        |
 * | Ed25519 pk → Curve25519           | noble       | node:crypto has no conversion or subgroup check|
 *
 * Node takes raw keys only as JWK or DER. JWK is the cheap path (~10 µs for a public key, ~40 µs
 * for a private one, against ~350 µs to parse PKCS#8 DER). A long-term signing key becomes a
 * `KeyObject` once per secret key and is cached (see {@link signingKeyFor}).
 *
 * Strictness: every verify runs the shared pre-checks from `policy.ts` before OpenSSL, whose
 * Ed25519 equation is cofactorless like libsodium's; an all-zero X25519 result makes OpenSSL throw,
 * which becomes `null` as everywhere else.
 * @module
 */
import { createHash, createHmac, hkdfSync, createPrivateKey, createPublicKey, diffieHellman, randomFillSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import type { CryptoBackend, SignKeyPair } from './backend.js'
import { createNobleBackend } from './noble.js'
import { assertHkdfLength } from './derive.js'
import { nodeScrypt } from './node-scrypt.js'
import { constantTimeEqual, copyBytes, isAllZero, passesSignaturePrechecks, curveScalarFromSeedHash } from './policy.js'

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

/** A plain Uint8Array view of a Buffer (so `.slice()` copies, as callers expect). */
const view = (buf: Buffer): Uint8Array => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)

/** Node insists on an `x` in a private JWK but derives the real public key from `d`. */
const DUMMY_X = b64url(new Uint8Array(32))

function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(scalar), x: DUMMY_X }, format: 'jwk' })
}

interface CachedSigningKey {
  /** A copy of the secret key bytes, to notice a buffer that was wiped or reused. */
  bytes: Uint8Array
  key: KeyObject
}

/**
 * Ed25519 signing keys, one `KeyObject` per 64-byte secret key buffer. Keyed weakly by the
 * buffer, so a key pair that is dropped drops its entry; the copy is compared on every hit so a
 * buffer overwritten in place (e.g. wiped) is never signed with stale bytes.
 */
const signingKeys = new WeakMap<Uint8Array, CachedSigningKey>()

function signingKeyFor(secretKey: Uint8Array): KeyObject {
  const hit = signingKeys.get(secretKey)
  if (hit && constantTimeEqual(hit.bytes, secretKey)) return hit.key
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secretKey.subarray(0, 32)), x: b64url(secretKey.subarray(32, 64)) },
    format: 'jwk'
  })
  signingKeys.set(secretKey, { bytes: copyBytes(secretKey), key })
  return key
}

/** Creates the node:crypto backend. */
export function createNodeBackend(): CryptoBackend {
  // Fails here (and the selector falls back) on a runtime whose OpenSSL lacks the curves.
  x25519PrivateKey(new Uint8Array(32).fill(1))
  signingKeyFor(new Uint8Array(64))
  const noble = createNobleBackend()

  const backend: CryptoBackend = {
    name: 'node',

    randomBytes: (length) => randomFillSync(new Uint8Array(length)),

    sha256: (data) => view(createHash('sha256').update(data).digest()),

    sha512: (data) => view(createHash('sha512').update(data).digest()),

    auth: (data, key) => view(createHmac('sha512', key).update(data).digest()).subarray(0, 32),

    authVerify: (tag, data, key) => tag.length === 32 && constantTimeEqual(tag, backend.auth(data, key)),

    signKeyPairFromSeed(seed): SignKeyPair {
      const jwk = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: DUMMY_X }, format: 'jwk' })).export({ format: 'jwk' })
      const publicKey = view(Buffer.from(jwk.x as string, 'base64url'))
      const secretKey = new Uint8Array(64)
      secretKey.set(seed, 0)
      secretKey.set(publicKey, 32)
      return { publicKey, secretKey }
    },

    sign: (message, secretKey) => view(nodeSign(null, message, signingKeyFor(secretKey))),

    verify(signature, message, publicKey) {
      if (!passesSignaturePrechecks(signature, publicKey)) return false
      try {
        return nodeVerify(null, message, { key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' }, signature)
      } catch {
        return false
      }
    },

    signPublicKeyToCurve: (publicKey) => noble.signPublicKeyToCurve(publicKey),

    signSecretKeyToCurve: (secretKey) => curveScalarFromSeedHash(backend.sha512(secretKey.subarray(0, 32))),

    scalarMultBase(secretKey) {
      const jwk = createPublicKey(x25519PrivateKey(secretKey)).export({ format: 'jwk' })
      return view(Buffer.from(jwk.x as string, 'base64url'))
    },

    scalarMult(secretKey, publicKey) {
      if (publicKey.length !== 32 || secretKey.length !== 32) return null
      try {
        const shared = diffieHellman({
          privateKey: x25519PrivateKey(secretKey),
          publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) }, format: 'jwk' })
        })
        return isAllZero(shared) ? null : view(shared)
      } catch {
        // OpenSSL refuses an all-zero shared secret (a low-order public key).
        return null
      }
    },

    secretboxSealDetached: (data, tag, nonce, key) => noble.secretboxSealDetached(data, tag, nonce, key),

    secretboxOpenDetached: (out, cipher, tag, nonce, key) => noble.secretboxOpenDetached(out, cipher, tag, nonce, key),

    hmacSha256: (key, data) => view(createHmac('sha256', key).update(data).digest()),

    hkdfSha256(ikm, salt, info, length) {
      assertHkdfLength(length)
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
    },

    scrypt: nodeScrypt,

    // The box-stream fast path too (subkey cached per nonce prefix), not only the one-shot calls.
    keyedSecretbox: (key) => noble.keyedSecretbox!(key)
  }
  return backend
}
