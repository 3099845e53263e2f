/**
 * The small storage interface the account servers need, and an in-memory implementation for
 * tests and throwaway servers. The durable one is `sqlite-store.ts` (better-sqlite3), loaded only
 * by the servers. Methods are synchronous: an implementation must have made a write durable
 * before the method returns, because the servers acknowledge right after.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KdfParams } from './kdf.js'
import type { SealedPrivateKey } from './sealed-key.js'

/**
 * One account on the identity server.
 * @example
 * ```ts
 * const user: accounts.UserRecord | null = store.getUser('alice')
 * if (user) console.log(formatId(user.publicKey))
 * ```
 */
export interface UserRecord {
  /** The account name people type (1–128 bytes of UTF-8). */
  userID: string
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** SHA-256 of the public key (the flat protocol's CERTIFICATE-ID). */
  thumbprint: Uint8Array
  /** The client's scrypt salt for this account's password, handed to new devices. */
  kdfSalt: Uint8Array
  /** The client's scrypt parameters, handed to new devices. */
  kdfParams: KdfParams
  /** Server-side salted slow hash of the login key, or null for an account without a password. */
  loginHash: Uint8Array | null
  /** The server-side salt of {@link loginHash}. */
  loginSalt: Uint8Array | null
  /** The server-side scrypt parameters of {@link loginHash}. */
  loginParams: KdfParams | null
  /** Milliseconds since the epoch. */
  createdAt: number
}

/**
 * A live token, stored only as its hash.
 * @example
 * ```ts
 * const token: accounts.TokenRecord | null = store.consumeToken(hash) // single use: gone after this
 * ```
 */
export interface TokenRecord {
  /** SHA-256 of the token. */
  hash: Uint8Array
  /** The account it was issued for. */
  userID: string
  /** What it may be used for: `"put-private-key"`, `"get-private-key"`, `"session-challenge"`. */
  purpose: string
  /** Milliseconds since the epoch after which it is dead. */
  expiresAt: number
}

/**
 * One account's sealed private key on the key server.
 * @example
 * ```ts
 * const record: accounts.SealedKeyRecord | null = store.getSealedKey('alice')
 * ```
 */
export interface SealedKeyRecord {
  /** The account. */
  userID: string
  /** The public key the identity server vouched for when the record was written. */
  publicKey: Uint8Array
  /** The sealed key. */
  sealed: SealedPrivateKey
  /** Milliseconds since the epoch. */
  updatedAt: number
}

/**
 * What the identity server stores.
 * @example
 * ```ts
 * const store: accounts.IdentityStore = new accounts.MemoryStore() // or openSqliteStore(path)
 * const service = new accounts.IdentityService({ store, keyServers: [] })
 * ```
 */
export interface IdentityStore {
  /** Adds an account; `ERR_ALREADY_EXISTS` when the user id or the public key is taken. */
  insertUser(user: UserRecord): void
  /** The account, or null. */
  getUser(userID: string): UserRecord | null
  /** The account whose public key has this SHA-256, or null. */
  getUserByThumbprint(thumbprint: Uint8Array): UserRecord | null
  /** Stores a token (by hash). */
  insertToken(token: TokenRecord): void
  /** Removes the token with this hash and returns it (so it can be used once), or null. */
  consumeToken(hash: Uint8Array): TokenRecord | null
  /** Forgets tokens that expired before `now`. */
  purgeExpiredTokens(now: number): void
  /** Releases the store. */
  close(): void
}

/**
 * What the key server stores.
 * @example
 * ```ts
 * const store: accounts.KeyStore = new accounts.MemoryStore()
 * const service = new accounts.KeyService({ store, validateUser })
 * ```
 */
export interface KeyStore {
  /** Adds or replaces an account's sealed key. */
  putSealedKey(record: SealedKeyRecord): void
  /** The account's sealed key, or null. */
  getSealedKey(userID: string): SealedKeyRecord | null
  /** Releases the store. */
  close(): void
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const copy = <T>(v: T): T => structuredClone(v)

/**
 * Both stores in memory; everything is lost when the process ends.
 * @example
 * ```ts
 * const store = new accounts.MemoryStore() // both stores, in memory: for tests and throwaway servers
 * const identity = new accounts.IdentityService({ store, keyServers: [] })
 * ```
 */
export class MemoryStore implements IdentityStore, KeyStore {
  private readonly users = new Map<string, UserRecord>()
  private readonly byThumbprint = new Map<string, string>()
  private readonly tokens = new Map<string, TokenRecord>()
  private readonly keys = new Map<string, SealedKeyRecord>()

  /** @inheritDoc IdentityStore.insertUser */
  insertUser(user: UserRecord): void {
    if (this.users.has(user.userID) || this.byThumbprint.has(hex(user.thumbprint))) {
      throw new SecretChannelError(ErrorCodes.ALREADY_EXISTS, 'account store', 'that user id or public key is already registered')
    }
    this.users.set(user.userID, copy(user))
    this.byThumbprint.set(hex(user.thumbprint), user.userID)
  }

  /** @inheritDoc IdentityStore.getUser */
  getUser(userID: string): UserRecord | null {
    const u = this.users.get(userID)
    return u ? copy(u) : null
  }

  /** @inheritDoc IdentityStore.getUserByThumbprint */
  getUserByThumbprint(thumbprint: Uint8Array): UserRecord | null {
    const id = this.byThumbprint.get(hex(thumbprint))
    return id === undefined ? null : this.getUser(id)
  }

  /** @inheritDoc IdentityStore.insertToken */
  insertToken(token: TokenRecord): void {
    this.tokens.set(hex(token.hash), copy(token))
  }

  /** @inheritDoc IdentityStore.consumeToken */
  consumeToken(hash: Uint8Array): TokenRecord | null {
    const key = hex(hash)
    const t = this.tokens.get(key)
    this.tokens.delete(key)
    return t ?? null
  }

  /** @inheritDoc IdentityStore.purgeExpiredTokens */
  purgeExpiredTokens(now: number): void {
    for (const [k, t] of this.tokens) if (t.expiresAt < now) this.tokens.delete(k)
  }

  /** @inheritDoc KeyStore.putSealedKey */
  putSealedKey(record: SealedKeyRecord): void {
    this.keys.set(record.userID, copy(record))
  }

  /** @inheritDoc KeyStore.getSealedKey */
  getSealedKey(userID: string): SealedKeyRecord | null {
    const r = this.keys.get(userID)
    return r ? copy(r) : null
  }

  /** Nothing to release. */
  close(): void {}
}
