/**
 * The PostgreSQL store's schema, as numbered migrations the servers apply when they start.
 *
 * ```
 * secret_channel_migrations(version PK, name, applied_at)   one row per applied migration
 * users(user_id PK, public_key UNIQUE, thumbprint UNIQUE, kdf_salt, kdf_params jsonb,
 *       login_hash, login_salt, login_params jsonb, created_at)
 * tokens(hash PK, user_id, purpose, expires_at, payload)    indexed by expires_at (purge) and user_id (revoke)
 * sealed_keys(user_id PK, public_key, encrypted_private_key, nonce, salt, kdf_params jsonb, updated_at)
 * login_attempts(user_id PK, count, since)                   the login throttle, one window per account
 * rate_limits(key PK, count, since, window_ms)               shared fixed-window rate limits
 * ```
 * Times are milliseconds since the epoch (`bigint`) from the servers' injectable clocks, as in the
 * SQLite store, never the database's `now()`.
 *
 * Several processes may start against one empty database at the same moment, so the whole run
 * holds a session-level advisory lock: the first process migrates, the others wait, then find
 * nothing left to do. Each migration runs in its own transaction together with the row that
 * records it, so a crash leaves either all of a migration or none of it. A database that has a
 * migration this code does not know (a newer server ran) is refused rather than guessed at.
 *
 * Migrations are append-only: never edit one that has shipped; add the next number.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'

/**
 * One schema step.
 * @example
 * ```ts
 * const next: PgMigration = { version: 3, name: 'sessions by expiry', sql: 'CREATE INDEX tokens_purpose ON tokens (purpose)' }
 * ```
 */
export interface PgMigration {
  /** 1, 2, 3 … in order, never reused. */
  version: number
  /** What it does, stored next to the version for people reading the table. */
  name: string
  /** The statements (run in one transaction). */
  sql: string
}

/**
 * Every migration, oldest first.
 * @example
 * ```ts
 * const latest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version // the schema version this code writes
 * ```
 */
export const PG_MIGRATIONS: readonly PgMigration[] = Object.freeze([
  {
    version: 1,
    name: 'users, tokens, sealed keys',
    sql: `
CREATE TABLE users (
  user_id      text PRIMARY KEY,
  public_key   bytea NOT NULL UNIQUE,
  thumbprint   bytea NOT NULL UNIQUE,
  kdf_salt     bytea NOT NULL,
  kdf_params   jsonb NOT NULL,
  login_hash   bytea,
  login_salt   bytea,
  login_params jsonb,
  created_at   bigint NOT NULL
);
CREATE TABLE tokens (
  hash       bytea PRIMARY KEY,
  user_id    text NOT NULL,
  purpose    text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX tokens_expires_at ON tokens (expires_at);
CREATE TABLE sealed_keys (
  user_id               text PRIMARY KEY,
  public_key            bytea NOT NULL,
  encrypted_private_key bytea NOT NULL,
  nonce                 bytea NOT NULL,
  salt                  bytea NOT NULL,
  kdf_params            jsonb NOT NULL,
  updated_at            bigint NOT NULL
);`
  },
  {
    version: 2,
    name: 'token payloads, login throttle, rate limits',
    sql: `
ALTER TABLE tokens ADD COLUMN payload bytea;
CREATE INDEX tokens_user ON tokens (user_id);
CREATE TABLE login_attempts (
  user_id text PRIMARY KEY,
  count   integer NOT NULL,
  since   bigint NOT NULL
);
CREATE INDEX login_attempts_since ON login_attempts (since);
CREATE TABLE rate_limits (
  key       text PRIMARY KEY,
  count     integer NOT NULL,
  since     bigint NOT NULL,
  window_ms bigint NOT NULL
);`
  }
])

/** The advisory lock every migrating process takes (an arbitrary constant: "sc-accts"). */
const MIGRATION_LOCK = 0x73632d61

/** The little of a node-postgres client that migrating needs (so no pg type leaks into declarations). */
export interface MigrationClient {
  /** Runs one statement (or several without parameters). */
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
}

/**
 * Applies the missing migrations on `client` (a dedicated connection, not a pool: the advisory
 * lock belongs to the session). Returns the versions it applied (empty when up to date).
 * @throws SecretChannelError `ERR_INVALID_STATE` when the database is newer than this code
 * @example
 * ```ts
 * const client = await pool.connect()
 * try { await migrate(client) } finally { client.release() }
 * ```
 */
export async function migrate(client: MigrationClient, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS secret_channel_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await client.query('SELECT version FROM secret_channel_migrations')
    const applied = new Set((rows as Array<{ version: number }>).map((r) => r.version))
    const known = new Set(migrations.map((m) => m.version))
    const unknown = [...applied].filter((v) => !known.has(v))
    if (unknown.length > 0) {
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, 'account store',
        `the database has schema migration ${Math.max(...unknown)}, newer than this server knows (${Math.max(0, ...known)}): upgrade the server`)
    }
    const done: number[] = []
    for (const m of migrations) {
      if (applied.has(m.version)) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query('INSERT INTO secret_channel_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      }
      done.push(m.version)
    }
    return done
  } finally {
    // Also released by the server when the session ends, should this fail.
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
  }
}
