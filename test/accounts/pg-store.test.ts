/**
 * The PostgreSQL store against a real, throwaway PostgreSQL cluster (test/helpers/postgres.ts):
 * the shared store suite on all three stores, migrations under concurrent starts, typed errors
 * while the database is down and recovery when it returns, and pg loaded only on demand.
 */
import test from 'tape'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPostgres } from '../helpers/postgres.js'
import type { PgCluster } from '../helpers/postgres.js'
import { storeSuite, fakeUser } from './store-suite.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { openSqliteStore } from '../../lib/protocols/accounts/sqlite-store.js'
import { openPgStore, isPostgresUrl } from '../../lib/protocols/accounts/pg-store.js'
import { PG_MIGRATIONS } from '../../lib/protocols/accounts/pg-migrations.js'
import { isSecretChannelError } from '../../lib/errors.js'
import pg from 'pg'

let cluster: PgCluster
let databases = 0
/** A fresh database on the shared cluster. */
const freshDatabase = (): Promise<string> => cluster.createDatabase(`t${++databases}`)
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }
const codeOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => isSecretChannelError(e) ? e.code : e)

test('pg store: a throwaway PostgreSQL cluster starts', async (t) => {
  cluster = await startPostgres()
  t.ok(isPostgresUrl(cluster.url), `cluster listening at ${cluster.dir}`)
})

test('pg store: the store suite passes on memory, SQLite and PostgreSQL', async (t) => {
  await storeSuite(t, 'memory', async () => new MemoryStore())
  const dir = mkdtempSync(join(tmpdir(), 'accounts-suite-'))
  try {
    let n = 0
    await storeSuite(t, 'sqlite', () => openSqliteStore(join(dir, `s${++n}.db`)), () => openSqliteStore(join(dir, `s${n}.db`)))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  let url = ''
  await storeSuite(t, 'postgres', async () => openPgStore(url = await freshDatabase()), () => openPgStore(url))
})

test('pg store: migrations are versioned, applied once, and safe when many processes start at once', async (t) => {
  const url = await freshDatabase()
  // Eight pools opening at the same moment on an empty database: one migrates, the others wait on the advisory lock.
  const stores = await Promise.all(Array.from({ length: 8 }, () => openPgStore(url, { maxConnections: 2 })))
  t.pass('8 stores opened concurrently on an empty database')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT version, name FROM secret_channel_migrations ORDER BY version')
    t.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version), 'each migration recorded exactly once, in order')
    await stores[0]!.insertUser(fakeUser('alice', 1))
    t.equal((await stores[7]!.getUser('alice'))?.userID, 'alice', 'all of them see the same data')
    await Promise.all(stores.map((s) => s.close()))
    const again = await openPgStore(url)
    t.equal((await again.getUser('alice'))?.userID, 'alice', 'reopening an up-to-date database keeps the data')
    await again.close()
    const count = await client.query('SELECT count(*)::int AS n FROM secret_channel_migrations')
    t.equal(count.rows[0].n, PG_MIGRATIONS.length, 'and applies nothing again')

    await client.query(`INSERT INTO secret_channel_migrations (version, name) VALUES (99, 'from the future')`)
    const err = await openPgStore(url).then(() => null, (e: unknown) => e)
    t.ok(isSecretChannelError(err, 'ERR_INVALID_STATE') && /99/.test(err.message), 'a database migrated by newer code is refused with ERR_INVALID_STATE')
  } finally {
    await client.end()
  }
})

test('pg store: a failing migration leaves nothing behind (each one is a transaction)', async (t) => {
  const url = await freshDatabase()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // A table in the way of migration 1's CREATE TABLE tokens: the whole migration must roll back.
    await client.query('CREATE TABLE tokens (x int)')
    const err = await openPgStore(url).then(() => null, (e: unknown) => e)
    t.ok(isSecretChannelError(err, 'ERR_INVALID_STATE'), `the refused migration is a typed error: ${(err as Error)?.message}`)
    const users = await client.query(`SELECT to_regclass('users') AS t`)
    t.equal(users.rows[0].t, null, 'the tables created before the failing statement were rolled back')
    const recorded = await client.query('SELECT count(*)::int AS n FROM secret_channel_migrations')
    t.equal(recorded.rows[0].n, 0, 'and the migration is not recorded')
    await client.query('DROP TABLE tokens')
    const store = await openPgStore(url)
    t.pass('once the obstacle is gone the same migration applies')
    await store.close()
  } finally {
    await client.end()
  }
})

test('pg store: an unreachable database is ERR_TRANSPORT, at open and per call; the store recovers when it returns', async (t) => {
  const nowhere = `postgres://postgres@localhost/none?host=${encodeURIComponent(join(cluster.dir, 'no-such-dir'))}`
  t.equal(await codeOf(openPgStore(nowhere)), 'ERR_TRANSPORT', 'opening against no server: ERR_TRANSPORT')
  t.equal(await codeOf(openPgStore('/var/db/identity.db')), 'ERR_INVALID_ARGUMENT', 'a file path is not a PostgreSQL URL')

  const url = await freshDatabase()
  const errors: unknown[] = []
  const store = await openPgStore(url, { onError: (e) => errors.push(e), connectTimeoutMs: 2000 })
  try {
    await store.insertUser(fakeUser('alice', 1))
    // Several idle pooled connections, so the shutdown hits connections that are not in use.
    await Promise.all(Array.from({ length: 4 }, () => store.getUser('alice')))
    cluster.stop()
    const during = await Promise.all([store.getUser('alice'), store.consumeToken(new Uint8Array(32)), store.reserveLoginAttempt('alice', 0, { max: 1, windowMs: 1 })]
      .map((p) => p.then(() => 'resolved', (e: unknown) => e)))
    t.ok(during.every((e) => isSecretChannelError(e, 'ERR_TRANSPORT') && /unreachable/.test(e.message)),
      `every call while the database is down fails with ERR_TRANSPORT (${during.map((e) => (e as Error).message).join('; ')})`)
    t.ok(during.every((e) => (e as Error).cause !== undefined), 'with the driver error as cause')
    t.ok(errors.length > 0, 'the failures were reported to onError (the process did not crash on idle connections dying)')
    cluster.start()
    t.equal((await store.getUser('alice'))?.userID, 'alice', 'after the database comes back the same store answers again')
  } finally {
    await store.close()
  }
  t.equal(await codeOf(store.getUser('alice')), 'ERR_INVALID_STATE', 'a closed store refuses calls')
})

test('pg store: the database dropping a connection in the middle of a statement is ERR_TRANSPORT, then recovers', async (t) => {
  const url = await freshDatabase()
  const store = await openPgStore(url, { maxConnections: 2 })
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await store.insertUser(fakeUser('alice', 1))
    // Hold the row lock in another session so the store's delete waits on it, then kill the waiting backend.
    await admin.query('BEGIN')
    await admin.query(`SELECT * FROM users WHERE user_id = 'alice' FOR UPDATE`)
    const pending = codeOf(store.deleteUser('alice'))
    let killed = 0
    for (let i = 0; i < 100 && killed === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const r = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%DELETE FROM users%' AND pid <> pg_backend_pid()`)
      killed = r.rowCount ?? 0
    }
    t.equal(killed, 1, 'the statement was running when its connection was killed')
    t.equal(await pending, 'ERR_TRANSPORT', 'the interrupted call fails with ERR_TRANSPORT')
    await admin.query('ROLLBACK')
    t.equal((await store.getUser('alice'))?.userID, 'alice', 'the interrupted delete did not happen, and the store works on')
    t.equal(await store.deleteUser('alice'), true, 'the same call succeeds on a new connection')
  } finally {
    await admin.end()
    await store.close()
  }
})

test('pg store: pg is loaded only when a postgres:// store is opened, and its absence is a typed error naming it', async (t) => {
  const index = new URL('../../lib/index.js', import.meta.url).href
  const hook = `export async function resolve(s, c, n) { if (s === 'pg') throw new Error('blocked'); return n(s, c) }`
  const code = `
    import { register } from 'node:module'
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
    const lib = await import(${JSON.stringify(index)})
    new lib.accounts.MemoryStore()
    const err = await lib.accounts.openPgStore(${JSON.stringify(cluster.url)}).then(() => null, (e) => e)
    console.log(JSON.stringify({ loaded: true, code: err && err.code, message: err && err.message }))`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  const result = JSON.parse(out.trim().split('\n').pop()!)
  t.ok(result.loaded, 'the library (accounts included) loads without pg')
  t.equal(result.code, 'ERR_INVALID_STATE', 'opening a PostgreSQL store without it is ERR_INVALID_STATE')
  t.match(result.message, /npm install pg/, 'and the message names the package')
})

test('pg store: the published declarations compile for a strict consumer that has no pg and no @types/pg', (t) => {
  // A consumer project with our published declarations (dist/lib/**/*.d.ts) and every package we
  // have except pg and @types/pg, compiled strictly with skipLibCheck off so our declarations are
  // checked too: any pg type in them is "Cannot find module 'pg'".
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), 'consumer-'))
  try {
    cpSync(join(root, 'dist', 'lib'), join(dir, 'lib'), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.d.ts') })
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true })
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name === 'pg' || name.startsWith('pg-') || name === '@types' || name.startsWith('.')) continue
      symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name))
    }
    for (const name of readdirSync(join(root, 'node_modules', '@types'))) {
      if (name !== 'pg') symlinkSync(join(root, 'node_modules', '@types', name), join(dir, 'node_modules', '@types', name))
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'use.ts'), `
import { accounts } from '../lib/index.js'
export async function open(url: string): Promise<accounts.PgStore | null> {
  return accounts.isPostgresUrl(url) ? accounts.openPgStore(url, { maxConnections: 1 }) : null
}
export const store: Promise<accounts.IdentityStore & accounts.KeyStore> = accounts.openAccountStore('postgres://db/accounts')
`)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'] },
      include: ['src']
    }))
    let output = ''
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' })
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err)
    }
    t.equal(output.split('\n').filter((l) => /pg/.test(l)).join('\n'), '', 'no error mentions pg')
    t.equal(output, '', 'tsc reports nothing at all')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})

test('pg store: a throwaway cluster is stopped and removed even when its test process crashes or is killed', async (t) => {
  const helper = new URL('../helpers/postgres.js', import.meta.url).href
  for (const ending of ['throw', 'SIGKILL'] as const) {
    const code = `
      import { readFileSync } from 'node:fs'
      const { startPostgres } = await import(${JSON.stringify(helper)})
      const pg = await startPostgres()
      const pid = Number(readFileSync(pg.dir + '/data/postmaster.pid', 'utf8').split('\\n')[0])
      console.log(JSON.stringify({ dir: pg.dir, pid }))
      if (${JSON.stringify(ending)} === 'throw') throw new Error('the test blew up')
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'ignore'] })
    const info = await new Promise<{ dir: string, pid: number }>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!)) })
      child.once('exit', (c) => reject(new Error(`child exited (${c}) before the cluster started`)))
    })
    t.ok(existsSync(info.dir) && alive(info.pid), `${ending}: cluster running (postmaster ${info.pid})`)
    if (ending === 'SIGKILL') child.kill('SIGKILL')
    await new Promise((resolve) => child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve))
    for (let i = 0; i < 100 && (existsSync(info.dir) || alive(info.pid)); i++) await new Promise((resolve) => setTimeout(resolve, 100))
    t.notOk(alive(info.pid), `${ending}: the postmaster is gone`)
    t.notOk(existsSync(info.dir), `${ending}: its directory is removed`)
  }
})

test('pg store: the cluster is removed afterwards', async (t) => {
  await cluster.destroy()
  t.pass('cluster stopped and its directory removed')
})
