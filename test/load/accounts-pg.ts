/**
 * Load test (`npm run test:load:accounts`): account servers as separate processes on one real
 * PostgreSQL, against the same work on one SQLite server pair.
 *
 * ```
 *                 ┌─ identity #1 ─┐
 *  this process ──┼─ identity #2 ─┼── PostgreSQL (throwaway cluster, fsync on)
 *  (clients)      ├─ identity #3 ─┤     databases "identity" and "keys"
 *                 ├─ identity #4 ─┤
 *                 ├─ key #1 ──► identity #1 (validateUser)
 *                 └─ key #2 ──► identity #3
 * ```
 * 1. `LOAD_USERS` (1,000) registrations, each followed by a backup: registered at identity
 *    #(i mod 4), backed up through identity #(i+1 mod 4) and key server #(i mod 2).
 * 2. `LOAD_VALIDATIONS` (10,000) token validations: a `get-private-key` token issued by one
 *    identity process is validated (as the key servers do) by the next one, then replayed at a third,
 *    which must refuse it.
 * Then the databases are read back: every account and every backup present once with the right
 * key (0 lost), every token validated exactly once (0 duplicated). The same two phases then run
 * against one identity and one key server process on SQLite files. `LOAD_CONCURRENCY` (32)
 * requests are in flight at any time. The server-side login-hash scrypt runs at logN 4 in both
 * setups (the CLI's logN 14 would make both measure scrypt, not the store). Exits 1 on any loss,
 * duplicate or failed request. All clients connect from 127.0.0.1, so the identity servers'
 * per-address limits are lifted (see ONE_ADDRESS).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import pg from 'pg'
import { startPostgres } from '../helpers/postgres.js'
import { endpointOf, startProcess } from '../helpers/processes.js'
import type { ServerProcess } from '../helpers/processes.js'
import { generateKeyPair } from '../../lib/keys.js'
import { backup, register } from '../../lib/protocols/accounts/workflows.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'
import { openSqliteStore } from '../../lib/protocols/accounts/sqlite-store.js'
import type { Endpoint } from '../../lib/protocols/accounts/rpc/client.js'
import { isSecretChannelError } from '../../lib/errors.js'

process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN = '4'
const USERS = Number(process.env.LOAD_USERS ?? 1000)
const VALIDATIONS = Number(process.env.LOAD_VALIDATIONS ?? 10_000)
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32)
const KDF = { logN: 4, r: 8, p: 1 }
/**
 * Every client of this test connects from 127.0.0.1, where a real deployment sees many addresses:
 * the per-address request rate and password-work queue are lifted so they do not refuse the
 * simulated crowd (the per-account throttle stays on; each account here uses its right password).
 */
const ONE_ADDRESS = { sourceRateLimit: null, passwordWork: { maxConcurrent: 4, maxQueued: 1024, perSourceConcurrent: 4, perSourceQueued: 1024 } }
const child = fileURLToPath(new URL('../accounts/fixtures/account-server-child.js', import.meta.url))
const idKeys = generateKeyPair()
const ksKeys = generateKeyPair()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface Deployment {
  name: string
  identities: Endpoint[]
  keyServers: Endpoint[]
  processes: ServerProcess[]
  /** Rows in users and sealed_keys, and the public key of each user / backup. */
  readBack(): Promise<{ users: number, sealed: number, userKey: Map<string, string>, sealedKey: Map<string, string> }>
}

async function startServer(config: object): Promise<ServerProcess> {
  return startProcess([child, JSON.stringify({ loginLogN: KDF.logN, ...config })], /listening on (\S+)/, { SECRET_CHANNEL_SCRYPT_LOGN: '4' })
}

async function deploy(name: string, identityDb: string[], keysDb: string[], readBack: Deployment['readBack']): Promise<Deployment> {
  const identityProcs = await Promise.all(identityDb.map((database) =>
    startServer({ role: 'identity', seed: hex(idKeys.secretKey.subarray(0, 32)), database, keyServers: [hex(ksKeys.publicKey)], identityOptions: ONE_ADDRESS })))
  const identities = identityProcs.map((p) => endpointOf(p.ready[1]!, idKeys.publicKey))
  const keyProcs = await Promise.all(keysDb.map((database, i) => {
    const at = identities[(i * 2) % identities.length]!
    return startServer({ role: 'key', seed: hex(ksKeys.secretKey.subarray(0, 32)), database, identity: { host: at.host, port: at.port, publicKey: hex(idKeys.publicKey) } })
  }))
  return { name, identities, keyServers: keyProcs.map((p) => endpointOf(p.ready[1]!, ksKeys.publicKey)), processes: [...identityProcs, ...keyProcs], readBack }
}

/** Runs `n` jobs with `CONCURRENCY` in flight; resolves with the elapsed ms. */
async function pool(n: number, job: (i: number, worker: number) => Promise<void>): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, async (_, worker) => {
    while (next < n) await job(next++, worker)
  }))
  return performance.now() - started
}

interface Result {
  name: string, identityProcesses: number, keyServerProcesses: number,
  registrations: { ok: number, failed: number, ms: number, perSecond: number },
  validations: { ok: number, lost: number, duplicated: number, wrongKey: number, failed: number, ms: number, perSecond: number },
  readBack: { users: number, sealed: number, missingOrWrong: number }
}

async function run(d: Deployment): Promise<Result> {
  const nI = d.identities.length
  const publicKeys: string[] = []
  let regFailed = 0
  const errors: string[] = []
  const note = (e: unknown): void => { if (errors.length < 5) errors.push((e as Error).message) }
  const regMs = await pool(USERS, async (i) => {
    try {
      const userID = `user${i}`
      const password = `password ${i}`
      const keyPair = await register({ identity: d.identities[i % nI]!, userID, password, kdf: KDF })
      await backup({ identity: d.identities[(i + 1) % nI]!, keyServer: d.keyServers[i % d.keyServers.length]!, userID, keyPair, password })
      publicKeys[i] = hex(keyPair.publicKey)
    } catch (e) {
      regFailed++
      note(e)
    }
  })
  console.log(`${d.name}: ${USERS - regFailed}/${USERS} registrations + backups in ${(regMs / 1000).toFixed(1)} s`)

  // Login keys (as a restoring device derives them), outside the timed part.
  const loginKeys: Uint8Array[] = []
  const lookup = await IdentityClient.connect(d.identities[0]!)
  for (let i = 0; i < USERS; i++) {
    const { salt, kdf } = await lookup.getLoginParams(`user${i}`)
    loginKeys[i] = (await derivePasswordKeys(`password ${i}`, salt, kdf)).loginKey
  }
  lookup.close()

  // Per worker: a channel to every identity process as a device, and one as the key server.
  const workers = await Promise.all(Array.from({ length: Math.min(CONCURRENCY, VALIDATIONS) }, async () => ({
    device: await Promise.all(d.identities.map((e) => IdentityClient.connect(e))),
    keyServer: await Promise.all(d.identities.map((e) => IdentityClient.connect(e, { keyPair: ksKeys })))
  })))
  const v = { ok: 0, lost: 0, duplicated: 0, wrongKey: 0, failed: 0 }
  const valMs = await pool(VALIDATIONS, async (t, w) => {
    const u = t % USERS
    const userID = `user${u}`
    const c = workers[w]!
    try {
      const { accessToken } = await c.device[t % nI]!.getAccessToken(userID, 'get-private-key', loginKeys[u]!)
      const first = await c.keyServer[(t + 1) % nI]!.validateUser(userID, accessToken, 'get-private-key').then((k) => k, (e: unknown) => e)
      if (first instanceof Uint8Array) {
        if (hex(first) === publicKeys[u]) v.ok++
        else v.wrongKey++
      } else if (isSecretChannelError(first, 'ERR_INVALID_TOKEN')) {
        v.lost++
      } else {
        throw first
      }
      const replay = await c.keyServer[(t + 2) % nI]!.validateUser(userID, accessToken, 'get-private-key').then(() => 'accepted', (e: unknown) => e)
      if (replay === 'accepted') v.duplicated++
      else if (!isSecretChannelError(replay, 'ERR_INVALID_TOKEN')) throw replay
    } catch (e) {
      v.failed++
      note(e)
    }
  })
  for (const c of workers) for (const client of [...c.device, ...c.keyServer]) client.close()
  console.log(`${d.name}: ${v.ok}/${VALIDATIONS} token validations in ${(valMs / 1000).toFixed(1)} s`)
  if (errors.length) console.log(`${d.name}: first errors:\n  ${errors.join('\n  ')}`)

  const back = await d.readBack()
  let missingOrWrong = 0
  for (let i = 0; i < USERS; i++) {
    if (publicKeys[i] === undefined) continue
    if (back.userKey.get(`user${i}`) !== publicKeys[i] || back.sealedKey.get(`user${i}`) !== publicKeys[i]) missingOrWrong++
  }
  return {
    name: d.name, identityProcesses: nI, keyServerProcesses: d.keyServers.length,
    registrations: { ok: USERS - regFailed, failed: regFailed, ms: Math.round(regMs), perSecond: +((USERS - regFailed) / (regMs / 1000)).toFixed(1) },
    validations: { ...v, ms: Math.round(valMs), perSecond: +(v.ok / (valMs / 1000)).toFixed(1) },
    readBack: { users: back.users, sealed: back.sealed, missingOrWrong }
  }
}

const results: Result[] = []
const cluster = await startPostgres({ fsync: true, maxConnections: 200 })
const dir = mkdtempSync(join(tmpdir(), 'accounts-load-'))
let deployment: Deployment | null = null
try {
  const identityUrl = await cluster.createDatabase('identity')
  const keysUrl = await cluster.createDatabase('keys')
  const readPg = async (): Promise<Awaited<ReturnType<Deployment['readBack']>>> => {
    const read = async (url: string, table: string): Promise<Map<string, string>> => {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        const { rows } = await c.query(`SELECT user_id, encode(public_key, 'hex') AS k FROM ${table}`)
        return new Map(rows.map((r: { user_id: string, k: string }) => [r.user_id, r.k]))
      } finally {
        await c.end()
      }
    }
    const userKey = await read(identityUrl, 'users')
    const sealedKey = await read(keysUrl, 'sealed_keys')
    return { users: userKey.size, sealed: sealedKey.size, userKey, sealedKey }
  }
  deployment = await deploy('postgres', [identityUrl, identityUrl, identityUrl, identityUrl], [keysUrl, keysUrl], readPg)
  results.push(await run(deployment))
  for (const p of deployment.processes) await p.stop()

  const readSqlite = async (): Promise<Awaited<ReturnType<Deployment['readBack']>>> => {
    const read = async (file: string, table: string): Promise<Map<string, string>> => {
      const s = await openSqliteStore(file)
      try {
        const rows = s.db.prepare(`SELECT user_id, hex(public_key) AS k FROM ${table}`).all() as Array<{ user_id: string, k: string }>
        return new Map(rows.map((r) => [r.user_id, r.k.toLowerCase()]))
      } finally {
        await s.close()
      }
    }
    const userKey = await read(join(dir, 'identity.db'), 'users')
    const sealedKey = await read(join(dir, 'keys.db'), 'sealed_keys')
    return { users: userKey.size, sealed: sealedKey.size, userKey, sealedKey }
  }
  deployment = await deploy('sqlite', [join(dir, 'identity.db')], [join(dir, 'keys.db')], readSqlite)
  results.push(await run(deployment))
  for (const p of deployment.processes) await p.stop()
  deployment = null
} finally {
  for (const p of deployment?.processes ?? []) await p.stop()
  rmSync(dir, { recursive: true, force: true })
  await cluster.destroy()
}

console.log(JSON.stringify({ node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, users: USERS, validations: VALIDATIONS, concurrency: CONCURRENCY, results }, null, 2))
const bad = results.some((r) => r.registrations.failed || r.validations.lost || r.validations.duplicated || r.validations.wrongKey || r.validations.failed ||
  r.readBack.users !== USERS || r.readBack.sealed !== USERS || r.readBack.missingOrWrong)
console.log(bad ? 'LOAD TEST FAILED: lost, duplicated or failed requests (see above)' : 'load test passed: 0 lost, 0 duplicated, 0 failed')
process.exit(bad ? 1 : 0)
