/**
 * The seed-001 stories as single calls: register, back up, restore on a new device, prove
 * possession with a session challenge, and what real use adds: change the password, revoke
 * tokens and sessions, delete the account. Each opens its own channels and closes them.
 *
 * Every derivation checks the scrypt parameters against {@link minimumKdfParams} first, whoever
 * supplied them (the caller or the identity server), so a hostile server cannot weaken a seal.
 * @module
 */
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { generateKeyPair } from '../../keys.js'
import type { KeyPair } from '../../keys.js'
import { IdentityClient, KeyServerClient } from './account-client.js'
import type { Session } from './account-client.js'
import { SALT_BYTES, assertKdfParams, defaultKdfParams, derivePasswordKeys, minimumKdfParams, wipePasswordKeys } from './kdf.js'
import type { KdfParams } from './kdf.js'
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
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

/** To the person at the keyboard a refused login key is a wrong password (or user id). */
function asWrongPassword(phase: string): (err: unknown) => never {
  return (err) => {
    if (isSecretChannelError(err, ErrorCodes.UNAUTHORIZED) && /wrong user id or password/.test(err.message)) {
      throw new SecretChannelError(ErrorCodes.WRONG_PASSWORD, phase, 'wrong user id or password', { cause: err })
    }
    throw err
  }
}

/**
 * What every workflow takes.
 * @example
 * ```ts
 * const common: accounts.WorkflowOptions = { identity: { host: '127.0.0.1', port: 9000, publicKey: identityServerKey }, userID: 'alice' }
 * ```
 */
export interface WorkflowOptions {
  /** The identity server. */
  identity: Endpoint
  /** The account name. */
  userID: string
  /** Weakest scrypt parameters accepted; {@link minimumKdfParams} by default. Lowering it is for tests only. */
  minimumKdf?: KdfParams
  /** The crypto backend; the process-wide one by default. */
  crypto?: CryptoBackend
}

/**
 * Options for {@link register}.
 * @example
 * ```ts
 * const options: accounts.RegisterOptions = { identity, userID: 'alice', password }
 * const keyPair = await accounts.register(options)
 * ```
 */
export interface RegisterOptions extends WorkflowOptions {
  /** The password; leave out for a non-interactive account (key only, no password login, no backup). */
  password?: string
  /** An existing identity to register; a new one is made by default. */
  keyPair?: KeyPair
  /** scrypt cost; the identity server's (from `getLoginParams`) by default. It must meet the floor. */
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
  const crypto = options.crypto ?? getCryptoBackend()
  const keyPair = options.keyPair ?? generateKeyPair()
  const floor = options.minimumKdf ?? minimumKdfParams()
  await using(IdentityClient.connect(options.identity, { keyPair }), async (c) => {
    // Without a password the parameters are never used to derive anything; with one they must meet the floor.
    const kdf = options.password === undefined
      ? assertKdfParams(options.kdf ?? defaultKdfParams(), undefined, 'register')
      : assertKdfParams(options.kdf ?? (await c.getLoginParams(userID)).kdf, floor, 'register')
    const salt = crypto.randomBytes(SALT_BYTES)
    const keys = options.password === undefined ? null : await derivePasswordKeys(options.password, salt, kdf, crypto)
    try {
      await c.putPublicKey(userID, keyPair.publicKey, salt, kdf, keys?.loginKey ?? null)
    } finally {
      if (keys) wipePasswordKeys(keys)
    }
  })
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
export interface BackupOptions extends WorkflowOptions {
  /** The key server. */
  keyServer: Endpoint
  /** The account's identity (proves the right to replace the backup). */
  keyPair: KeyPair
  /** The account's password (the same one registered: the identity server checks it first). */
  password: string
}

/**
 * Seals the private key with the password (same salt and parameters as registered, so one
 * password opens both) and stores it on the key server with a `put-private-key` token, which the
 * identity server issues only to the identity's own channel *and* for the right password: a
 * mistyped password is `ERR_WRONG_PASSWORD` and the stored backup stays as it was.
 * @returns the sealed record that was stored
 * @throws SecretChannelError `ERR_WRONG_PASSWORD`; `ERR_INVALID_ARGUMENT` when the server's parameters are below the floor
 * @example
 * ```ts
 * await accounts.backup({ identity, keyServer, userID: 'alice', keyPair: alice, password })
 * ```
 */
export async function backup(options: BackupOptions): Promise<SealedPrivateKey> {
  const userID = assertUserID(options.userID)
  const crypto = options.crypto ?? getCryptoBackend()
  const { keyPair } = options
  return using(IdentityClient.connect(options.identity, { keyPair }), async (identity) => {
    const { salt, kdf } = await identity.getLoginParams(userID)
    assertKdfParams(kdf, options.minimumKdf ?? minimumKdfParams(), 'backup')
    const keys = await derivePasswordKeys(options.password, salt, kdf, crypto)
    try {
      const { accessToken } = await identity.getAccessToken(userID, Purpose.PUT_PRIVATE_KEY, keys.loginKey).catch(asWrongPassword('backup'))
      const sealed = sealWithKey(keyPair.secretKey, keys.sealKey, salt, kdf, crypto)
      await using(KeyServerClient.connect(options.keyServer), (ks) =>
        ks.putPrivateKey(accessToken, userID, sealed.encryptedPrivateKey, sealed.nonce, sealed.salt, sealed.kdf))
      return sealed
    } finally {
      wipePasswordKeys(keys)
    }
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
export interface RestoreOptions extends WorkflowOptions {
  /** The key server. */
  keyServer: Endpoint
  /** The password. */
  password: string
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
  const crypto = options.crypto ?? getCryptoBackend()
  const floor = options.minimumKdf ?? minimumKdfParams()
  return using(IdentityClient.connect(options.identity), async (identity) => {
    const { salt, kdf } = await identity.getLoginParams(userID)
    assertKdfParams(kdf, floor, 'restore')
    const keys = await derivePasswordKeys(options.password, salt, kdf, crypto)
    try {
      const { accessToken } = await identity.getAccessToken(userID, Purpose.GET_PRIVATE_KEY, keys.loginKey).catch(asWrongPassword('restore'))
      const { sealed, publicKey } = await using(KeyServerClient.connect(options.keyServer), (ks) => ks.getEncryptedPrivateKey(userID, accessToken))
      const sameDerivation = Buffer.from(sealed.salt).equals(Buffer.from(salt)) && sealed.kdf.logN === kdf.logN && sealed.kdf.r === kdf.r && sealed.kdf.p === kdf.p
      if (sameDerivation) return openWithKey(sealed, keys.sealKey, publicKey, crypto)
      // Sealed under other parameters (an older backup): derive again for it.
      assertKdfParams(sealed.kdf, floor, 'restore')
      const again = await derivePasswordKeys(options.password, sealed.salt, sealed.kdf, crypto)
      try {
        return openWithKey(sealed, again.sealKey, publicKey, crypto)
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
 * const { sessionToken } = await accounts.proveIdentity(options)
 * ```
 */
export interface ProveOptions extends WorkflowOptions {
  /** The account's identity. */
  keyPair: KeyPair
}

/**
 * The session challenge: fetch a token sealed to the account's key, open it with the private key,
 * hand it back. Runs over a throwaway channel key, so it is the challenge alone that proves
 * possession. Resolves to the session the server starts: a token that `IdentityClient.validateSession`
 * accepts until it expires or is ended (`endSession`, `revokeTokens`, account deletion).
 * @example
 * ```ts
 * const { sessionToken, expiresAt } = await accounts.proveIdentity({ identity, userID: 'alice', keyPair })
 * ```
 */
export async function proveIdentity(options: ProveOptions): Promise<Session> {
  const userID = assertUserID(options.userID)
  const crypto = options.crypto ?? getCryptoBackend()
  return using(IdentityClient.connect(options.identity), async (identity) => {
    const box = await identity.getSessionChallenge(userID)
    const token = openSealed(options.keyPair.secretKey, box, crypto)
    try {
      return await identity.submitSessionChallenge(userID, token)
    } finally {
      wipe(token)
    }
  })
}

/**
 * Options for {@link changePassword}.
 * @example
 * ```ts
 * const options: accounts.ChangePasswordOptions = { identity, keyServer, userID: 'alice', keyPair: alice, oldPassword, newPassword }
 * await accounts.changePassword(options)
 * ```
 */
export interface ChangePasswordOptions extends WorkflowOptions {
  /** The key server (it gets the key re-sealed under the new password). */
  keyServer: Endpoint
  /** The account's identity. */
  keyPair: KeyPair
  /** The current password. */
  oldPassword: string
  /** The new password. */
  newPassword: string
}

/**
 * Changes the password on both servers: proves the old one, derives the new keys under a fresh
 * salt, and re-seals the private key. The identity server switches to the new login key in the
 * same step in which the key server's redemption of the change token is accepted; the key server
 * then stores the new seal. If that last write fails, run {@link backup} with the new password.
 * @example
 * ```ts
 * await accounts.changePassword({ identity, keyServer, userID: 'alice', keyPair: alice, oldPassword: 'old', newPassword: 'new' })
 * ```
 * @throws SecretChannelError `ERR_WRONG_PASSWORD` for a wrong old password
 */
export async function changePassword(options: ChangePasswordOptions): Promise<SealedPrivateKey> {
  const userID = assertUserID(options.userID)
  const crypto = options.crypto ?? getCryptoBackend()
  const floor = options.minimumKdf ?? minimumKdfParams()
  const { keyPair } = options
  return using(IdentityClient.connect(options.identity, { keyPair }), async (identity) => {
    const { salt, kdf } = await identity.getLoginParams(userID)
    assertKdfParams(kdf, floor, 'change password')
    const oldKeys = await derivePasswordKeys(options.oldPassword, salt, kdf, crypto)
    const newSalt = crypto.randomBytes(SALT_BYTES)
    const newKeys = await derivePasswordKeys(options.newPassword, newSalt, kdf, crypto)
    try {
      const { changeToken } = await identity.changePassword(userID, oldKeys.loginKey, newSalt, kdf, newKeys.loginKey).catch(asWrongPassword('change password'))
      const sealed = sealWithKey(keyPair.secretKey, newKeys.sealKey, newSalt, kdf, crypto)
      await using(KeyServerClient.connect(options.keyServer), (ks) =>
        ks.replacePrivateKey(changeToken, userID, sealed.encryptedPrivateKey, sealed.nonce, sealed.salt, sealed.kdf))
      return sealed
    } finally {
      wipePasswordKeys(oldKeys)
      wipePasswordKeys(newKeys)
    }
  })
}

/**
 * Options for {@link revokeTokens}.
 * @example
 * ```ts
 * const options: accounts.RevokeOptions = { identity, userID: 'alice', keyPair: alice }
 * const voided = await accounts.revokeTokens(options)
 * ```
 */
export interface RevokeOptions extends WorkflowOptions {
  /** The account's identity. */
  keyPair: KeyPair
}

/**
 * Ends every session and voids every token of the account (proved by its identity key); resolves to how many.
 * @example
 * ```ts
 * const voided = await accounts.revokeTokens({ identity, userID: 'alice', keyPair: alice }) // e.g. after losing a device
 * ```
 */
export async function revokeTokens(options: RevokeOptions): Promise<number> {
  const userID = assertUserID(options.userID)
  return using(IdentityClient.connect(options.identity, { keyPair: options.keyPair }), (c) => c.revokeTokens(userID))
}

/**
 * Options for {@link deleteAccount}.
 * @example
 * ```ts
 * const options: accounts.DeleteAccountOptions = { identity, keyServer, userID: 'alice', keyPair: alice }
 * await accounts.deleteAccount(options)
 * ```
 */
export interface DeleteAccountOptions extends WorkflowOptions {
  /** The key server, to delete the backup there too. */
  keyServer?: Endpoint
  /** The account's identity: it alone proves the right to delete. */
  keyPair: KeyPair
}

/**
 * Deletes the account on both servers, proved by its identity key: first the sealed key on the key
 * server (with a `delete-account` token only the identity's channel can get), then the account,
 * its tokens, sessions and counters on the identity server. Safe to run again after a failure.
 * @returns whether the key server held a backup
 * @example
 * ```ts
 * const { backupDeleted } = await accounts.deleteAccount({ identity, keyServer, userID: 'alice', keyPair: alice })
 * ```
 */
export async function deleteAccount(options: DeleteAccountOptions): Promise<{ backupDeleted: boolean }> {
  const userID = assertUserID(options.userID)
  return using(IdentityClient.connect(options.identity, { keyPair: options.keyPair }), async (identity) => {
    let backupDeleted = false
    if (options.keyServer) {
      const { accessToken } = await identity.getAccessToken(userID, Purpose.DELETE_ACCOUNT)
      backupDeleted = await using(KeyServerClient.connect(options.keyServer), (ks) => ks.deletePrivateKey(accessToken, userID))
    }
    await identity.deleteAccount(userID)
    return { backupDeleted }
  })
}
