/**
 * What a server's `database` setting (the CLI's `--db`) means: a `postgres://` or `postgresql://`
 * URL opens the PostgreSQL store (shared by every process pointed at it), anything else is a
 * SQLite file path (`":memory:"` for a throwaway one). Each store's driver is loaded only here,
 * when it is chosen.
 * @module
 */
import { isPostgresUrl, openPgStore } from './pg-store.js'
import type { PgStore, PgStoreOptions } from './pg-store.js'
import { openSqliteStore } from './sqlite-store.js'
import type { SqliteStore } from './sqlite-store.js'

/**
 * Opens the store `location` names.
 * @param options - PostgreSQL pool settings (ignored for SQLite)
 * @example
 * ```ts
 * const store = await openAccountStore(process.env.DATABASE_URL ?? 'identity.db')
 * ```
 */
export function openAccountStore(location: string, options: PgStoreOptions = {}): Promise<PgStore | SqliteStore> {
  return isPostgresUrl(location) ? openPgStore(location, options) : openSqliteStore(location)
}
