/**
 * Several `secret-channel accounts-*-server` processes on one real PostgreSQL behave as one
 * server: a token issued by one process is redeemed by another, a registration on one is seen by
 * all, the login throttle counts guesses spread across processes, and every process survives a
 * database outage (typed errors while it is down) and recovers when it returns.
 */
import test from 'tape'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TEST_KDF } from './helpers.js'
import { startPostgres } from '../helpers/postgres.js'
import { CLI, endpointOf, startProcess } from '../helpers/processes.js'
import type { ServerProcess } from '../helpers/processes.js'
import { formatId, generateKeyPair, toIdentityFile } from '../../lib/keys.js'
import { backup, changePassword, deleteAccount, proveIdentity, register, restore, revokeTokens } from '../../lib/protocols/accounts/workflows.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { openSealed } from '../../lib/protocols/accounts/sealed-box.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { isSecretChannelError } from '../../lib/errors.js'

const SERVER_CHILD = fileURLToPath(new URL('./fixtures/account-server-child.js', import.meta.url))
const codeOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => isSecretChannelError(e) ? e.code : e)

test('pg servers: three identity-server processes and a key server on one PostgreSQL act as one server', async (t) => {
  const cluster = await startPostgres()
  const dir = mkdtempSync(join(tmpdir(), 'accounts-pg-servers-'))
  const procs: ServerProcess[] = []
  try {
    const identityUrl = await cluster.createDatabase('identity')
    const keysUrl = await cluster.createDatabase('keys')
    const idKeys = generateKeyPair()
    const ksKeys = generateKeyPair()
    writeFileSync(join(dir, 'id.json'), JSON.stringify(toIdentityFile(idKeys)))
    writeFileSync(join(dir, 'ks.json'), JSON.stringify(toIdentityFile(ksKeys)))
    // Unknown accounts get decoy parameters at the default client cost; keep those cheap too.
    const env = { SECRET_CHANNEL_SCRYPT_LOGN: '4' }
    const identityArgs = [CLI, 'accounts-identity-server', '--key', join(dir, 'id.json'), '--allow-key-server', formatId(ksKeys.publicKey)]
    const listening = /listening on (\S+)/
    // Started together on an empty database: the migrations race, the advisory lock serialises them.
    const identities = await Promise.all([
      startProcess([...identityArgs, '--db', identityUrl], listening, env),
      startProcess(identityArgs, listening, { ...env, DATABASE_URL: identityUrl }), // the URL from the environment
      startProcess([...identityArgs, '--db', identityUrl], listening, env)
    ])
    procs.push(...identities)
    const [i1, i2, i3] = identities.map((p) => endpointOf(p.ready[1]!, idKeys.publicKey))
    t.pass('three identity servers started at once on one empty database (--db URL twice, DATABASE_URL once)')
    const keyServer = await startProcess([CLI, 'accounts-key-server', '--key', join(dir, 'ks.json'), '--db', keysUrl,
      '--identity', identities[1]!.ready[1]!, '--identity-id', formatId(idKeys.publicKey)], listening, env)
    procs.push(keyServer)
    const ks = endpointOf(keyServer.ready[1]!, ksKeys.publicKey)

    // Register on #1, back up through #3 (its put-private-key token is validated by the key server
    // at #2), restore through #1: each step only works if the processes share users and tokens.
    const alice = await register({ identity: i1!, userID: 'alice', password: 'correct horse', kdf: TEST_KDF })
    await backup({ identity: i3!, keyServer: ks, userID: 'alice', keyPair: alice, password: 'correct horse' })
    const restored = await restore({ identity: i1!, keyServer: ks, userID: 'alice', password: 'correct horse' })
    t.ok(Buffer.from(restored.secretKey).equals(Buffer.from(alice.secretKey)), 'registered on #1, backed up via #3 (validated at #2), restored via #1')
    t.equal(await codeOf(register({ identity: i2!, userID: 'alice', password: 'x', kdf: TEST_KDF })), 'ERR_ALREADY_EXISTS', 'the same id registered at #2 is refused')

    // A session challenge issued by #2, answered at #3, cannot be answered again at #1.
    const c2 = await IdentityClient.connect(i2!)
    const box = await c2.getSessionChallenge('alice')
    c2.close()
    const challenge = openSealed(alice.secretKey, box)
    const c3 = await IdentityClient.connect(i3!)
    await c3.submitSessionChallenge('alice', challenge)
    c3.close()
    t.pass('a challenge issued by #2 is accepted by #3')
    const c1 = await IdentityClient.connect(i1!)
    t.equal(await codeOf(c1.submitSessionChallenge('alice', challenge)), 'ERR_INVALID_TOKEN', 'and is then spent for #1 too')
    c1.close()

    // Sessions, revocation, password change and deletion, each step at a different process.
    const dave = await register({ identity: i2!, userID: 'dave', password: 'first', kdf: TEST_KDF })
    await backup({ identity: i2!, keyServer: ks, userID: 'dave', keyPair: dave, password: 'first' })
    const session = await proveIdentity({ identity: i1!, userID: 'dave', keyPair: dave })
    const v3 = await IdentityClient.connect(i3!)
    try {
      t.ok(Buffer.from((await v3.validateSession('dave', session.sessionToken)).publicKey).equals(Buffer.from(dave.publicKey)), 'a session started at #1 is valid at #3')
      t.ok(await revokeTokens({ identity: i2!, userID: 'dave', keyPair: dave }) >= 1, 'revoked at #2')
      t.equal(await codeOf(v3.validateSession('dave', session.sessionToken)), 'ERR_INVALID_TOKEN', 'and the session is dead at #3')
    } finally {
      v3.close()
    }
    await changePassword({ identity: i3!, keyServer: ks, userID: 'dave', keyPair: dave, oldPassword: 'first', newPassword: 'second' })
    t.ok(Buffer.from((await restore({ identity: i1!, keyServer: ks, userID: 'dave', password: 'second' })).secretKey).equals(Buffer.from(dave.secretKey)),
      'password changed at #3: the new one restores at #1')
    t.equal(await codeOf(restore({ identity: i2!, keyServer: ks, userID: 'dave', password: 'first' })), 'ERR_WRONG_PASSWORD', 'the old one is refused at #2')
    t.deepEqual(await deleteAccount({ identity: i1!, keyServer: ks, userID: 'dave', keyPair: dave }), { backupDeleted: true }, 'account and backup deleted through #1')
    t.equal(await codeOf(restore({ identity: i3!, keyServer: ks, userID: 'dave', password: 'second' })), 'ERR_WRONG_PASSWORD', 'gone for #3 too')
    await register({ identity: i3!, userID: 'dave', password: 'third', kdf: TEST_KDF })
    t.pass('and the name is free again at #3')

    const guesses = [i1!, i2!, i3!]
    // The throttle (10 wrong passwords per account per window by default) counts across processes:
    // 12 wrong guesses, 4 per process, each process alone far below 10. Then the right password
    // is refused by all three; with per-process counters every one of them would still accept it.
    for (let i = 0; i < 12; i++) {
      const client = await IdentityClient.connect(guesses[i % 3]!)
      try {
        t.equal(await codeOf(client.getAccessToken('alice', 'get-private-key', getCryptoBackend().randomBytes(32))), 'ERR_UNAUTHORIZED', `wrong guess ${i + 1} at #${(i % 3) + 1} refused`)
      } finally {
        client.close()
      }
    }
    for (const [i, at] of guesses.entries()) {
      const err = await restore({ identity: at, keyServer: ks, userID: 'alice', password: 'correct horse' }).then(() => null, (e: unknown) => e)
      t.ok(isSecretChannelError(err, 'ERR_UNAUTHORIZED') && /too many wrong passwords/.test(err.message),
        `after 12 guesses spread over three processes, #${i + 1} refuses even the right password: ${(err as Error | null)?.message ?? 'accepted'}`)
    }

    // Outage: every process answers with a typed error while PostgreSQL is down, stays up, and
    // serves again once it is back.
    cluster.stop()
    for (const [i, at] of guesses.entries()) {
      t.equal(await codeOf(register({ identity: at, userID: `bob${i}`, password: 'pw', kdf: TEST_KDF })), 'ERR_TRANSPORT', `database down: #${i + 1} answers ERR_TRANSPORT`)
    }
    t.ok(procs.every((p) => p.alive()), 'every server process is still running')
    cluster.start()
    for (const [i, at] of guesses.entries()) {
      await register({ identity: at, userID: `carol${i}`, password: 'pw', kdf: TEST_KDF })
    }
    t.pass('database back: all three register again without a restart')
    const bob = await register({ identity: i3!, userID: 'bob', password: 'pw', kdf: TEST_KDF })
    await backup({ identity: i1!, keyServer: ks, userID: 'bob', keyPair: bob, password: 'pw' })
    t.pass('and the key server stores backups again')

    for (const p of procs.splice(0)) t.equal(await p.stop(), 143, 'server stops on SIGTERM (128 + 15, as the CLI reports a stop signal)')
  } finally {
    for (const p of procs) await p.stop()
    rmSync(dir, { recursive: true, force: true })
    await cluster.destroy()
  }
})

test('pg servers: without --db and without DATABASE_URL the servers refuse to start (exit 2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-pg-nodb-'))
  try {
    writeFileSync(join(dir, 'id.json'), JSON.stringify(toIdentityFile(generateKeyPair())))
    const env = { ...process.env }
    delete env.DATABASE_URL
    const r = spawnSync(process.execPath, [CLI, 'accounts-identity-server', '--key', join(dir, 'id.json')], { encoding: 'utf8', env })
    t.equal(r.status, 2, 'exit status 2')
    t.match(r.stderr, /--db FILE\|URL is required \(or set DATABASE_URL\)/, `and says what to give: ${r.stderr.trim()}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('pg servers: the per-address rate limit is one budget for all identity-server processes on the database', async (t) => {
  // Through the API-level child (the CLI keeps the default 300 per minute): 6 session challenges
  // per address per 10 minutes, 12 asked for round-robin from three processes. Per-process
  // counters would let each process grant 6, so all 12.
  const cluster = await startPostgres()
  const procs: ServerProcess[] = []
  try {
    const url = await cluster.createDatabase('identity')
    const idKeys = generateKeyPair()
    const config = JSON.stringify({ role: 'identity', seed: Buffer.from(idKeys.secretKey.subarray(0, 32)).toString('hex'), database: url, loginLogN: 4,
      identityOptions: { sourceRateLimit: { max: 6, windowMs: 600_000 } } })
    procs.push(...await Promise.all([1, 2, 3].map(() => startProcess([SERVER_CHILD, config], /listening on (\S+)/, { SECRET_CHANNEL_SCRYPT_LOGN: '4' }))))
    const outcomes: unknown[] = []
    for (let i = 0; i < 12; i++) {
      const client = await IdentityClient.connect(endpointOf(procs[i % 3]!.ready[1]!, idKeys.publicKey))
      try {
        outcomes.push(await codeOf(client.getSessionChallenge(`user${i}`)))
      } finally {
        client.close()
      }
    }
    t.deepEqual(outcomes, [...Array(6).fill('resolved'), ...Array(6).fill('ERR_RATE_LIMITED')],
      '6 challenges granted in all, then ERR_RATE_LIMITED from every process')
  } finally {
    for (const p of procs) await p.stop()
    await cluster.destroy()
  }
})
