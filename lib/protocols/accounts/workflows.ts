/**
 * The seed-001 stories as single calls: register, back up, restore on a new device, and prove
 * possession with a session challenge. Each opens its own channels and closes them.
 * @module
 */
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { generateKeyPair } from '../../keys.js'
import type { KeyPair } from '../../keys.js'
import { IdentityClient, KeyServerClient } from './account-client.js'
import { SALT_BYTES, assertKdfParams, defaultKdfParams, derivePasswordKeys, minimumKdfParams, wipePasswordKeys } from './kdf.js'
import type { KdfParams } from './kdf.js'
import { getCryptoBackend } from '../../crypto/index.js'
import type { Endpoint } from './rpc/client.js'
import { openWithKey, sealWithKey } from './sealed-key.js'
import type { SealedPrivateKey } from './sealed-key.js'
import { openSealed } from './sealed-box.js'
import { Purpose } from './tokens.js'
import { assertUserID } from './user-id.js'

async function using<C extends { close(): void }, T>(client: Promise<C>, fn: (c: C) => Promise<T>): Promise<T> {
  const c = await client
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/**
 * Options for {@link register}.
 * @example
 * ```ts
 * const options: accounts.RegisterOptions = { identity, userID: 'alice', password }
 * const keyPair = await accounts.register(options)
 * ```
 */
export interface RegisterOptions {
  /** The identity server. */
  identity: Endpoint
  /** The account name. */
  userID: string
  /** The password; leave out for a non-interactive account (key only, no password login, no backup). */
  password?: string
  /** An existing identity to register; a new one is made by default. */
  keyPair?: KeyPair
  /** scrypt cost; {@link defaultKdfParams} by default. */
  kdf?: KdfParams
}

/**
 * Creates (or takes) an identity and registers its public key, the password's KDF salt and
 * parameters, and its login key. The channel is authenticated with the identity itself.
 * @returns the identity (keep it: it is the account)
 * @example
 * ```ts
 * const alice = await accounts.register({ identity, userID: 'alice', password })
 * writeFileSync('alice.json', JSON.stringify(toIdentityFile(alice)), { mode: 0o600 })
 * ```
 */
export async function register(options: RegisterOptions): Promise<KeyPair> {
  const userID = assertUserID(options.userID)
  const keyPair = options.keyPair ?? generateKeyPair()
  const kdf = assertKdfParams(options.kdf ?? defaultKdfParams())
  const salt = getCryptoBackend().randomBytes(SALT_BYTES)
  const keys = options.password === undefined ? null : await derivePasswordKeys(options.password, salt, kdf)
  try {
    await using(IdentityClient.connect(options.identity, { keyPair }), (c) => c.putPublicKey(userID, keyPair.publicKey, salt, kdf, keys?.loginKey ?? null))
  } finally {
    if (keys) wipePasswordKeys(keys)
  }
  return keyPair
}

/**
 * Options for {@link backup}.
 * @example
 * ```ts
 * const options: accounts.BackupOptions = { identity, keyServer, userID: 'alice', keyPair: alice, password }
 * await accounts.backup(options)
 * ```
 */
export interface BackupOptions {
  /** The identity server. */
  identity: Endpoint
  /** The key server. */
  keyServer: Endpoint
  /** The account name. */
  userID: string
  /** The account's identity (proves the right to replace the backup). */
  keyPair: KeyPair
  /** The account's password (the same one registered). */
  password: string
}

/**
 * Seals the private key with the password (same salt and parameters as registered, so one
 * password opens both) and stores it on the key server with a `put-private-key` token.
 * @returns the sealed record that was stored
 * @example
 * ```ts
 * await accounts.backup({ identity, keyServer, userID: 'alice', keyPair: alice, password })
 * ```
 */
export async function backup(options: BackupOptions): Promise<SealedPrivateKey> {
  const userID = assertUserID(options.userID)
  const { keyPair } = options
  return using(IdentityClient.connect(options.identity, { keyPair }), async (identity) => {
    const { salt, kdf } = await identity.getLoginParams(userID)
    const keys = await derivePasswordKeys(options.password, salt, kdf)
    const sealed = sealWithKey(keyPair.secretKey, keys.sealKey, salt, kdf)
    wipePasswordKeys(keys)
    const { accessToken } = await identity.getAccessToken(userID, Purpose.PUT_PRIVATE_KEY)
    await using(KeyServerClient.connect(options.keyServer), (ks) =>
      ks.putPrivateKey(accessToken, userID, sealed.encryptedPrivateKey, sealed.nonce, sealed.salt, sealed.kdf))
    return sealed
  })
}

/**
 * Options for {@link restore}.
 * @example
 * ```ts
 * const options: accounts.RestoreOptions = { identity, keyServer, userID: 'alice', password }
 * const keyPair = await accounts.restore(options)
 * ```
 */
export interface RestoreOptions {
  /** The identity server. */
  identity: Endpoint
  /** The key server. */
  keyServer: Endpoint
  /** The account name. */
  userID: string
  /** The password. */
  password: string
  /** Weakest KDF parameters accepted from the server; {@link minimumKdfParams} by default. */
  minimumKdf?: KdfParams
}

/**
 * A new device with only the user id and password gets its identity back:
 * login params → derive keys → access token with the login key → sealed key → open locally.
 * Channels use a throwaway key pair (the device has no identity yet).
 * @throws SecretChannelError `ERR_WRONG_PASSWORD` (the identity server refused the login key, or
 *   the sealed key does not open), `ERR_INVALID_ARGUMENT` (the server offered weak KDF parameters)
 * @example
 * ```ts
 * const keyPair = await accounts.restore({ identity, keyServer, userID: 'alice', password }) // on a new device
 * ```
 */
export async function restore(options: RestoreOptions): Promise<KeyPair> {
  const userID = assertUserID(options.userID)
  return using(IdentityClient.connect(options.identity), async (identity) => {
    const { salt, kdf } = await identity.getLoginParams(userID)
    assertKdfParams(kdf, options.minimumKdf ?? minimumKdfParams(), 'restore')
    const keys = await derivePasswordKeys(options.password, salt, kdf)
    try {
      const { accessToken } = await identity.getAccessToken(userID, Purpose.GET_PRIVATE_KEY, keys.loginKey).catch((err: unknown) => {
        // To the person at the keyboard a refused login key is a wrong password (or user id).
        if (isSecretChannelError(err, ErrorCodes.UNAUTHORIZED)) throw new SecretChannelError(ErrorCodes.WRONG_PASSWORD, 'restore', 'wrong user id or password', { cause: err })
        throw err
      })
      const { sealed, publicKey } = await using(KeyServerClient.connect(options.keyServer), (ks) => ks.getEncryptedPrivateKey(userID, accessToken))
      const sameDerivation = Buffer.from(sealed.salt).equals(Buffer.from(salt)) && sealed.kdf.logN === kdf.logN && sealed.kdf.r === kdf.r && sealed.kdf.p === kdf.p
      if (sameDerivation) return openWithKey(sealed, keys.sealKey, publicKey)
      // Sealed under other parameters (an older backup): derive again for it.
      assertKdfParams(sealed.kdf, options.minimumKdf ?? minimumKdfParams(), 'restore')
      const again = await derivePasswordKeys(options.password, sealed.salt, sealed.kdf)
      try {
        return openWithKey(sealed, again.sealKey, publicKey)
      } finally {
        wipePasswordKeys(again)
      }
    } finally {
      wipePasswordKeys(keys)
    }
  })
}

/**
 * Options for {@link proveIdentity}.
 * @example
 * ```ts
 * const options: accounts.ProveOptions = { identity, userID: 'alice', keyPair }
 * await accounts.proveIdentity(options)
 * ```
 */
export interface ProveOptions {
  /** The identity server. */
  identity: Endpoint
  /** The account name. */
  userID: string
  /** The account's identity. */
  keyPair: KeyPair
}

/**
 * The session challenge: fetch a token sealed to the account's key, open it with the private key,
 * hand it back. Resolves when the server accepts it. Runs over a throwaway channel key, so it is
 * the challenge alone that proves possession.
 * @example
 * ```ts
 * await accounts.proveIdentity({ identity, userID: 'alice', keyPair }) // answers the session challenge
 * ```
 */
export async function proveIdentity(options: ProveOptions): Promise<void> {
  const userID = assertUserID(options.userID)
  await using(IdentityClient.connect(options.identity), async (identity) => {
    const box = await identity.getSessionChallenge(userID)
    const token = openSealed(options.keyPair.secretKey, box)
    try {
      await identity.submitSessionChallenge(userID, token)
    } finally {
      wipe(token)
    }
  })
}
