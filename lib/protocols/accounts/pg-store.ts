/**
 * The account store on PostgreSQL through node-postgres (`pg`), for several identity-server and
 * key-server processes that must behave as one server.
 *
 * ```
 *  identity server ─┐                          ┌─ users, tokens            (shared: a token issued by
 *  identity server ─┤  pool (10 connections   ─┤   login_attempts           one process is redeemed by
 *  identity server ─┤  per process by default) │   rate_limits              another, exactly once)
 *  key server ──────┘                          └─ sealed_keys
 *                                                 secret_channel_migrations  (see pg-migrations.ts)
 * ```
 *
 * Atomicity: every method that must not race across processes is **one SQL statement** (PostgreSQL
 * runs each statement in its own transaction): a token is consumed with `DELETE … RETURNING`, a
 * throttle or rate-limit slot is reserved with one `INSERT … ON CONFLICT DO UPDATE … WHERE count <
 * max RETURNING`, whose row lock makes concurrent reservations from any process queue up and see
 * each other's counts; deleting an account removes its tokens and counters in the same statement.
 * No method reads, decides in JavaScript, then writes.
 *
 * Durability: a method resolves after PostgreSQL acknowledged the COMMIT, which with the default
 * `synchronous_commit = on` means the WAL is flushed (and, with a synchronous standby, replicated).
 *
 * Failures: when the database cannot be reached, or goes away in the middle of a statement, the
 * method rejects with `ERR_TRANSPORT` ("account store: the database is unreachable …", the driver's
 * error as `cause`); the pool drops the broken connection and the next call opens a new one, so a
 * server keeps answering (with that error) while the database is down and recovers by itself when
 * it returns. A statement that was cut off may or may not have committed: callers see an error
 * either way, and every write is safe to repeat or fails cleanly as `ERR_ALREADY_EXISTS`.
 *
 * `pg` is an optional peer dependency, loaded with a dynamic import only by {@link openPgStore};
 * no declaration this file exports mentions pg's types.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KdfParams } from './kdf.js'
import { migrate, PG_MIGRATIONS } from './pg-migrations.js'
import type { IdentityStore, KeyStore, LoginUpdate, SealedKeyRecord, TokenRecord, UserRecord, WindowLimit } from './store.js'

const PHASE = 'account store'

/**
 * Options for {@link openPgStore}.
 * @example
 * ```ts
 * const store = await openPgStore(url, { maxConnections: 20, onError: (e) => console.error(e.message) })
 * ```
 */
export interface PgStoreOptions {
  /** Connections this process keeps at most (default 10). */
  maxConnections?: number
  /** How long a call waits for a connection before failing with `ERR_TRANSPORT`, ms (default 5 000). */
  connectTimeoutMs?: number
  /** Longest a statement may run on the server before it is cancelled (`ERR_TRANSPORT`), ms (default 10 000). */
  statementTimeoutMs?: number
  /**
   * Told about connection failures (an idle connection dropped by the server, a call that found the
   * database gone), each as a `SecretChannelError` `ERR_TRANSPORT` with the driver's error as `cause`.
   */
  onError?: (err: unknown) => void
}

/** The part of a pooled connection this file uses (keeps pg's types out of the declarations). */
interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[], rowCount: number | null }>
  release(err?: Error | boolean): void
}

/** The part of `pg.Pool` this file uses. */
interface PgPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[], rowCount: number | null }>
  connect(): Promise<PgClient>
  end(): Promise<void>
  on(event: 'error', listener: (err: Error) => void): unknown
}

/** SQLSTATEs and socket errors that mean "the database is not there (right now)". */
const UNREACHABLE_CODES = new Set([
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '57014', // query_canceled: our statement_timeout fired
  'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'
])
const UNREACHABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended/i

/**
 * True when `err` (a driver error) says the database could not be reached or dropped the
 * connection; the store turns those into `ERR_TRANSPORT`.
 * @example
 * ```ts
 * await client.query('SELECT 1').catch((err) => { if (isDatabaseUnreachable(err)) retryLater() })
 * ```
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (code.startsWith('08') || UNREACHABLE_CODES.has(code))) return true
  return err instanceof Error && UNREACHABLE_MESSAGES.test(err.message)
}

/** The statement was never sent: the connection was already dead when we wrote to it. */
const isUnsent = (err: unknown): boolean =>
  (err as { code?: unknown } | null)?.code === 'EPIPE' || (err instanceof Error && /not queryable/i.test(err.message))

/** Deadlock and serialization failures: safe to run the same single statement again. */
const RETRYABLE = new Set(['40P01', '40001'])

interface UserRow {
  user_id: string, public_key: Buffer, thumbprint: Buffer, kdf_salt: Buffer, kdf_params: KdfParams,
  login_hash: Buffer | null, login_salt: Buffer | null, login_params: KdfParams | null, created_at: string
}
interface TokenRow { hash: Buffer, user_id: string, purpose: string, expires_at: string, payload: Buffer | null }
interface KeyRow {
  user_id: string, public_key: Buffer, encrypted_private_key: Buffer, nonce: Buffer, salt: Buffer, kdf_params: KdfParams, updated_at: string
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b)
const buf = (b: Uint8Array): Buffer => Buffer.from(b)
const json = (p: KdfParams): string => JSON.stringify({ logN: p.logN, r: p.r, p: p.p })
const kdf = (p: KdfParams): KdfParams => ({ logN: p.logN, r: p.r, p: p.p })
/** `bigint` columns arrive as strings (they may exceed 2^53); ours are millisecond times, well below. */
const ms = (s: string): number => Number(s)

const user = (row: UserRow | undefined): UserRecord | null => row
  ? {
      userID: row.user_id, publicKey: u8(row.public_key), thumbprint: u8(row.thumbprint), kdfSalt: u8(row.kdf_salt), kdfParams: kdf(row.kdf_params),
      loginHash: row.login_hash && u8(row.login_hash), loginSalt: row.login_salt && u8(row.login_salt),
      loginParams: row.login_params && kdf(row.login_params), createdAt: ms(row.created_at)
    }
  : null
const token = (row: TokenRow | undefined): TokenRecord | null => row
  ? { hash: u8(row.hash), userID: row.user_id, purpose: row.purpose, expiresAt: ms(row.expires_at), payload: row.payload && u8(row.payload) }
  : null

/**
 * Both stores in one PostgreSQL database. Create it with {@link openPgStore}.
 * @example
 * ```ts
 * const store: PgStore = await openPgStore(process.env.DATABASE_URL!)
 * const identity = await IdentityServer.start({ keyPair, store, keyServers: [keyServerPublicKey] })
 * // … identity.close() does not close a store it was given:
 * await store.close()
 * ```
 */
export class PgStore implements IdentityStore, KeyStore {
  private readonly pool: PgPool
  private readonly onError: (err: unknown) => void
  private readonly maxConnections: number
  private closed = false

  private constructor(pool: PgPool, onError: (err: unknown) => void, maxConnections: number) {
    this.pool = pool
    this.onError = onError
    this.maxConnections = maxConnections
  }

  /** @internal Used by {@link openPgStore} once the pool exists and the schema is current. */
  static create(pool: unknown, onError: (err: unknown) => void, maxConnections: number): PgStore {
    return new PgStore(pool as PgPool, onError, maxConnections)
  }

  /**
   * Runs one statement, turning driver failures into typed errors: unreachable → `ERR_TRANSPORT`,
   * anything else the database refused → `ERR_INVALID_STATE` (the SQLSTATE in the message, the
   * driver's error as `cause`). A deadlock or serialization failure is retried (the statement is
   * its own transaction, so nothing of it was applied).
   */
  private async q<Row>(what: string, text: string, values: unknown[] = []): Promise<{ rows: Row[], rowCount: number }> {
    if (this.closed) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, `${what}: the store is closed`)
    let conflicts = 0
    let unsent = 0
    for (;;) {
      try {
        const r = await this.pool.query(text, values)
        return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 }
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code !== undefined && RETRYABLE.has(code) && ++conflicts < 3) continue
        // A pooled connection the server closed while it sat idle (restart, failover) is often
        // only found out when the next statement is written to it: the write fails (EPIPE) and
        // nothing reached the server, so the same statement goes to another connection. At most
        // once per pooled connection, plus one fresh one.
        if (isUnsent(err) && ++unsent <= this.maxConnections) continue
        throw this.wrap(what, err)
      }
    }
  }

  private wrap(what: string, err: unknown): SecretChannelError {
    if (err instanceof SecretChannelError) return err
    if (isDatabaseUnreachable(err)) {
      const typed = new SecretChannelError(ErrorCodes.TRANSPORT, PHASE, `the database is unreachable (${what})`, { cause: err })
      this.onError(typed)
      return typed
    }
    const code = (err as { code?: string }).code
    if (code === '23505') {
      return new SecretChannelError(ErrorCodes.ALREADY_EXISTS, PHASE,
        what === 'insertUser' ? 'that user id or public key is already registered' : `${what}: the record already exists`, { cause: err })
    }
    return new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, `the database refused ${what}${code ? ` (SQLSTATE ${code})` : ''}`, { cause: err })
  }

  /** @inheritDoc IdentityStore.insertUser */
  async insertUser(u: UserRecord): Promise<void> {
    await this.q('insertUser', `INSERT INTO users (user_id, public_key, thumbprint, kdf_salt, kdf_params, login_hash, login_salt, login_params, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      u.userID, buf(u.publicKey), buf(u.thumbprint), buf(u.kdfSalt), json(u.kdfParams),
      u.loginHash && buf(u.loginHash), u.loginSalt && buf(u.loginSalt), u.loginParams && json(u.loginParams), u.createdAt])
  }

  /** @inheritDoc IdentityStore.getUser */
  async getUser(userID: string): Promise<UserRecord | null> {
    return user((await this.q<UserRow>('getUser', 'SELECT * FROM users WHERE user_id = $1', [userID])).rows[0])
  }

  /** @inheritDoc IdentityStore.getUserByThumbprint */
  async getUserByThumbprint(thumbprint: Uint8Array): Promise<UserRecord | null> {
    return user((await this.q<UserRow>('getUserByThumbprint', 'SELECT * FROM users WHERE thumbprint = $1', [buf(thumbprint)])).rows[0])
  }

  /** @inheritDoc IdentityStore.updateLogin */
  async updateLogin(userID: string, l: LoginUpdate): Promise<boolean> {
    const r = await this.q('updateLogin', `UPDATE users SET kdf_salt = $2, kdf_params = $3, login_hash = $4, login_salt = $5, login_params = $6
      WHERE user_id = $1`, [userID, buf(l.kdfSalt), json(l.kdfParams), l.loginHash && buf(l.loginHash), l.loginSalt && buf(l.loginSalt),
      l.loginParams && json(l.loginParams)])
    return r.rowCount === 1
  }

  /** @inheritDoc IdentityStore.deleteUser */
  async deleteUser(userID: string): Promise<boolean> {
    // One statement: the account, its tokens and its throttle counter go together or not at all.
    const r = await this.q<{ n: string }>('deleteUser', `WITH
      u AS (DELETE FROM users WHERE user_id = $1 RETURNING 1),
      t AS (DELETE FROM tokens WHERE user_id = $1),
      a AS (DELETE FROM login_attempts WHERE user_id = $1)
      SELECT count(*) AS n FROM u`, [userID])
    return Number(r.rows[0]?.n) === 1
  }

  /** @inheritDoc IdentityStore.insertToken */
  async insertToken(t: TokenRecord): Promise<void> {
    await this.q('insertToken', 'INSERT INTO tokens (hash, user_id, purpose, expires_at, payload) VALUES ($1, $2, $3, $4, $5)',
      [buf(t.hash), t.userID, t.purpose, t.expiresAt, t.payload ? buf(t.payload) : null])
  }

  /** @inheritDoc IdentityStore.consumeToken */
  async consumeToken(hash: Uint8Array): Promise<TokenRecord | null> {
    // DELETE … RETURNING: of two processes redeeming the same token at once, exactly one gets the row.
    return token((await this.q<TokenRow>('consumeToken', 'DELETE FROM tokens WHERE hash = $1 RETURNING *', [buf(hash)])).rows[0])
  }

  /** @inheritDoc IdentityStore.findToken */
  async findToken(hash: Uint8Array): Promise<TokenRecord | null> {
    return token((await this.q<TokenRow>('findToken', 'SELECT * FROM tokens WHERE hash = $1', [buf(hash)])).rows[0])
  }

  /** @inheritDoc IdentityStore.deleteToken */
  async deleteToken(hash: Uint8Array): Promise<boolean> {
    return (await this.q('deleteToken', 'DELETE FROM tokens WHERE hash = $1', [buf(hash)])).rowCount === 1
  }

  /** @inheritDoc IdentityStore.revokeTokens */
  async revokeTokens(userID: string, purposes?: readonly string[]): Promise<number> {
    const r = purposes
      ? await this.q('revokeTokens', 'DELETE FROM tokens WHERE user_id = $1 AND purpose = ANY($2::text[])', [userID, [...purposes]])
      : await this.q('revokeTokens', 'DELETE FROM tokens WHERE user_id = $1', [userID])
    return r.rowCount
  }

  /** @inheritDoc IdentityStore.purgeExpiredTokens */
  async purgeExpiredTokens(now: number): Promise<void> {
    // Rows another process is purging or redeeming right now are left to it (SKIP LOCKED).
    await this.q('purgeExpiredTokens', `DELETE FROM tokens WHERE hash IN (
      SELECT hash FROM tokens WHERE expires_at < $1 FOR UPDATE SKIP LOCKED)`, [now])
  }

  /** @inheritDoc IdentityStore.reserveLoginAttempt */
  async reserveLoginAttempt(userID: string, now: number, limit: WindowLimit): Promise<boolean> {
    // One statement. The upsert locks the account's row, so concurrent reservations (from any
    // process) run one after the other and each sees the count the previous one left; the
    // DO UPDATE's WHERE refuses (no row returned) once the window holds `max` attempts. A window
    // that has passed restarts at 1. The CTE forgets other accounts' finished windows, as the
    // other stores do, so the table stays bounded; it skips rows another transaction holds, so
    // clean-ups running in several processes never wait on (or deadlock with) each other.
    const r = await this.q('reserveLoginAttempt', `WITH purge AS (
        DELETE FROM login_attempts WHERE user_id IN (SELECT user_id FROM login_attempts
          WHERE user_id <> $1 AND since < $2::bigint - $3::bigint FOR UPDATE SKIP LOCKED))
      INSERT INTO login_attempts AS a (user_id, count, since) VALUES ($1, 1, $2)
      ON CONFLICT (user_id) DO UPDATE SET
        count = CASE WHEN $2::bigint - a.since > $3::bigint THEN 1 ELSE a.count + 1 END,
        since = CASE WHEN $2::bigint - a.since > $3::bigint THEN $2::bigint ELSE a.since END
      WHERE $2::bigint - a.since > $3::bigint OR a.count < $4::integer
      RETURNING a.count`, [userID, now, limit.windowMs, limit.max])
    return r.rowCount === 1 && limit.max > 0
  }

  /** @inheritDoc IdentityStore.clearLoginFailures */
  async clearLoginFailures(userID: string): Promise<void> {
    await this.q('clearLoginFailures', 'DELETE FROM login_attempts WHERE user_id = $1', [userID])
  }

  /** @inheritDoc IdentityStore.takeRateLimit */
  async takeRateLimit(key: string, now: number, limit: WindowLimit): Promise<boolean> {
    // Same shape as reserveLoginAttempt: one locked upsert per key, refused when the window is full.
    const r = await this.q('takeRateLimit', `WITH purge AS (
        DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits
          WHERE key <> $1 AND $2::bigint - since >= window_ms FOR UPDATE SKIP LOCKED))
      INSERT INTO rate_limits AS w (key, count, since, window_ms) VALUES ($1, 1, $2, $3)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN $2::bigint - w.since >= w.window_ms THEN 1 ELSE w.count + 1 END,
        window_ms = CASE WHEN $2::bigint - w.since >= w.window_ms THEN $3::bigint ELSE w.window_ms END,
        since = CASE WHEN $2::bigint - w.since >= w.window_ms THEN $2::bigint ELSE w.since END
      WHERE $2::bigint - w.since >= w.window_ms OR w.count < $4::integer
      RETURNING w.count`, [key, now, limit.windowMs, limit.max])
    return r.rowCount === 1 && limit.max > 0
  }

  /** @inheritDoc KeyStore.putSealedKey */
  async putSealedKey(r: SealedKeyRecord): Promise<void> {
    await this.q('putSealedKey', `INSERT INTO sealed_keys (user_id, public_key, encrypted_private_key, nonce, salt, kdf_params, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (user_id) DO UPDATE SET public_key = EXCLUDED.public_key, encrypted_private_key = EXCLUDED.encrypted_private_key,
        nonce = EXCLUDED.nonce, salt = EXCLUDED.salt, kdf_params = EXCLUDED.kdf_params, updated_at = EXCLUDED.updated_at`, [
      r.userID, buf(r.publicKey), buf(r.sealed.encryptedPrivateKey), buf(r.sealed.nonce), buf(r.sealed.salt), json(r.sealed.kdf), r.updatedAt])
  }

  /** @inheritDoc KeyStore.getSealedKey */
  async getSealedKey(userID: string): Promise<SealedKeyRecord | null> {
    const row = (await this.q<KeyRow>('getSealedKey', 'SELECT * FROM sealed_keys WHERE user_id = $1', [userID])).rows[0]
    if (!row) return null
    return {
      userID: row.user_id, publicKey: u8(row.public_key), updatedAt: ms(row.updated_at),
      sealed: { encryptedPrivateKey: u8(row.encrypted_private_key), nonce: u8(row.nonce), salt: u8(row.salt), kdf: kdf(row.kdf_params) }
    }
  }

  /** @inheritDoc KeyStore.deleteSealedKey */
  async deleteSealedKey(userID: string): Promise<boolean> {
    return (await this.q('deleteSealedKey', 'DELETE FROM sealed_keys WHERE user_id = $1', [userID])).rowCount === 1
  }

  /** Closes the pool (waits for running statements); later calls fail with `ERR_INVALID_STATE`. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}

/**
 * True when `location` is a PostgreSQL connection URL (`postgres://…` or `postgresql://…`) rather than a file path.
 * @example
 * ```ts
 * isPostgresUrl('postgres://accounts@db/identity') // true
 * isPostgresUrl('identity.db')                     // false: a SQLite file
 * ```
 */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/**
 * Connects to PostgreSQL at `url`, applies any missing schema migrations (under an advisory lock,
 * so many processes may start at once) and returns the store. Only the account servers call this;
 * it is the one place `pg` is loaded.
 * @example
 * ```ts
 * const store = await openPgStore('postgres://accounts@db.internal/identity')
 * ```
 * @throws SecretChannelError `ERR_INVALID_STATE` naming the package when `pg` is not installed, or
 *   when the database's schema is newer than this code; `ERR_TRANSPORT` when the database cannot be reached
 */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  if (!isPostgresUrl(url)) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'a PostgreSQL store needs a postgres:// or postgresql:// URL')
  let Pool: new (config: object) => PgPool
  try {
    // A variable specifier keeps TypeScript from resolving pg's types into this module's declarations.
    const name = 'pg'
    const mod = (await import(name)) as { default?: { Pool: typeof Pool }, Pool?: typeof Pool }
    Pool = (mod.default ?? mod).Pool as typeof Pool
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE,
      'the PostgreSQL store needs the optional peer dependency pg (node-postgres): run `npm install pg@8`', { cause: err })
  }
  const onError = options.onError ?? (() => {})
  const maxConnections = options.maxConnections ?? 10
  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    // Client-side limit a little above the server's: a database that stopped answering altogether.
    query_timeout: (options.statementTimeoutMs ?? 10_000) + 5_000,
    keepAlive: true,
    idleTimeoutMillis: 30_000
  })
  // An idle pooled connection the server drops (restart, failover) is reported here; without a
  // listener node-postgres would throw it as an uncaught exception and end the process.
  pool.on('error', (err) => onError(new SecretChannelError(ErrorCodes.TRANSPORT, PHASE, `an idle database connection failed: ${err.message}`, { cause: err })))
  const store = PgStore.create(pool, onError, maxConnections)
  let client: PgClient | undefined
  try {
    client = await pool.connect()
    await migrate(client, PG_MIGRATIONS)
    client.release()
  } catch (err) {
    client?.release(true)
    await pool.end().catch(() => {})
    if (err instanceof SecretChannelError) throw err
    if (isDatabaseUnreachable(err)) throw new SecretChannelError(ErrorCodes.TRANSPORT, PHASE, 'the database is unreachable (opening the store)', { cause: err })
    const code = (err as { code?: string }).code
    throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, `the database refused the schema migration${code ? ` (SQLSTATE ${code})` : ''}`, { cause: err })
  }
  return store
}
