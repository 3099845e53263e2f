/**
 * Decoy answers (for unknown accounts) must be the same every time and across restarts, or asking
 * twice would tell real accounts from missing ones. Servers derive the decoy secret from their own
 * long-term key so no extra secret needs storing.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import type { KeyPair } from '../../keys.js'

/** HMAC-SHA-256(seed of the server key, "secret-channel/accounts/v1/decoy"): stable, secret, 32 bytes. */
export function decoySecretFor(keyPair: KeyPair, crypto: CryptoBackend = getCryptoBackend()): Uint8Array {
  return crypto.hmacSha256(keyPair.secretKey.subarray(0, 32), new TextEncoder().encode('secret-channel/accounts/v1/decoy'))
}
