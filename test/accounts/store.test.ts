/** Memory and SQLite stores behave the same; SQLite is configured for durability. */
import test from 'tape'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import type { IdentityStore, KeyStore } from '../../lib/protocols/accounts/store.js'
import { openSqliteStore } from '../../lib/protocols/accounts/sqlite-store.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'

const user = (id: string, byte: number) => ({
  userID: id, publicKey: new Uint8Array(32).fill(byte), thumbprint: new Uint8Array(32).fill(byte + 100), kdfSalt: new Uint8Array(32).fill(9),
  kdfParams: { logN: 4, r: 8, p: 1 }, loginHash: new Uint8Array(32).fill(7), loginSalt: new Uint8Array(32).fill(6), loginParams: { logN: 4, r: 8, p: 1 }, createdAt: 5
})

async function exercise(t: test.Test, name: string, store: IdentityStore & KeyStore) {
  await store.insertUser(user('alice', 1))
  t.deepEqual((await store.getUser('alice'))?.publicKey, new Uint8Array(32).fill(1), `${name}: user stored`)
  t.equal((await store.getUserByThumbprint(new Uint8Array(32).fill(101)))?.userID, 'alice', `${name}: found by thumbprint`)
  t.ok(isSecretChannelError(await store.insertUser(user('alice', 2)).catch((e) => e), 'ERR_ALREADY_EXISTS'), `${name}: duplicate id`)
  t.ok(isSecretChannelError(await store.insertUser(user('alias', 1)).catch((e) => e), 'ERR_ALREADY_EXISTS'), `${name}: duplicate key`)
  await store.insertToken({ hash: new Uint8Array(32).fill(3), userID: 'alice', purpose: 'get-private-key', expiresAt: 100 })
  await store.insertToken({ hash: new Uint8Array(32).fill(4), userID: 'alice', purpose: 'get-private-key', expiresAt: 10 })
  await store.purgeExpiredTokens(50)
  t.equal(await store.consumeToken(new Uint8Array(32).fill(4)), null, `${name}: expired token purged`)
  t.equal((await store.consumeToken(new Uint8Array(32).fill(3)))?.userID, 'alice', `${name}: token consumed`)
  t.equal(await store.consumeToken(new Uint8Array(32).fill(3)), null, `${name}: only once`)
  const sealed = { encryptedPrivateKey: new Uint8Array(48).fill(1), nonce: new Uint8Array(24).fill(2), salt: new Uint8Array(32).fill(3), kdf: { logN: 4, r: 8, p: 1 } }
  await store.putSealedKey({ userID: 'alice', publicKey: new Uint8Array(32).fill(1), sealed, updatedAt: 1 })
  t.deepEqual((await store.getSealedKey('alice'))?.sealed, sealed, `${name}: sealed key round-trips`)
  t.equal(await store.getSealedKey('bob'), null, `${name}: missing is null`)
}

test('stores: memory and SQLite agree', async (t) => {
  await exercise(t, 'memory', new MemoryStore())
  const dir = mkdtempSync(join(tmpdir(), 'accounts-store-'))
  const sqlite = await openSqliteStore(join(dir, 'a.db'))
  await exercise(t, 'sqlite', sqlite)
  t.equal(sqlite.db.pragma('journal_mode', { simple: true }), 'wal', 'sqlite: WAL journal')
  t.equal(sqlite.db.pragma('synchronous', { simple: true }), 2, 'sqlite: synchronous = FULL')
  await sqlite.close()
  const reopened = await openSqliteStore(join(dir, 'a.db'))
  t.equal((await reopened.getUser('alice'))?.userID, 'alice', 'sqlite: data is there after reopening')
  await reopened.close()
  rmSync(dir, { recursive: true, force: true })
})

test('stores: the library never loads better-sqlite3 until a server opens its SQLite store', async (t) => {
  // A child process whose module resolver refuses better-sqlite3: importing the whole library and
  // using the in-memory store must work; openSqliteStore must fail with a typed error.
  const index = new URL('../../lib/index.js', import.meta.url).href
  const hook = `export async function resolve(s, c, n) { if (s === 'better-sqlite3') throw new Error('blocked'); return n(s, c) }`
  const code = `
    import { register } from 'node:module'
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
    const lib = await import(${JSON.stringify(index)})
    new lib.accounts.MemoryStore()
    const err = await lib.accounts.openSqliteStore(':memory:').then(() => null, (e) => e)
    console.log(JSON.stringify({ loaded: true, code: err && err.code }))`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  const result = JSON.parse(out.trim().split('\n').pop()!)
  t.ok(result.loaded, 'the library (accounts included) loads without the native addon')
  t.equal(result.code, 'ERR_INVALID_STATE', 'opening a SQLite store without it is a typed error')
})
