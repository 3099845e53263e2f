/**
 * scrypt on Node's thread pool (OpenSSL's `EVP_PBE_scrypt`), shared by the `node` and
 * `sodium-native` backends. sodium-native only offers scrypt through libsodium's
 * opslimit/memlimit interface, which picks N, r and p itself; scrypt is a fixed function of
 * (password, salt, N, r, p), so OpenSSL's gives the same bytes for the parameters we store.
 * @module
 */
import { scrypt } from 'node:crypto'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import type { ScryptCost } from './backend.js'
import { scryptMemory } from './derive.js'

/** `CryptoBackend.scrypt` for Node-only backends. */
export function nodeScrypt(password: Uint8Array, salt: Uint8Array, cost: ScryptCost, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N: 2 ** cost.logN, r: cost.r, p: cost.p, maxmem: scryptMemory(cost) }, (err, key) => {
      if (err) reject(new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'kdf', 'scrypt failed', { cause: err }))
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.length))
    })
  })
}
