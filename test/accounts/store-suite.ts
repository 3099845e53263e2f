/**
 * One behavioural suite every account store must pass (memory, SQLite, PostgreSQL), so the stores
 * cannot drift apart. `open()` gives a fresh, empty store; `twin(store)`, when given, opens a
 * second handle on the *same* data (a second SQLite connection, a second PostgreSQL pool: what a
 * second server process would have) for the races that must hold across processes.
 */
import type test from 'tape'
import type { IdentityStore, KeyStore } from '../../lib/protocols/accounts/store.js'
import { isSecretChannelError } from '../../lib/errors.js'

/** A store both servers could use. */
export type AnyStore = IdentityStore & KeyStore

const kdf = { logN: 4, r: 8, p: 1 }
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)
/** A user record whose keys are derived from `byte`. */
export const fakeUser = (id: string, byte: number) => ({
  userID: id, publicKey: bytes(32, byte), thumbprint: bytes(32, byte + 100), kdfSalt: bytes(32, 9),
  kdfParams: kdf, loginHash: bytes(32, 7), loginSalt: bytes(32, 6), loginParams: kdf, createdAt: 5
})
const code = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => isSecretChannelError(e) ? e.code : e)

/** Runs the suite on stores from `open` (each check on a fresh store); closes what it opens. */
export async function storeSuite(t: test.Test, name: string, open: () => Promise<AnyStore>, twin?: (store: AnyStore) => Promise<AnyStore>): Promise<void> {
  const use = async (fn: (s: AnyStore) => Promise<void>): Promise<void> => {
    const s = await open()
    try { await fn(s) } finally { await s.close() }
  }

  await use(async (s) => {
    await s.insertUser(fakeUser('alice', 1))
    t.deepEqual((await s.getUser('alice'))?.publicKey, bytes(32, 1), `${name}: user stored`)
    t.deepEqual(await s.getUser('alice'), fakeUser('alice', 1), `${name}: every field round-trips`)
    t.equal((await s.getUserByThumbprint(bytes(32, 101)))?.userID, 'alice', `${name}: found by thumbprint`)
    t.equal(await s.getUser('nobody'), null, `${name}: unknown user is null`)
    t.equal(await code(s.insertUser(fakeUser('alice', 2))), 'ERR_ALREADY_EXISTS', `${name}: duplicate id refused`)
    t.equal(await code(s.insertUser(fakeUser('alias', 1))), 'ERR_ALREADY_EXISTS', `${name}: duplicate key refused`)
    const noPassword = { ...fakeUser('bot', 3), loginHash: null, loginSalt: null, loginParams: null }
    await s.insertUser(noPassword)
    t.deepEqual(await s.getUser('bot'), noPassword, `${name}: an account without a password round-trips`)
    const login = { kdfSalt: bytes(32, 11), kdfParams: { logN: 5, r: 8, p: 2 }, loginHash: bytes(32, 12), loginSalt: bytes(32, 13), loginParams: { logN: 6, r: 8, p: 1 } }
    t.equal(await s.updateLogin('alice', login), true, `${name}: updateLogin on an account`)
    t.deepEqual(await s.getUser('alice'), { ...fakeUser('alice', 1), ...login }, `${name}: the new password material is stored`)
    t.equal(await s.updateLogin('ghost', login), false, `${name}: updateLogin on a missing account is false`)
  })

  await use(async (s) => {
    await s.insertUser(fakeUser('alice', 1))
    await s.insertToken({ hash: bytes(32, 3), userID: 'alice', purpose: 'get-private-key', expiresAt: 100 })
    await s.insertToken({ hash: bytes(32, 4), userID: 'alice', purpose: 'get-private-key', expiresAt: 10 })
    await s.insertToken({ hash: bytes(32, 5), userID: 'alice', purpose: 'change-password', expiresAt: 100, payload: bytes(70, 8) })
    await s.purgeExpiredTokens(50)
    t.equal(await s.consumeToken(bytes(32, 4)), null, `${name}: expired token purged`)
    t.deepEqual(await s.findToken(bytes(32, 5)), { hash: bytes(32, 5), userID: 'alice', purpose: 'change-password', expiresAt: 100, payload: bytes(70, 8) },
      `${name}: findToken returns the token with its payload`)
    t.ok(await s.findToken(bytes(32, 5)), `${name}: findToken does not consume`)
    t.deepEqual(await s.consumeToken(bytes(32, 3)), { hash: bytes(32, 3), userID: 'alice', purpose: 'get-private-key', expiresAt: 100, payload: null },
      `${name}: token consumed (no payload is null)`)
    t.equal(await s.consumeToken(bytes(32, 3)), null, `${name}: a token is consumed only once`)
    t.equal(await s.deleteToken(bytes(32, 5)), true, `${name}: deleteToken`)
    t.equal(await s.deleteToken(bytes(32, 5)), false, `${name}: deleteToken of a missing token is false`)
    for (const [fill, purpose] of [[20, 'a'], [21, 'b'], [22, 'b'], [23, 'c']] as const) {
      await s.insertToken({ hash: bytes(32, fill), userID: 'alice', purpose, expiresAt: 100 })
    }
    await s.insertToken({ hash: bytes(32, 24), userID: 'bob', purpose: 'b', expiresAt: 100 })
    t.equal(await s.revokeTokens('alice', ['b']), 2, `${name}: revokeTokens by purpose counts what it removed`)
    t.ok(await s.findToken(bytes(32, 24)), `${name}: another account's token is untouched`)
    t.equal(await s.revokeTokens('alice'), 2, `${name}: revokeTokens of every purpose`)
    t.equal(await s.findToken(bytes(32, 20)), null, `${name}: revoked tokens are gone`)
  })

  await use(async (s) => {
    const limit = { max: 3, windowMs: 1000 }
    const takes = async (n: number, now: number, id = 'alice'): Promise<boolean[]> => {
      const out: boolean[] = []
      for (let i = 0; i < n; i++) out.push(await s.reserveLoginAttempt(id, now, limit))
      return out
    }
    t.deepEqual(await takes(4, 0), [true, true, true, false], `${name}: throttle allows max attempts per window`)
    t.deepEqual(await takes(1, 500, 'bob'), [true], `${name}: another account has its own window`)
    t.deepEqual(await takes(1, 1000), [false], `${name}: the window still holds at its last millisecond`)
    t.deepEqual(await takes(4, 1001), [true, true, true, false], `${name}: a new window after it passed`)
    await s.clearLoginFailures('alice')
    t.deepEqual(await takes(1, 1002), [true], `${name}: clearLoginFailures forgets the counted attempts`)
    t.equal(await s.reserveLoginAttempt('carol', 0, { max: 0, windowMs: 1000 }), false, `${name}: max 0 refuses every attempt`)

    const rate = { max: 2, windowMs: 1000 }
    const r = [await s.takeRateLimit('ip:1', 0, rate), await s.takeRateLimit('ip:1', 10, rate), await s.takeRateLimit('ip:1', 20, rate)]
    t.deepEqual(r, [true, true, false], `${name}: rate limit counts max events per window`)
    t.equal(await s.takeRateLimit('ip:2', 20, rate), true, `${name}: rate limits are per key`)
    t.equal(await s.takeRateLimit('ip:1', 999, rate), false, `${name}: refused until the window ends`)
    t.equal(await s.takeRateLimit('ip:1', 1000, rate), true, `${name}: a new window when it ends`)
  })

  await use(async (s) => {
    await s.insertUser(fakeUser('alice', 1))
    await s.insertUser(fakeUser('bob', 2))
    await s.insertToken({ hash: bytes(32, 3), userID: 'alice', purpose: 'get-private-key', expiresAt: 100 })
    await s.insertToken({ hash: bytes(32, 4), userID: 'bob', purpose: 'get-private-key', expiresAt: 100 })
    const limit = { max: 1, windowMs: 1000 }
    await s.reserveLoginAttempt('alice', 0, limit)
    t.equal(await s.deleteUser('alice'), true, `${name}: deleteUser`)
    t.equal(await s.getUser('alice'), null, `${name}: the account is gone`)
    t.equal(await s.findToken(bytes(32, 3)), null, `${name}: with its tokens`)
    t.equal(await s.reserveLoginAttempt('alice', 1, limit), true, `${name}: and its throttle counter`)
    t.ok(await s.findToken(bytes(32, 4)), `${name}: other accounts keep theirs`)
    t.equal(await s.deleteUser('alice'), false, `${name}: deleting again is false`)
    await s.insertUser(fakeUser('alice', 1))
    t.ok(await s.getUserByThumbprint(bytes(32, 101)), `${name}: the id and key are free again`)
  })

  await use(async (s) => {
    const sealed = { encryptedPrivateKey: bytes(48, 1), nonce: bytes(24, 2), salt: bytes(32, 3), kdf }
    await s.putSealedKey({ userID: 'alice', publicKey: bytes(32, 1), sealed, updatedAt: 1 })
    t.deepEqual(await s.getSealedKey('alice'), { userID: 'alice', publicKey: bytes(32, 1), sealed, updatedAt: 1 }, `${name}: sealed key round-trips`)
    const other = { encryptedPrivateKey: bytes(48, 4), nonce: bytes(24, 5), salt: bytes(32, 6), kdf: { logN: 5, r: 8, p: 1 } }
    await s.putSealedKey({ userID: 'alice', publicKey: bytes(32, 1), sealed: other, updatedAt: 2 })
    t.deepEqual((await s.getSealedKey('alice'))?.sealed, other, `${name}: putSealedKey replaces`)
    t.equal(await s.getSealedKey('bob'), null, `${name}: missing is null`)
    t.equal(await s.deleteSealedKey('alice'), true, `${name}: deleteSealedKey`)
    t.equal(await s.deleteSealedKey('alice'), false, `${name}: deleting again is false`)
  })

  // Races: the same calls at once, from one handle and (when the store can) from two.
  await use(async (s) => {
    const other = twin ? await twin(s) : s
    try {
      const handles = [s, other]
      await s.insertToken({ hash: bytes(32, 9), userID: 'alice', purpose: 'get-private-key', expiresAt: 100 })
      const consumed = await Promise.all(Array.from({ length: 20 }, (_, i) => handles[i % 2]!.consumeToken(bytes(32, 9))))
      t.equal(consumed.filter(Boolean).length, 1, `${name}: 20 concurrent redemptions${twin ? ' from two handles' : ''}: exactly one gets the token`)
      const limit = { max: 10, windowMs: 60_000 }
      const reserved = await Promise.all(Array.from({ length: 40 }, (_, i) => handles[i % 2]!.reserveLoginAttempt('alice', 5, limit)))
      t.equal(reserved.filter(Boolean).length, 10, `${name}: 40 concurrent login attempts${twin ? ' from two handles' : ''}: exactly 10 reserved`)
      const rate = { max: 7, windowMs: 60_000 }
      const taken = await Promise.all(Array.from({ length: 30 }, (_, i) => handles[i % 2]!.takeRateLimit('k', 5, rate)))
      t.equal(taken.filter(Boolean).length, 7, `${name}: 30 concurrent rate-limited events${twin ? ' from two handles' : ''}: exactly 7 pass`)
      const inserted = await Promise.all(Array.from({ length: 10 }, (_, i) => code(handles[i % 2]!.insertUser(fakeUser('dup', 50)))))
      t.deepEqual([inserted.filter((c) => c === 'resolved').length, inserted.filter((c) => c === 'ERR_ALREADY_EXISTS').length], [1, 9],
        `${name}: 10 concurrent registrations of one id: one wins, nine get ERR_ALREADY_EXISTS`)
    } finally {
      if (other !== s) await other.close()
    }
  })
}
