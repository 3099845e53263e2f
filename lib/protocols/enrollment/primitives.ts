/**
 * The primitives enrollment needs, and where each comes from.
 *
 * Through the crypto backend (passed in at construction, like every protocol): SHA-256 (the
 * transcript hash, the code hash, the challenge digest), HKDF-SHA-256 (the exchange keys) and the
 * randomness behind the ephemeral scalars; Ed25519 signing and checking happen in the machines,
 * also through the backend.
 *
 * From @noble/* directly, because no backend offers them and they are not SHS1, box-stream or
 * account primitives, so adding them to the backend interface would mean four implementations to
 * keep byte-identical for one protocol: secp256k1 arithmetic and RFC 9380 hash-to-curve
 * (`@noble/curves`) and AES-256-GCM (`@noble/ciphers`). The design document names secp256k1 and
 * AES-256, so these cannot be swapped for the backend's X25519 and XSalsa20-Poly1305.
 *
 * Key agreement with a code is CPace-style: both ephemeral keys are multiples of a generator hashed
 * from the code instead of the standard base point. Someone who does not know the code can test one
 * guess per exchange, online; mixing the code only into HKDF would let a man in the middle test every
 * guess offline against the one challenge he relays.
 * @module
 */
import { secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js'
import { gcm } from '@noble/ciphers/aes.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { CODE_DST, LABEL, NONCE_BYTES, POINT_BYTES, concat } from './layout.js'

type Point = ReturnType<typeof secp256k1.Point.fromBytes>
const Point = secp256k1.Point
const encoder = new TextEncoder()
const ZERO_NONCE = new Uint8Array(NONCE_BYTES)

/** An ephemeral secp256k1 key pair on some generator. The scalar is a bigint and cannot be wiped. */
export interface EphemeralKey {
  /** The secret scalar, 1 ≤ x < n. */
  scalar: bigint
  /** x·G, SEC1 compressed (33 bytes). */
  publicKey: Uint8Array
}

/**
 * The generator for a code: hash-to-curve(code) with our DST, or the standard base point when there
 * is no code (the design document's plain ECDH).
 * @param code - the normalized code bytes, or null
 */
export function generatorFor(code: Uint8Array | null): Point {
  return code ? secp256k1_hasher.hashToCurve(code, { DST: CODE_DST }) as Point : Point.BASE
}

/**
 * A fresh ephemeral key pair on `generator`, from the backend's randomness: 48 random bytes reduced
 * modulo the group order (FIPS 186-5 A.4.1, bias below 2^-128).
 */
export function generateEphemeral(crypto: CryptoBackend, generator: Point): EphemeralKey {
  const seed = crypto.randomBytes(secp256k1.lengths.seed!)
  const bytes = secp256k1.utils.randomSecretKey(seed)
  const scalar = Point.Fn.fromBytes(bytes)
  wipe(seed, bytes)
  return { scalar, publicKey: generator.multiply(scalar).toBytes(true) }
}

/**
 * Decodes a peer's compressed point; throws `ERR_PROTOCOL` for anything that is not a valid,
 * non-identity point on secp256k1 (the curve has cofactor 1, so every such point is in the group).
 */
export function decodePoint(bytes: Uint8Array, phase: string): Point {
  if (bytes.length !== POINT_BYTES || (bytes[0] !== 2 && bytes[0] !== 3)) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'the ephemeral key is not a compressed secp256k1 point')
  }
  try {
    const p = Point.fromBytes(bytes)
    p.assertValidity()
    if (p.equals(Point.ZERO)) throw new Error('identity point')
    return p
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'the ephemeral key is not a valid secp256k1 point', { cause: err })
  }
}

/** The ECDH secret: the 32-byte x-coordinate of scalar·peer. */
export function sharedSecret(scalar: bigint, peer: Point): Uint8Array {
  const compressed = peer.multiply(scalar).toBytes(true)
  const x = compressed.slice(1)
  compressed.fill(0)
  return x
}

/** The two one-use AES keys of one exchange. */
export interface ExchangeKeys {
  /** Encrypts the CHALLENGE. */
  challengeKey: Uint8Array
  /** Encrypts the ISSUED_KEY. */
  issueKey: Uint8Array
}

/**
 * HKDF-SHA-256: ikm = ECDH x ‖ codeHash (the code again, belt and braces), salt = transcript hash
 * (which covers the label, both ephemeral keys, the attempt and the server's signature), info = label.
 */
export function deriveExchangeKeys(crypto: CryptoBackend, ecdh: Uint8Array, codeHash: Uint8Array | null, transcriptHash: Uint8Array): ExchangeKeys {
  const ikm = codeHash ? concat(ecdh, codeHash) : ecdh.slice()
  const okm = crypto.hkdfSha256(ikm, transcriptHash, encoder.encode(`${LABEL}/keys`), 64)
  ikm.fill(0)
  const keys = { challengeKey: okm.slice(0, 32), issueKey: okm.slice(32, 64) }
  okm.fill(0)
  return keys
}

/** sha256(LABEL ‖ parts…): the transcript hash. Every part but the last has a fixed length. */
export function transcriptHash(crypto: CryptoBackend, ...parts: Uint8Array[]): Uint8Array {
  return crypto.sha256(concat(encoder.encode(LABEL), ...parts))
}

/** A hash of the normalized code for HKDF, domain-separated from the hash-to-curve input. */
export function codeHash(crypto: CryptoBackend, code: Uint8Array): Uint8Array {
  return crypto.sha256(concat(encoder.encode(`${LABEL}/code`), code))
}

/** AES-256-GCM with a one-use key and the zero nonce; returns ciphertext ‖ tag. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  return gcm(key, ZERO_NONCE, aad).encrypt(plaintext)
}

/** Opens {@link seal}'s output; null when the tag does not verify (never throws for bad input). */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  try {
    return gcm(key, ZERO_NONCE, aad).decrypt(sealed)
  } catch {
    return null
  }
}

/** SHA-256 (the document's digest of the challenge). */
export function digest(crypto: CryptoBackend, data: Uint8Array): Uint8Array {
  return crypto.sha256(data)
}
