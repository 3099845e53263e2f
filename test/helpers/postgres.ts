/**
 * A real, throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package.
 *
 * ```
 * <tmp>/sc-pg-XXXXXX/            owned by the cluster's OS user (postgres or nobody when we are root)
 *   data/                        initdb output (trust auth, superuser "postgres")
 *   .s.PGSQL.5432                the only way in: a Unix socket, no TCP port (listen_addresses = '')
 *   server.log                   pg_ctl's log, quoted in every startup error
 * ```
 *
 * initdb and postgres refuse to run as root, and CI runs the tests as root, so as root every
 * PostgreSQL binary runs through `runuser -u <user> --`. Nothing is skipped: when the binaries are
 * missing or the cluster does not start, {@link startPostgres} throws an error that says why and
 * how to fix it, and the test fails.
 *
 * Cleanup cannot depend on the test ending well: a detached watchdog (`sh`) holds a pipe from this
 * process and, when the pipe closes (normal {@link PgCluster.destroy}, an exception, SIGKILL from
 * the runner's timeout), stops the cluster with `pg_ctl -m immediate` and removes the directory.
 * @module
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running throwaway cluster. */
export interface PgCluster {
  /** The directory that holds everything (and the socket). */
  readonly dir: string
  /** `postgres://` URL of the default `postgres` database over the Unix socket. */
  readonly url: string
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server (`pg_ctl stop -m fast`); the data stays, {@link start} brings it back. */
  stop(): void
  /** Starts a stopped server again on the same socket. */
  start(): void
  /** Stops the server and removes the directory; safe to call twice. */
  destroy(): Promise<void>
}

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * Keep fsync on (default off). Tests do not need crash safety from a throwaway cluster; the load
   * test turns it on so its figures compare with SQLite's `synchronous = FULL`.
   */
  fsync?: boolean
  /** max_connections (default 100). */
  maxConnections?: number
}

const PORT = 5432

/** The newest `/usr/lib/postgresql/<version>/bin`, or an error saying how to get one. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) {
    throw new Error('PostgreSQL test cluster: no server binaries in /usr/lib/postgresql/<version>/bin; install Debian\'s ' +
      'package first (apt-get install -y postgresql; .ci/run does this in CI)')
  }
  return join(root, versions[0]!, 'bin')
}

/** Which OS user runs the cluster when we are root: `postgres` when it exists, else `nobody`. */
function clusterUser(): { name: string, uid: number, gid: number } | null {
  if (process.getuid?.() !== 0) return null
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' })
    if (r.status === 0) {
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
      return { name, uid: Number(r.stdout.trim()), gid }
    }
  }
  throw new Error('PostgreSQL test cluster: running as root, but neither the "postgres" nor the "nobody" user exists to run it as')
}

/** Runs a PostgreSQL binary (as the cluster user when we are root); throws with its output on failure. */
function runAs(user: { name: string } | null, bin: string, args: string[], what: string, logFile?: string): void {
  const [cmd, argv] = user ? ['runuser', ['-u', user.name, '--', bin, ...args]] : [bin, args]
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) {
    const log = logFile && existsSync(logFile) ? `\n--- ${logFile} ---\n${readFileSync(logFile, 'utf8').slice(-4000)}` : ''
    throw new Error(`PostgreSQL test cluster: ${what} failed (${r.error?.message ?? `exit ${r.status}`})\n${r.stdout}${r.stderr}${log}`)
  }
}

/** A detached `sh` that stops the cluster and removes `dir` once our end of its stdin closes. */
function startWatchdog(user: { name: string } | null, pgCtl: string, dir: string): ChildProcess {
  const stop = user ? `runuser -u "$3" -- "$1" -D "$2/data" -m immediate stop` : `"$1" -D "$2/data" -m immediate stop`
  const script = `read _ignored; ${stop} >/dev/null 2>&1; rm -rf "$2"`
  const dog = spawn('sh', ['-c', script, 'pg-watchdog', pgCtl, dir, user?.name ?? ''], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] })
  dog.unref()
  ;(dog.stdin as unknown as { unref?: () => void }).unref?.()
  return dog
}

/**
 * Creates, starts and returns a throwaway cluster listening only on a Unix socket in its own
 * temporary directory. Call {@link PgCluster.destroy} when done (the watchdog cleans up anyway
 * when the process dies).
 * @example
 * ```ts
 * const pg = await startPostgres()
 * try { const url = await pg.createDatabase('t1'); … } finally { await pg.destroy() }
 * ```
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgCluster> {
  const bin = postgresBinDir()
  const user = clusterUser()
  const dir = mkdtempSync(join(tmpdir(), 'sc-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const pgCtl = join(bin, 'pg_ctl')
  const watchdog = startWatchdog(user, pgCtl, dir)
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  let destroyed: Promise<void> | null = null
  const destroy = (): Promise<void> => {
    destroyed ??= new Promise<void>((resolve) => {
      if (watchdog.exitCode !== null || watchdog.signalCode !== null) return resolve()
      // Referenced again while we wait, so the event loop stays alive until the cleanup is done.
      watchdog.ref()
      watchdog.once('exit', () => resolve())
      watchdog.stdin?.end()
    })
    return destroyed
  }
  const settings = [
    '-k', dir, '-p', String(PORT), '-c', 'listen_addresses=',
    '-c', `fsync=${options.fsync ? 'on' : 'off'}`, '-c', `max_connections=${options.maxConnections ?? 100}`,
    '-c', 'shared_buffers=16MB', '-c', 'dynamic_shared_memory_type=mmap'
  ]
  const start = (): void => runAs(user, pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.map(quote).join(' '), 'start'], 'pg_ctl start', log)
  try {
    runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], 'initdb')
    start()
  } catch (err) {
    await destroy()
    throw err
  }
  const url = (db: string): string => `postgres://postgres@localhost/${db}?host=${encodeURIComponent(dir)}&port=${PORT}`
  return {
    dir,
    url: url('postgres'),
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`PostgreSQL test cluster: bad database name ${name}`)
      runAs(user, join(bin, 'psql'), ['-h', dir, '-p', String(PORT), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], `CREATE DATABASE ${name}`)
      return url(name)
    },
    stop(): void {
      runAs(user, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop', log)
    },
    start,
    destroy
  }
}

/** Quotes one argument for the shell-like split pg_ctl does on `-o`. */
function quote(arg: string): string {
  return /^[\w./=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`
}
