/**
 * The durable store: one SQLite file through better-sqlite3.
 *
 * better-sqlite3 is loaded with a dynamic import inside {@link openSqliteStore}, so the library
 * (and anyone who only uses clients) never needs the native addon; only the servers call this.
 *
 * Durability: WAL journal with `synchronous = FULL`, so a statement that has returned is on disk
 * (the WAL is fsynced at every commit) and survives `kill -9` or a power cut; every write is a
 * single statement, hence its own transaction.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { IdentityStore, KeyStore, SealedKeyRecord, TokenRecord, UserRecord } from './store.js'
import type { KdfParams } from './kdf.js'

/**
 * The part of a better-sqlite3 `Database` this store uses. Written out rather than imported so the
 * published types compile without `@types/better-sqlite3` (better-sqlite3 is an optional peer);
 * a real `Database` fits it.
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * const db: SqliteDatabase = new Database(':memory:')
 * ```
 */
export interface SqliteDatabase {
  /** Runs a PRAGMA. */
  pragma(source: string, options?: { simple?: boolean }): unknown
  /** Runs SQL without results. */
  exec(source: string): unknown
  /** Compiles a statement. */
  prepare(source: string): { run(...params: unknown[]): unknown, get(...params: unknown[]): unknown, all(...params: unknown[]): unknown[] }
  /** False once closed. */
  readonly open: boolean
  /** Closes the file. */
  close(): unknown
}

const SCHEMA = `
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

interface UserRow {
  user_id: string, public_key: Buffer, thumbprint: Buffer, kdf_salt: Buffer, kdf_params: string,
  login_hash: Buffer | null, login_salt: Buffer | null, login_params: string | null, created_at: number
}
interface KeyRow {
  user_id: string, public_key: Buffer, encrypted_private_key: Buffer, nonce: Buffer, salt: Buffer, kdf_params: string, updated_at: number
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b)
const params = (s: string): KdfParams => JSON.parse(s) as KdfParams

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
  readonly db: SqliteDatabase

  /** @param db - an open better-sqlite3 database; the schema is created when missing */
  constructor(db: SqliteDatabase) {
    this.db = db
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    db.exec(SCHEMA)
  }

  /** @inheritDoc IdentityStore.insertUser */
  insertUser(user: UserRecord): void {
    try {
      this.db.prepare(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        user.userID, Buffer.from(user.publicKey), Buffer.from(user.thumbprint), Buffer.from(user.kdfSalt), JSON.stringify(user.kdfParams),
        user.loginHash && Buffer.from(user.loginHash), user.loginSalt && Buffer.from(user.loginSalt),
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
  getUser(userID: string): UserRecord | null {
    return this.user(this.db.prepare(`SELECT * FROM users WHERE user_id = ?`).get(userID) as UserRow | undefined)
  }

  /** @inheritDoc IdentityStore.getUserByThumbprint */
  getUserByThumbprint(thumbprint: Uint8Array): UserRecord | null {
    return this.user(this.db.prepare(`SELECT * FROM users WHERE thumbprint = ?`).get(Buffer.from(thumbprint)) as UserRow | undefined)
  }

  /** @inheritDoc IdentityStore.insertToken */
  insertToken(token: TokenRecord): void {
    this.db.prepare(`INSERT INTO tokens VALUES (?, ?, ?, ?)`).run(Buffer.from(token.hash), token.userID, token.purpose, token.expiresAt)
  }

  /** @inheritDoc IdentityStore.consumeToken */
  consumeToken(hash: Uint8Array): TokenRecord | null {
    const row = this.db.prepare(`DELETE FROM tokens WHERE hash = ? RETURNING *`).get(Buffer.from(hash)) as
      { hash: Buffer, user_id: string, purpose: string, expires_at: number } | undefined
    return row ? { hash: u8(row.hash), userID: row.user_id, purpose: row.purpose, expiresAt: row.expires_at } : null
  }

  /** @inheritDoc IdentityStore.purgeExpiredTokens */
  purgeExpiredTokens(now: number): void {
    this.db.prepare(`DELETE FROM tokens WHERE expires_at < ?`).run(now)
  }

  /** @inheritDoc KeyStore.putSealedKey */
  putSealedKey(r: SealedKeyRecord): void {
    this.db.prepare(`INSERT OR REPLACE INTO sealed_keys VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      r.userID, Buffer.from(r.publicKey), Buffer.from(r.sealed.encryptedPrivateKey), Buffer.from(r.sealed.nonce),
      Buffer.from(r.sealed.salt), JSON.stringify(r.sealed.kdf), r.updatedAt)
  }

  /** @inheritDoc KeyStore.getSealedKey */
  getSealedKey(userID: string): SealedKeyRecord | null {
    const row = this.db.prepare(`SELECT * FROM sealed_keys WHERE user_id = ?`).get(userID) as KeyRow | undefined
    if (!row) return null
    return {
      userID: row.user_id, publicKey: u8(row.public_key), updatedAt: row.updated_at,
      sealed: { encryptedPrivateKey: u8(row.encrypted_private_key), nonce: u8(row.nonce), salt: u8(row.salt), kdf: params(row.kdf_params) }
    }
  }

  /** Closes the database. */
  close(): void {
    if (this.db.open) this.db.close()
  }
}

/**
 * Opens (creating when missing) the SQLite store at `path` (`":memory:"` for a throwaway one).
 * @throws SecretChannelError `ERR_INVALID_STATE` when better-sqlite3 is not installed
 * @example
 * ```ts
 * const store = await accounts.openSqliteStore('identity.db') // needs the optional peer better-sqlite3
 * console.log(store.getUser('alice'))
 * store.close()
 * ```
 */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  let Database: typeof import('better-sqlite3')
  try {
    Database = (await import('better-sqlite3')).default
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.INVALID_STATE, 'account store', 'better-sqlite3 is not installed (npm install better-sqlite3@12)', { cause: err })
  }
  return new SqliteStore(new Database(path))
}
