/**
 * What a completed handshake yields, and how it is derived.
 *
 * ```
 * S            = sha256( sha256( K ‖ ab ‖ aB ‖ Ab ) )          = sha256(key4)
 * encryptKey   = sha256( S ‖ remote long-term public key )
 * decryptKey   = sha256( S ‖ local long-term public key )
 * encryptNonce = first 24 bytes of the hmac in the PEER's hello
 * decryptNonce = first 24 bytes of the hmac in OUR hello
 * ```
 * The starting nonces travel in clear in msg1/msg2; that is fine for XSalsa20, they are not secret.
 * @module
 */
import type { CryptoBackend } from '../crypto/backend.js'
import { concat } from './layout.js'
import { copyBytes } from '../crypto/policy.js'

/**
 * Keys and starting nonces for the two box-streams of one connection, plus the peer's identity.
 * @example
 * ```ts
 * const session: SessionKeys = client.receiveAccept(accept)
 * const encoder = new BoxEncoder(session.encryptKey, session.encryptNonce)
 * const decoder = new BoxDecoder(session.decryptKey, session.decryptNonce)
 * ```
 */
export interface SessionKeys {
  /** 32-byte key for the box-stream we send. */
  encryptKey: Uint8Array
  /** 24-byte starting nonce for the box-stream we send. */
  encryptNonce: Uint8Array
  /** 32-byte key for the box-stream we receive. */
  decryptKey: Uint8Array
  /** 24-byte starting nonce for the box-stream we receive. */
  decryptNonce: Uint8Array
  /** The peer's 32-byte long-term Ed25519 public key, proven by the handshake. */
  remotePublicKey: Uint8Array
}

/**
 * Derives the session keys from key4 (= sha256(K ‖ ab ‖ aB ‖ Ab)).
 * @param crypto - the backend
 * @param key4 - the msg4 box key
 * @param localPublicKey - our long-term public key
 * @param remotePublicKey - the peer's long-term public key
 * @param localHello - the hello we sent (its first 24 bytes are our decrypt nonce)
 * @param remoteHello - the hello the peer sent (its first 24 bytes are our encrypt nonce)
 */
export function deriveSessionKeys(
  crypto: CryptoBackend,
  key4: Uint8Array,
  localPublicKey: Uint8Array,
  remotePublicKey: Uint8Array,
  localHello: Uint8Array,
  remoteHello: Uint8Array
): SessionKeys {
  const secret = crypto.sha256(key4)
  const encryptInput = concat(secret, remotePublicKey)
  const decryptInput = concat(secret, localPublicKey)
  const keys: SessionKeys = {
    encryptKey: crypto.sha256(encryptInput),
    encryptNonce: copyBytes(remoteHello, 0, 24),
    decryptKey: crypto.sha256(decryptInput),
    decryptNonce: copyBytes(localHello, 0, 24),
    remotePublicKey: copyBytes(remotePublicKey)
  }
  secret.fill(0)
  encryptInput.fill(0)
  decryptInput.fill(0)
  return keys
}
