/**
 * Key fingerprints: 32 bytes on the wire, a short grouped text for people to compare.
 *
 * ```
 * fingerprint(pk) = sha256( "secret-channel/notice/v1/fingerprint" ‖ pk )          32 bytes
 * display(pk)     = base32(fingerprint[0..20]) in 8 groups of 4 letters       160 bits
 *                   e.g. "K7QF-2MZD-A4TX-…"
 * ```
 * The label keeps these hashes distinct from any other SHA-256 of a public key.
 * @module
 */
import type { CryptoBackend } from '../../crypto/backend.js'
import { getCryptoBackend } from '../../crypto/index.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { concatBytes, label } from './bytes.js'

/**
 * Bytes of a wire fingerprint.
 * @example
 * ```ts
 * keyFingerprint(keyPair.publicKey).length === FINGERPRINT_BYTES // true: 32
 * ```
 */
export const FINGERPRINT_BYTES = 32
const DISPLAY_BYTES = 20
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const FINGERPRINT_LABEL = label('fingerprint')

/**
 * The 32-byte fingerprint of an Ed25519 public key, as announced in phase 1.
 * @param publicKey - 32-byte Ed25519 public key
 * @param crypto - the backend; the process-wide one when left out
 * @example
 * ```ts
 * const fingerprint = keyFingerprint(keyPair.publicKey) // the short hash peers announce
 * ```
 */
export function keyFingerprint(publicKey: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'notice fingerprint', 'a public key must be 32 bytes')
  }
  return crypto.sha256(concatBytes(FINGERPRINT_LABEL, publicKey))
}

/**
 * The short fingerprint people compare (read aloud, side by side): 32 base32 letters in groups of 4.
 * @param publicKey - 32-byte Ed25519 public key
 * @example
 * ```ts
 * console.log(displayFingerprint(keys.publicKey)) // "K7QF-2MZD-A4TX-H3PL-9…"
 * ```
 */
export function displayFingerprint(publicKey: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): string {
  const fp = keyFingerprint(publicKey, crypto).subarray(0, DISPLAY_BYTES)
  let bits = 0
  let value = 0
  let text = ''
  for (const byte of fp) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      text += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return text.match(/.{4}/g)!.join('-')
}
