/**
 * Decoy answers (for unknown accounts) must be the same every time and across restarts, or asking
 * twice would tell real accounts from missing ones. Servers derive the decoy secret from their own
 * long-term key so no extra secret needs storing; servers that answer about the same accounts
 * (the identity server and a flat server) should be given one shared decoy secret instead, so
 * their decoys agree with each other as real answers do.
 *
 * ```
 * decoySecret          = HMAC-SHA-256(seed of the server key, "secret-channel/accounts/v1/decoy")
 * decoyBytes(label, n) = HMAC-SHA-256(decoySecret, label ‖ 0x00 ‖ "u" ‖ 0x00 ‖ n)    (n: a user name)
 * decoy salt           = decoyBytes("c1", n)   the salt field of the flat server's decoy CERTIFICATE
 * ```
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import type { KeyPair } from '../../keys.js'

/**
 * HMAC-SHA-256(seed of the server key, "secret-channel/accounts/v1/decoy"): stable, secret, 32 bytes.
 * @example
 * ```ts
 * const decoySecret = accounts.decoySecretFor(identityServerKeys) // give the flat server the same one
 * ```
 */
export function decoySecretFor(keyPair: KeyPair, crypto: CryptoBackend = getCryptoBackend()): Uint8Array {
  return crypto.hmacSha256(keyPair.secretKey.subarray(0, 32), new TextEncoder().encode('secret-channel/accounts/v1/decoy'))
}

/** 32 stable pseudo-random bytes for user name `name` under `label` (the flat server's layout for USERNAME decoys). */
export function decoyBytes(crypto: CryptoBackend, decoySecret: Uint8Array, label: string, name: string): Uint8Array {
  return crypto.hmacSha256(decoySecret, new TextEncoder().encode(`${label}\u0000u\u0000${name}`))
}

/**
 * The KDF salt shown for an unknown user name: the same bytes a flat server with this decoy secret puts in its decoy CERTIFICATE.
 * @example
 * ```ts
 * const salt = accounts.decoySalt(getCryptoBackend(), decoySecret, 'nobody')
 * ```
 */
export function decoySalt(crypto: CryptoBackend, decoySecret: Uint8Array, name: string): Uint8Array {
  return decoyBytes(crypto, decoySecret, 'c1', name)
}
