/**
 * Anonymous public-key encryption to an Ed25519 identity ("sealed box"), used for the identity
 * server's session challenge and the flat protocol's SESSION-KEY.
 *
 * The recipient's Ed25519 public key is converted to its X25519 form (rejecting non-canonical,
 * small-order and torsioned keys). The sender makes a throwaway X25519 key pair per message:
 * ```
 * shared = X25519(ephemeralSecret, recipientX25519)            (all-zero result rejected)
 * key    = SHA-256("secret-channel/sealed-box/v1" ‖ shared ‖ ephemeralPublic ‖ recipientX25519)
 * box    = ephemeralPublic (32) ‖ tag (16) ‖ XSalsa20(message)   secretbox, nonce = 24 zero bytes
 * ```
 * A zero nonce is safe because every key is used for exactly one message (the ephemeral key is
 * fresh and wiped). Hashing both public keys into the key binds the box to its recipient. This is
 * libsodium's `crypto_box_seal` idea with SHA-256 in place of BLAKE2b/HSalsa20, because those are
 * the primitives our crypto backend has; it is not byte-compatible with `crypto_box_seal`.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'

const PHASE = 'sealed box'
const LABEL = new TextEncoder().encode('secret-channel/sealed-box/v1')
/** Bytes a sealed box adds to its message: 32-byte ephemeral key + 16-byte tag. */
export const SEALED_BOX_OVERHEAD = 48

function boxKey(crypto: CryptoBackend, shared: Uint8Array, ephemeralPublic: Uint8Array, recipient: Uint8Array): Uint8Array {
  const input = new Uint8Array(LABEL.length + 96)
  input.set(LABEL, 0)
  input.set(shared, LABEL.length)
  input.set(ephemeralPublic, LABEL.length + 32)
  input.set(recipient, LABEL.length + 64)
  const key = crypto.sha256(input)
  wipe(input)
  return key
}

/**
 * Encrypts `message` so only the holder of `recipientPublicKey`'s private key can read it.
 * @param recipientPublicKey - 32-byte Ed25519 public key
 * @throws SecretChannelError `ERR_BAD_KEY` when the key has no safe X25519 form
 * @example
 * ```ts
 * const box = accounts.sealToPublicKey(alice.publicKey, challenge) // only alice's secret key opens it
 * ```
 */
export function sealToPublicKey(recipientPublicKey: Uint8Array, message: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): Uint8Array {
  const recipient = recipientPublicKey.length === 32 ? crypto.signPublicKeyToCurve(recipientPublicKey) : null
  if (!recipient) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'recipient key is not a usable Ed25519 public key')
  const ephemeralSecret = crypto.randomBytes(32)
  const ephemeralPublic = crypto.scalarMultBase(ephemeralSecret)
  const shared = crypto.scalarMult(ephemeralSecret, recipient)
  wipe(ephemeralSecret)
  if (!shared) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'degenerate shared secret')
  const key = boxKey(crypto, shared, ephemeralPublic, recipient)
  wipe(shared)
  const out = new Uint8Array(SEALED_BOX_OVERHEAD + message.length)
  out.set(ephemeralPublic, 0)
  out.set(message, SEALED_BOX_OVERHEAD)
  crypto.secretboxSealDetached(out.subarray(SEALED_BOX_OVERHEAD), out.subarray(32, 48), new Uint8Array(24), key)
  wipe(key)
  return out
}

/**
 * Opens a {@link sealToPublicKey} box with the recipient's Ed25519 secret key (64 bytes).
 * @throws SecretChannelError `ERR_BAD_KEY` when the box is malformed, altered or for another key
 * @example
 * ```ts
 * const challenge = accounts.openSealed(alice.secretKey, box)
 * ```
 */
export function openSealed(secretKey: Uint8Array, box: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): Uint8Array {
  if (!(box instanceof Uint8Array) || box.length < SEALED_BOX_OVERHEAD) {
    throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'sealed box too short')
  }
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 64) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'secret key must be 64 bytes')
  }
  const scalar = crypto.signSecretKeyToCurve(secretKey)
  const recipient = crypto.scalarMultBase(scalar)
  const ephemeralPublic = box.subarray(0, 32)
  const shared = crypto.scalarMult(scalar, ephemeralPublic)
  wipe(scalar)
  if (!shared) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'sealed box carries a degenerate ephemeral key')
  const key = boxKey(crypto, shared, ephemeralPublic, recipient)
  wipe(shared)
  const out = new Uint8Array(box.length - SEALED_BOX_OVERHEAD)
  const ok = crypto.secretboxOpenDetached(out, box.subarray(SEALED_BOX_OVERHEAD), box.subarray(32, 48), new Uint8Array(24), key)
  wipe(key)
  if (!ok) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'sealed box does not open with this key (altered, or sealed to someone else)')
  return out
}
