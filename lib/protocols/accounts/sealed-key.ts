/**
 * Password-sealed private keys: the `{ encryptedPrivateKey, nonce, salt, kdf }` record the key
 * server stores and the flat protocol hands out as a CERTIFICATE.
 *
 * Only the 32-byte Ed25519 seed is sealed (the rest of libsodium's 64-byte secret key is the public
 * key). XSalsa20-Poly1305 (secretbox) under the password's seal key, random 24-byte nonce:
 * ```
 * encryptedPrivateKey = tag (16) ‖ XSalsa20(seed) (32)      = 48 bytes
 * nonce               = 24 random bytes
 * salt                = 32 random bytes (the scrypt salt)
 * kdf                 = { logN, r, p }
 * ```
 * A wrong password, a tampered field or a record for another key all fail the same way, with
 * `ERR_WRONG_PASSWORD`: the tag cannot tell them apart, and the caller should not either.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KeyPair } from '../../keys.js'
import { SALT_BYTES, assertKdfParams, decodeKdfParams, defaultKdfParams, derivePasswordKeys, encodeKdfParams, wipePasswordKeys } from './kdf.js'
import type { KdfParams, PasswordKeys } from './kdf.js'

const PHASE = 'sealed key'
/** Bytes of `encryptedPrivateKey`: 16-byte tag ‖ 32-byte sealed seed. */
const SEALED_SEED_BYTES = 48
/** Bytes of a secretbox nonce. */
const NONCE_BYTES = 24

/**
 * A private key sealed with a password. Every field may be stored or sent in the clear.
 * @example
 * ```ts
 * const sealed: accounts.SealedPrivateKey = await accounts.backup({ identity, keyServer, userID: 'alice', keyPair, password })
 * console.log(sealed.kdf) // the scrypt cost it was sealed with
 * ```
 */
export interface SealedPrivateKey {
  /** tag ‖ ciphertext of the Ed25519 seed, 48 bytes. */
  encryptedPrivateKey: Uint8Array
  /** 24-byte secretbox nonce (the seed's "iv"). */
  nonce: Uint8Array
  /** 32-byte scrypt salt. */
  salt: Uint8Array
  /** scrypt cost used. */
  kdf: KdfParams
}

/**
 * Seals an Ed25519 secret key (64 bytes, libsodium layout) under an already-derived seal key.
 * @example
 * ```ts
 * const { sealKey } = await accounts.derivePasswordKeys(password, salt, kdf)
 * const sealed = accounts.sealWithKey(keyPair.secretKey, sealKey, salt, kdf)
 * ```
 */
export function sealWithKey(secretKey: Uint8Array, sealKey: Uint8Array, salt: Uint8Array, kdf: KdfParams, crypto: CryptoBackend = getCryptoBackend()): SealedPrivateKey {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 64) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'secret key must be 64 bytes')
  }
  const nonce = crypto.randomBytes(NONCE_BYTES)
  const out = new Uint8Array(SEALED_SEED_BYTES)
  const body = out.subarray(16)
  body.set(secretKey.subarray(0, 32))
  crypto.secretboxSealDetached(body, out.subarray(0, 16), nonce, sealKey)
  return { encryptedPrivateKey: out, nonce, salt: Uint8Array.from(salt), kdf: { ...kdf } }
}

/**
 * Opens a sealed key with an already-derived seal key and rebuilds the key pair.
 * @param expectedPublicKey - when given, the opened key must belong to it
 * @throws SecretChannelError `ERR_WRONG_PASSWORD`
 * @example
 * ```ts
 * const keyPair = accounts.openWithKey(sealed, sealKey, expectedPublicKey)
 * ```
 */
export function openWithKey(sealed: SealedPrivateKey, sealKey: Uint8Array, expectedPublicKey?: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): KeyPair {
  assertSealedShape(sealed)
  const seed = new Uint8Array(32)
  const ok = crypto.secretboxOpenDetached(seed, sealed.encryptedPrivateKey.subarray(16), sealed.encryptedPrivateKey.subarray(0, 16), sealed.nonce, sealKey)
  if (!ok) throw new SecretChannelError(ErrorCodes.WRONG_PASSWORD, PHASE, 'the password does not open this key (or the sealed key was altered)')
  const pair = crypto.signKeyPairFromSeed(seed)
  wipe(seed)
  if (expectedPublicKey && !constantTimeEqual(pair.publicKey, expectedPublicKey)) {
    wipe(pair.secretKey)
    throw new SecretChannelError(ErrorCodes.WRONG_PASSWORD, PHASE, 'the sealed key opened but belongs to another identity')
  }
  return { publicKey: Buffer.from(pair.publicKey), secretKey: Buffer.from(pair.secretKey) }
}

/**
 * Options for {@link sealPrivateKey}.
 * @example
 * ```ts
 * const options: accounts.SealOptions = { kdf: accounts.defaultKdfParams() } // and a fresh random salt
 * ```
 */
export interface SealOptions {
  /** scrypt cost; {@link defaultKdfParams} when left out. */
  kdf?: KdfParams
  /** A fixed salt (tests only); random otherwise. */
  salt?: Uint8Array
  /** The crypto backend; the process-wide one by default. */
  crypto?: CryptoBackend
}

/**
 * Seals a private key with a password, returning the record and the password's login key
 * (for registering with the identity server; wipe it when done).
 * @example
 * ```ts
 * const { sealed } = await sealPrivateKey(keyPair.secretKey, 'correct horse battery staple')
 * const again = await unsealPrivateKey(sealed, 'correct horse battery staple')
 * ```
 */
export async function sealPrivateKey(secretKey: Uint8Array, password: string | Uint8Array, options: SealOptions = {}): Promise<{ sealed: SealedPrivateKey, keys: PasswordKeys }> {
  const kdf = assertKdfParams(options.kdf ?? defaultKdfParams(), undefined, PHASE)
  const crypto = options.crypto ?? getCryptoBackend()
  const salt = options.salt ?? crypto.randomBytes(SALT_BYTES)
  const keys = await derivePasswordKeys(password, salt, kdf, crypto)
  try {
    return { sealed: sealWithKey(secretKey, keys.sealKey, salt, kdf, crypto), keys }
  } catch (err) {
    wipePasswordKeys(keys)
    throw err
  }
}

/**
 * Opens a sealed private key with its password.
 * @param expectedPublicKey - when given, the opened key must belong to it
 * @throws SecretChannelError `ERR_WRONG_PASSWORD` for a wrong password or a tampered record
 * @example
 * ```ts
 * const keyPair = await accounts.unsealPrivateKey(sealed, password, expectedPublicKey) // ERR_WRONG_PASSWORD on a typo
 * ```
 */
export async function unsealPrivateKey(sealed: SealedPrivateKey, password: string | Uint8Array, expectedPublicKey?: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): Promise<KeyPair> {
  assertSealedShape(sealed)
  const keys = await derivePasswordKeys(password, sealed.salt, sealed.kdf, crypto)
  try {
    return openWithKey(sealed, keys.sealKey, expectedPublicKey, crypto)
  } finally {
    wipePasswordKeys(keys)
  }
}

function assertSealedShape(sealed: SealedPrivateKey): void {
  const ok = sealed && sealed.encryptedPrivateKey instanceof Uint8Array && sealed.encryptedPrivateKey.length === SEALED_SEED_BYTES &&
    sealed.nonce instanceof Uint8Array && sealed.nonce.length === NONCE_BYTES && sealed.salt instanceof Uint8Array && sealed.salt.length === SALT_BYTES
  if (!ok) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'a sealed key needs a 48-byte encryptedPrivateKey, a 24-byte nonce and a 32-byte salt')
  assertKdfParams(sealed.kdf, undefined, PHASE)
}

/**
 * One-blob form (the flat protocol's CERTIFICATE value and the CLI's backup file), 143 bytes:
 * ```
 * [ 0x01 | kdf params (6) | salt (32) | nonce (24) | encryptedPrivateKey (48) | public key (32) ]
 * ```
 * The public key is the one the seed must open to, so a client can check what it unlocked.
 * @example
 * ```ts
 * const bytes = accounts.encodeSealedKey(sealed, keyPair.publicKey) // store or send it
 * ```
 */
export function encodeSealedKey(sealed: SealedPrivateKey, publicKey: Uint8Array): Uint8Array {
  assertSealedShape(sealed)
  if (publicKey.length !== 32) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'public key must be 32 bytes')
  return Buffer.concat([Uint8Array.of(1), encodeKdfParams(sealed.kdf), sealed.salt, sealed.nonce, sealed.encryptedPrivateKey, publicKey])
}

/** Bytes of {@link encodeSealedKey}'s output. */
export const ENCODED_SEALED_KEY_BYTES = 1 + 6 + SALT_BYTES + NONCE_BYTES + SEALED_SEED_BYTES + 32

/**
 * Parses {@link encodeSealedKey}'s output; `ERR_PROTOCOL` for anything else.
 * @example
 * ```ts
 * const { sealed, publicKey } = accounts.decodeSealedKey(bytes)
 * const keyPair = await accounts.unsealPrivateKey(sealed, password, publicKey)
 * ```
 */
export function decodeSealedKey(bytes: Uint8Array, phase = PHASE): { sealed: SealedPrivateKey, publicKey: Uint8Array } {
  if (bytes.length !== ENCODED_SEALED_KEY_BYTES || bytes[0] !== 1) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, `a sealed key is ${ENCODED_SEALED_KEY_BYTES} bytes starting with version 1`)
  }
  let at = 1
  const take = (n: number): Uint8Array => { const v = Uint8Array.from(bytes.subarray(at, at + n)); at += n; return v }
  const kdf = decodeKdfParams(take(6), phase)
  const salt = take(SALT_BYTES)
  const nonce = take(NONCE_BYTES)
  const encryptedPrivateKey = take(SEALED_SEED_BYTES)
  const publicKey = take(32)
  return { sealed: { encryptedPrivateKey, nonce, salt, kdf }, publicKey }
}
