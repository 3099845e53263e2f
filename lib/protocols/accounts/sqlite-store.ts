/**
 * The durable embedded store: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is an optional peer dependency, loaded with a dynamic import inside
 * {@link openSqliteStore}: the library (and anyone who only uses clients) never needs the native
 * addon, and the published type declarations never mention its types ({@link SqliteHandle} is the
 * small part of its API this file uses).
 *
 * Durability: WAL journal with `synchronous = FULL`, so a statement that has returned is on disk
 * (the WAL is fsynced at every commit) and survives `kill -9` or a power cut. Every write is one
 * statement or one `BEGIN IMMEDIATE` transaction, so each store method is atomic even when
 * several processes share the file. The methods are asynchronous (the store interface is) but do
 * their work synchronously: SQLite's own calls block for the length of one fsync.
 * @module
 */
import { chmodSync, closeSync, existsSync, fchmodSync, openSync } from 'node:fs'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { IdentityStore, KeyStore, LoginUpdate, SealedKeyRecord, TokenRecord, UserRecord, WindowLimit } from './store.js'
import type { KdfParams } from './kdf.js'

/**
 * The few better-sqlite3 calls this store makes (so declarations need not name better-sqlite3's types).
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * const store = new accounts.SqliteStore(new Database('identity.db') as accounts.SqliteHandle)
 * ```
 */
export interface SqliteHandle {
  /** A prepared statement. */
  prepare(sql: string): { run(...params: unknown[]): { changes: number }, get(...params: unknown[]): unknown, all(...params: unknown[]): unknown[] }
  /** Runs a pragma. */
  pragma(source: string, options?: { simple?: boolean }): unknown
  /** Runs SQL text. */
  exec(sql: string): unknown
  /** Wraps `fn` in a transaction; `.immediate` takes the write lock at BEGIN. */
  transaction<F extends (...args: any[]) => unknown>(fn: F): F & { immediate: F }
  /** Closes the file. */
  close(): unknown
  /** Whether the file is open. */
  readonly open: boolean
}

/** Schema version 1: accounts, tokens, sealed keys (as first released). */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS users (
  user_id      TEXT PRIMARY KEY,
  public_key   BLOB NOT NULL UNIQUE,
  thumbprint   BLOB NOT NULL UNIQUE,
  kdf_salt     BLOB NOT NULL,
  kdf_params   TEXT NOT NULL,
  login_hash   BLOB,
  login_salt   BLOB,
  login_params TEXT,
  created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  hash       BLOB PRIMARY KEY,
  user_id    TEXT NOT NULL,
  purpose    TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sealed_keys (
  user_id               TEXT PRIMARY KEY,
  public_key            BLOB NOT NULL,
  encrypted_private_key BLOB NOT NULL,
  nonce                 BLOB NOT NULL,
  salt                  BLOB NOT NULL,
  kdf_params            TEXT NOT NULL,
  updated_at            INTEGER NOT NULL
);
`

/** Schema version 2: token payloads, the login throttle and rate limits live in the database. */
const SCHEMA_V2 = `
CREATE INDEX IF NOT EXISTS tokens_user ON tokens (user_id);
CREATE TABLE IF NOT EXISTS login_attempts (
  user_id TEXT PRIMARY KEY,
  count   INTEGER NOT NULL,
  since   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_limits (
  key       TEXT PRIMARY KEY,
  count     INTEGER NOT NULL,
  since     INTEGER NOT NULL,
  window_ms INTEGER NOT NULL
);
`

const SCHEMA_VERSION = 2

interface UserRow {
  user_id: string, public_key: Buffer, thumbprint: Buffer, kdf_salt: Buffer, kdf_params: string,
  login_hash: Buffer | null, login_salt: Buffer | null, login_params: string | null, created_at: number
}
interface TokenRow { hash: Buffer, user_id: string, purpose: string, expires_at: number, payload: Buffer | null }
interface KeyRow {
  user_id: string, public_key: Buffer, encrypted_private_key: Buffer, nonce: Buffer, salt: Buffer, kdf_params: string, updated_at: number
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b)
const buf = (b: Uint8Array): Buffer => Buffer.from(b)
const params = (s: string): KdfParams => JSON.parse(s) as KdfParams
const token = (row: TokenRow | undefined): TokenRecord | null =>
  row ? { hash: u8(row.hash), userID: row.user_id, purpose: row.purpose, expiresAt: row.expires_at, payload: row.payload && u8(row.payload) } : null

/**
 * Both stores in one SQLite file. Create it with {@link openSqliteStore}.
 * @example
 * ```ts
 * const store: accounts.SqliteStore = await accounts.openSqliteStore(':memory:')
 * const service = new accounts.IdentityService({ store, keyServers: [] })
 * ```
 */
export class SqliteStore implements IdentityStore, KeyStore {
  /** The open database (for inspection in tests and tools). */
  readonly db: SqliteHandle

  /** @param db - an open better-sqlite3 database; the schema is created or migrated when needed */
  constructor(db: SqliteHandle) {
    this.db = db
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number
      if (version >= SCHEMA_VERSION) return
      db.exec(SCHEMA_V1)
      const columns = db.prepare(`PRAGMA table_info(tokens)`).all() as Array<{ name: string }>
      if (!columns.some((c) => c.name === 'payload')) db.exec(`ALTER TABLE tokens ADD COLUMN payload BLOB`)
      db.exec(SCHEMA_V2)
      db.pragma(`user_version = ${SCHEMA_VERSION}`)
    }).immediate()
  }

  /** @inheritDoc IdentityStore.insertUser */
  async insertUser(user: UserRecord): Promise<void> {
    try {
      this.db.prepare(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        user.userID, buf(user.publicKey), buf(user.thumbprint), buf(user.kdfSalt), JSON.stringify(user.kdfParams),
        user.loginHash && buf(user.loginHash), user.loginSalt && buf(user.loginSalt),
        user.loginParams && JSON.stringify(user.loginParams), user.createdAt)
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        throw new SecretChannelError(ErrorCodes.ALREADY_EXISTS, 'account store', 'that user id or public key is already registered', { cause: err })
      }
      throw err
    }
  }

  private user(row: UserRow | undefined): UserRecord | null {
    if (!row) return null
    return {
      userID: row.user_id, publicKey: u8(row.public_key), thumbprint: u8(row.thumbprint), kdfSalt: u8(row.kdf_salt),
      kdfParams: params(row.kdf_params), loginHash: row.login_hash && u8(row.login_hash), loginSalt: row.login_salt && u8(row.login_salt),
      loginParams: row.login_params ? params(row.login_params) : null, createdAt: row.created_at
    }
  }

  /** @inheritDoc IdentityStore.getUser */
  async getUser(userID: string): Promise<UserRecord | null> {
    return this.user(this.db.prepare(`SELECT * FROM users WHERE user_id = ?`).get(userID) as UserRow | undefined)
  }

  /** @inheritDoc IdentityStore.getUserByThumbprint */
  async getUserByThumbprint(thumbprint: Uint8Array): Promise<UserRecord | null> {
    return this.user(this.db.prepare(`SELECT * FROM users WHERE thumbprint = ?`).get(buf(thumbprint)) as UserRow | undefined)
  }

  /** @inheritDoc IdentityStore.updateLogin */
  async updateLogin(userID: string, l: LoginUpdate): Promise<boolean> {
    return this.db.prepare(`UPDATE users SET kdf_salt = ?, kdf_params = ?, login_hash = ?, login_salt = ?, login_params = ? WHERE user_id = ?`).run(
      buf(l.kdfSalt), JSON.stringify(l.kdfParams), l.loginHash && buf(l.loginHash), l.loginSalt && buf(l.loginSalt),
      l.loginParams && JSON.stringify(l.loginParams), userID).changes === 1
  }

  /** @inheritDoc IdentityStore.deleteUser */
  async deleteUser(userID: string): Promise<boolean> {
    return this.db.transaction(() => {
      const gone = this.db.prepare(`DELETE FROM users WHERE user_id = ?`).run(userID).changes === 1
      this.db.prepare(`DELETE FROM tokens WHERE user_id = ?`).run(userID)
      this.db.prepare(`DELETE FROM login_attempts WHERE user_id = ?`).run(userID)
      return gone
    }).immediate()
  }

  /** @inheritDoc IdentityStore.insertToken */
  async insertToken(t: TokenRecord): Promise<void> {
    this.db.prepare(`INSERT INTO tokens (hash, user_id, purpose, expires_at, payload) VALUES (?, ?, ?, ?, ?)`).run(
      buf(t.hash), t.userID, t.purpose, t.expiresAt, t.payload ? buf(t.payload) : null)
  }

  /** @inheritDoc IdentityStore.consumeToken */
  async consumeToken(hash: Uint8Array): Promise<TokenRecord | null> {
    return token(this.db.prepare(`DELETE FROM tokens WHERE hash = ? RETURNING *`).get(buf(hash)) as TokenRow | undefined)
  }

  /** @inheritDoc IdentityStore.findToken */
  async findToken(hash: Uint8Array): Promise<TokenRecord | null> {
    return token(this.db.prepare(`SELECT * FROM tokens WHERE hash = ?`).get(buf(hash)) as TokenRow | undefined)
  }

  /** @inheritDoc IdentityStore.deleteToken */
  async deleteToken(hash: Uint8Array): Promise<boolean> {
    return this.db.prepare(`DELETE FROM tokens WHERE hash = ?`).run(buf(hash)).changes === 1
  }

  /** @inheritDoc IdentityStore.revokeTokens */
  async revokeTokens(userID: string, purposes?: readonly string[]): Promise<number> {
    if (!purposes) return this.db.prepare(`DELETE FROM tokens WHERE user_id = ?`).run(userID).changes
    const marks = purposes.map(() => '?').join(', ')
    return this.db.prepare(`DELETE FROM tokens WHERE user_id = ? AND purpose IN (${marks})`).run(userID, ...purposes).changes
  }

  /** @inheritDoc IdentityStore.purgeExpiredTokens */
  async purgeExpiredTokens(now: number): Promise<void> {
    this.db.prepare(`DELETE FROM tokens WHERE expires_at < ?`).run(now)
  }

  /** @inheritDoc IdentityStore.reserveLoginAttempt */
  async reserveLoginAttempt(userID: string, now: number, limit: WindowLimit): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare(`DELETE FROM login_attempts WHERE ? - since > ?`).run(now, limit.windowMs)
      // Counts the attempt unless the window is full; RETURNING yields no row when the update was refused.
      const row = this.db.prepare(`INSERT INTO login_attempts (user_id, count, since) VALUES (?, 1, ?)
        ON CONFLICT (user_id) DO UPDATE SET count = count + 1 WHERE count < ? RETURNING count`).get(userID, now, limit.max)
      return row !== undefined && limit.max > 0
    }).immediate()
  }

  /** @inheritDoc IdentityStore.clearLoginFailures */
  async clearLoginFailures(userID: string): Promise<void> {
    this.db.prepare(`DELETE FROM login_attempts WHERE user_id = ?`).run(userID)
  }

  /** @inheritDoc IdentityStore.takeRateLimit */
  async takeRateLimit(key: string, now: number, limit: WindowLimit): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare(`DELETE FROM rate_limits WHERE ? - since >= window_ms`).run(now)
      const row = this.db.prepare(`INSERT INTO rate_limits (key, count, since, window_ms) VALUES (?, 1, ?, ?)
        ON CONFLICT (key) DO UPDATE SET count = count + 1 WHERE count < ? RETURNING count`).get(key, now, limit.windowMs, limit.max)
      return row !== undefined && limit.max > 0
    }).immediate()
  }

  /** @inheritDoc KeyStore.putSealedKey */
  async putSealedKey(r: SealedKeyRecord): Promise<void> {
    this.db.prepare(`INSERT OR REPLACE INTO sealed_keys VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      r.userID, buf(r.publicKey), buf(r.sealed.encryptedPrivateKey), buf(r.sealed.nonce),
      buf(r.sealed.salt), JSON.stringify(r.sealed.kdf), r.updatedAt)
  }

  /** @inheritDoc KeyStore.getSealedKey */
  async getSealedKey(userID: string): Promise<SealedKeyRecord | null> {
    const row = this.db.prepare(`SELECT * FROM sealed_keys WHERE user_id = ?`).get(userID) as KeyRow | undefined
    if (!row) return null
    return {
      userID: row.user_id, publicKey: u8(row.public_key), updatedAt: row.updated_at,
      sealed: { encryptedPrivateKey: u8(row.encrypted_private_key), nonce: u8(row.nonce), salt: u8(row.salt), kdf: params(row.kdf_params) }
    }
  }

  /** @inheritDoc KeyStore.deleteSealedKey */
  async deleteSealedKey(userID: string): Promise<boolean> {
    return this.db.prepare(`DELETE FROM sealed_keys WHERE user_id = ?`).run(userID).changes === 1
  }

  /** Closes the database. */
  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}

/**
 * Opens (creating when missing) the SQLite store at `path` (`":memory:"` for a throwaway one).
 * Only the account servers call this; it is the one place better-sqlite3 is loaded.
 * @throws SecretChannelError `ERR_INVALID_STATE` naming the package when better-sqlite3 is not installed
 * @example
 * ```ts
 * const store = await accounts.openSqliteStore('identity.db') // needs the optional peer better-sqlite3
 * console.log(await store.getUser('alice'))
 * await store.close()
 * ```
 */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  let Database: new (path: string) => SqliteHandle
  try {
    const name = 'better-sqlite3'
    Database = ((await import(name)) as { default: new (path: string) => SqliteHandle }).default
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.INVALID_STATE, 'account store',
      'the SQLite store needs the optional peer dependency better-sqlite3: run `npm install better-sqlite3@12`', { cause: err })
  }
  if (path !== '' && path !== ':memory:' && !path.startsWith('file:')) ownerOnly(path)
  return new SqliteStore(new Database(path))
}

/**
 * Creates the database file 0600 (whatever the umask) before SQLite opens it, and tightens an
 * existing one and its `-wal` / `-shm` files: SQLite gives those the database file's mode, and
 * they hold password hashes and sealed keys.
 */
function ownerOnly(path: string): void {
  const fd = openSync(path, 'a', 0o600)
  try {
    fchmodSync(fd, 0o600)
  } finally {
    closeSync(fd)
  }
  for (const extra of [`${path}-wal`, `${path}-shm`]) {
    if (existsSync(extra)) chmodSync(extra, 0o600)
  }
}
