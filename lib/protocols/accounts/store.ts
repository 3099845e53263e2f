/**
 * The storage interface the account servers need, and an in-memory implementation for tests and
 * throwaway servers. The durable embedded one is `sqlite-store.ts` (better-sqlite3), loaded only by
 * the servers; a PostgreSQL store implements the same interface for several server processes.
 *
 * Every method is asynchronous. Two rules an implementation must keep:
 * - **Durable before resolving.** The servers acknowledge right after a write resolves, so the
 *   write must be on disk (or committed in the database) by then.
 * - **Atomic per method.** Everything that must not race across processes is one method, never a
 *   check-then-act sequence in the service: {@link IdentityStore.consumeToken} (single use),
 *   {@link IdentityStore.reserveLoginAttempt} (the throttle counts the guess *before* the password
 *   work), {@link IdentityStore.takeRateLimit}, {@link IdentityStore.deleteUser} (account, tokens
 *   and counters together). A store shared by several processes must make each of them one
 *   transaction (or one statement).
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KdfParams } from './kdf.js'
import type { SealedPrivateKey } from './sealed-key.js'

/**
 * One account on the identity server.
 * @example
 * ```ts
 * const user: accounts.UserRecord | null = await store.getUser('alice')
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
 * What a password change replaces, all at once.
 * @example
 * ```ts
 * const update: accounts.LoginUpdate = { kdfSalt, kdfParams, loginHash, loginSalt, loginParams }
 * await store.updateLogin('alice', update)
 * ```
 */
export type LoginUpdate = Pick<UserRecord, 'kdfSalt' | 'kdfParams' | 'loginHash' | 'loginSalt' | 'loginParams'>

/**
 * A live token, stored only as its hash.
 * @example
 * ```ts
 * const token: accounts.TokenRecord | null = await store.consumeToken(hash) // single use: gone after this
 * ```
 */
export interface TokenRecord {
  /** SHA-256 of the token. */
  hash: Uint8Array
  /** The account it was issued for. */
  userID: string
  /** What it may be used for (see `tokens.ts`, `Purpose`). */
  purpose: string
  /** Milliseconds since the epoch after which it is dead. */
  expiresAt: number
  /** Opaque bytes the token carries (a pending password change); null for most tokens. */
  payload?: Uint8Array | null
}

/**
 * One account's sealed private key on the key server.
 * @example
 * ```ts
 * const record: accounts.SealedKeyRecord | null = await store.getSealedKey('alice')
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
 * A fixed-window limit: at most `max` events per `windowMs`.
 * @example
 * ```ts
 * const limit: accounts.WindowLimit = { max: 10, windowMs: 15 * 60_000 }
 * const allowed = await store.reserveLoginAttempt('alice', Date.now(), limit)
 * ```
 */
export interface WindowLimit {
  /** Events allowed per window. */
  max: number
  /** Window length, ms. */
  windowMs: number
}

/**
 * What the identity server stores.
 * @example
 * ```ts
 * const store: accounts.IdentityStore = new accounts.MemoryStore() // or openSqliteStore(path), or a PostgreSQL store
 * const service = new accounts.IdentityService({ store, keyServers: [] })
 * ```
 */
export interface IdentityStore {
  /** Adds an account; `ERR_ALREADY_EXISTS` when the user id or the public key is taken. */
  insertUser(user: UserRecord): Promise<void>
  /** The account, or null. */
  getUser(userID: string): Promise<UserRecord | null>
  /** The account whose public key has this SHA-256, or null. */
  getUserByThumbprint(thumbprint: Uint8Array): Promise<UserRecord | null>
  /** Replaces the account's password material in one write; false when the account is gone. */
  updateLogin(userID: string, login: LoginUpdate): Promise<boolean>
  /** Removes the account with its tokens and login counters, atomically; false when there was none. */
  deleteUser(userID: string): Promise<boolean>
  /** Stores a token (by hash). */
  insertToken(token: TokenRecord): Promise<void>
  /** Atomically removes the token with this hash and returns it (so it can be used once), or null. */
  consumeToken(hash: Uint8Array): Promise<TokenRecord | null>
  /** The token with this hash without consuming it (sessions are presented many times), or null. */
  findToken(hash: Uint8Array): Promise<TokenRecord | null>
  /** Removes one token; false when there was none. */
  deleteToken(hash: Uint8Array): Promise<boolean>
  /** Removes every token of the account (all purposes, or only `purposes`); resolves to how many. */
  revokeTokens(userID: string, purposes?: readonly string[]): Promise<number>
  /** Forgets tokens that expired before `now`. */
  purgeExpiredTokens(now: number): Promise<void>
  /**
   * The login throttle, one atomic step taken **before** the password work: when the account's
   * window (started by its first counted attempt) has passed, start a new one; then, if fewer than
   * `limit.max` attempts are counted in it, count this one and resolve true, else resolve false.
   * A counted attempt stays counted (a failure) until {@link clearLoginFailures}.
   */
  reserveLoginAttempt(userID: string, now: number, limit: WindowLimit): Promise<boolean>
  /** A correct password: forget the account's counted attempts. */
  clearLoginFailures(userID: string): Promise<void>
  /**
   * A shared rate limit, one atomic step: counts one event for `key` in its current fixed window
   * and resolves false (without counting) when `limit.max` are already counted. Also forgets
   * windows of any key that ended before `now`.
   */
  takeRateLimit(key: string, now: number, limit: WindowLimit): Promise<boolean>
  /** Releases the store. */
  close(): Promise<void>
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
  putSealedKey(record: SealedKeyRecord): Promise<void>
  /** The account's sealed key, or null. */
  getSealedKey(userID: string): Promise<SealedKeyRecord | null>
  /** Removes the account's sealed key; false when there was none. */
  deleteSealedKey(userID: string): Promise<boolean>
  /** Releases the store. */
  close(): Promise<void>
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const copy = <T>(v: T): T => structuredClone(v)

/**
 * Both stores in memory; everything is lost when the process ends. Each method is atomic because
 * it never awaits.
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
  private readonly attempts = new Map<string, { count: number, since: number }>()
  private readonly limits = new Map<string, { count: number, since: number, windowMs: number }>()

  /** @inheritDoc IdentityStore.insertUser */
  async insertUser(user: UserRecord): Promise<void> {
    if (this.users.has(user.userID) || this.byThumbprint.has(hex(user.thumbprint))) {
      throw new SecretChannelError(ErrorCodes.ALREADY_EXISTS, 'account store', 'that user id or public key is already registered')
    }
    this.users.set(user.userID, copy(user))
    this.byThumbprint.set(hex(user.thumbprint), user.userID)
  }

  /** @inheritDoc IdentityStore.getUser */
  async getUser(userID: string): Promise<UserRecord | null> {
    const u = this.users.get(userID)
    return u ? copy(u) : null
  }

  /** @inheritDoc IdentityStore.getUserByThumbprint */
  async getUserByThumbprint(thumbprint: Uint8Array): Promise<UserRecord | null> {
    const id = this.byThumbprint.get(hex(thumbprint))
    return id === undefined ? null : this.getUser(id)
  }

  /** @inheritDoc IdentityStore.updateLogin */
  async updateLogin(userID: string, login: LoginUpdate): Promise<boolean> {
    const u = this.users.get(userID)
    if (!u) return false
    this.users.set(userID, { ...u, ...copy(login) })
    return true
  }

  /** @inheritDoc IdentityStore.deleteUser */
  async deleteUser(userID: string): Promise<boolean> {
    const u = this.users.get(userID)
    if (!u) return false
    this.users.delete(userID)
    this.byThumbprint.delete(hex(u.thumbprint))
    for (const [k, t] of this.tokens) if (t.userID === userID) this.tokens.delete(k)
    this.attempts.delete(userID)
    return true
  }

  /** @inheritDoc IdentityStore.insertToken */
  async insertToken(token: TokenRecord): Promise<void> {
    this.tokens.set(hex(token.hash), copy({ ...token, payload: token.payload ?? null }))
  }

  /** @inheritDoc IdentityStore.consumeToken */
  async consumeToken(hash: Uint8Array): Promise<TokenRecord | null> {
    const key = hex(hash)
    const t = this.tokens.get(key)
    this.tokens.delete(key)
    return t ?? null
  }

  /** @inheritDoc IdentityStore.findToken */
  async findToken(hash: Uint8Array): Promise<TokenRecord | null> {
    const t = this.tokens.get(hex(hash))
    return t ? copy(t) : null
  }

  /** @inheritDoc IdentityStore.deleteToken */
  async deleteToken(hash: Uint8Array): Promise<boolean> {
    return this.tokens.delete(hex(hash))
  }

  /** @inheritDoc IdentityStore.revokeTokens */
  async revokeTokens(userID: string, purposes?: readonly string[]): Promise<number> {
    let n = 0
    for (const [k, t] of this.tokens) {
      if (t.userID === userID && (!purposes || purposes.includes(t.purpose))) {
        this.tokens.delete(k)
        n++
      }
    }
    return n
  }

  /** @inheritDoc IdentityStore.purgeExpiredTokens */
  async purgeExpiredTokens(now: number): Promise<void> {
    for (const [k, t] of this.tokens) if (t.expiresAt < now) this.tokens.delete(k)
  }

  /** @inheritDoc IdentityStore.reserveLoginAttempt */
  async reserveLoginAttempt(userID: string, now: number, limit: WindowLimit): Promise<boolean> {
    for (const [k, a] of this.attempts) if (now - a.since > limit.windowMs) this.attempts.delete(k)
    const a = this.attempts.get(userID) ?? { count: 0, since: now }
    if (a.count >= limit.max) return false
    this.attempts.set(userID, { count: a.count + 1, since: a.since })
    return true
  }

  /** @inheritDoc IdentityStore.clearLoginFailures */
  async clearLoginFailures(userID: string): Promise<void> {
    this.attempts.delete(userID)
  }

  /** @inheritDoc IdentityStore.takeRateLimit */
  async takeRateLimit(key: string, now: number, limit: WindowLimit): Promise<boolean> {
    for (const [k, w] of this.limits) if (now - w.since >= w.windowMs) this.limits.delete(k)
    const w = this.limits.get(key) ?? { count: 0, since: now, windowMs: limit.windowMs }
    if (w.count >= limit.max) return false
    this.limits.set(key, { ...w, count: w.count + 1 })
    return true
  }

  /** @inheritDoc KeyStore.putSealedKey */
  async putSealedKey(record: SealedKeyRecord): Promise<void> {
    this.keys.set(record.userID, copy(record))
  }

  /** @inheritDoc KeyStore.getSealedKey */
  async getSealedKey(userID: string): Promise<SealedKeyRecord | null> {
    const r = this.keys.get(userID)
    return r ? copy(r) : null
  }

  /** @inheritDoc KeyStore.deleteSealedKey */
  async deleteSealedKey(userID: string): Promise<boolean> {
    return this.keys.delete(userID)
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
