/**
 * Sealing a key part to a peer's long-term key: the "encrypts it to the peer" of phase 3.
 *
 * The recipient's Ed25519 public key is converted to its X25519 form (as libsodium's
 * `crypto_sign_ed25519_pk_to_curve25519`), and the part is sealed like libsodium's sealed box, with
 * SHA-256 in place of BLAKE2b because that is what the {@link CryptoBackend} offers:
 * ```
 * B     = x25519 form of the recipient's Ed25519 public key
 * e, E  = fresh ephemeral X25519 secret, E = e·G
 * S     = e·B                                       (all-zero / low-order results are refused)
 * key   = sha256( label("seal")       ‖ S ‖ E ‖ B )
 * nonce = sha256( label("seal nonce") ‖ E ‖ B )[0..24]
 * sealed (80 bytes):
 *  0                  32            48                  80
 *  ├──── E (32) ──────┼─ tag (16) ──┼── ciphertext (32) ┤   XSalsa20-Poly1305 (secretbox) of the part
 * ```
 * Each key seals exactly one message, so a derived nonce is safe. The recipient computes S = b·E
 * with the X25519 form of its Ed25519 secret key.
 * @module
 */
import type { CryptoBackend } from '../../crypto/backend.js'
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { concatBytes, label } from './bytes.js'
import { NoticePhase } from './layout.js'

/** Bytes of a key part. */
export const PART_BYTES = 32
/** Bytes of a sealed key part. */
export const SEALED_PART_BYTES = 80

const SEAL_LABEL = label('seal')
const SEAL_NONCE_LABEL = label('seal nonce')

function boxKeyAndNonce(crypto: CryptoBackend, shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): [Uint8Array, Uint8Array] {
  const input = concatBytes(SEAL_LABEL, shared, ephemeral, recipient)
  const key = crypto.sha256(input)
  wipe(input)
  const nonce = crypto.sha256(concatBytes(SEAL_NONCE_LABEL, ephemeral, recipient)).slice(0, 24)
  return [key, nonce]
}

/**
 * Seals a 32-byte part to the holder of `recipientPublicKey`.
 * @throws SecretChannelError `ERR_PROTOCOL` when the recipient key has no valid X25519 form
 */
export function sealPart(crypto: CryptoBackend, part: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const recipient = crypto.signPublicKeyToCurve(recipientPublicKey)
  if (!recipient) throw new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.PHASE3, 'the peer key has no valid X25519 form')
  const ephemeralSecret = crypto.randomBytes(32)
  const ephemeral = crypto.scalarMultBase(ephemeralSecret)
  const shared = crypto.scalarMult(ephemeralSecret, recipient)
  wipe(ephemeralSecret)
  if (!shared) throw new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.PHASE3, 'the peer key gives a degenerate shared secret')
  const [key, nonce] = boxKeyAndNonce(crypto, shared, ephemeral, recipient)
  const sealed = new Uint8Array(SEALED_PART_BYTES)
  sealed.set(ephemeral, 0)
  sealed.set(part, 48)
  crypto.secretboxSealDetached(sealed.subarray(48), sealed.subarray(32, 48), nonce, key)
  wipe(shared, key)
  return sealed
}

/**
 * Opens a sealed part with our 64-byte Ed25519 secret key; returns null when it does not open
 * (wrong recipient, tampered, degenerate ephemeral key).
 */
export function openPart(crypto: CryptoBackend, sealed: Uint8Array, secretKey: Uint8Array): Uint8Array | null {
  if (sealed.length !== SEALED_PART_BYTES) return null
  const curveSecret = crypto.signSecretKeyToCurve(secretKey)
  const recipient = crypto.scalarMultBase(curveSecret)
  const ephemeral = sealed.subarray(0, 32)
  const shared = crypto.scalarMult(curveSecret, ephemeral)
  wipe(curveSecret)
  if (!shared) return null
  const [key, nonce] = boxKeyAndNonce(crypto, shared, ephemeral, recipient)
  const part = new Uint8Array(PART_BYTES)
  const ok = crypto.secretboxOpenDetached(part, sealed.subarray(48), sealed.subarray(32, 48), nonce, key)
  wipe(shared, key)
  return ok ? part : null
}
