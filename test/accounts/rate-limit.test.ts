/** Issue 13 item 7: password work is bounded per server and per source address, with a clear ERR_RATE_LIMITED; the per-source rate is shared through the store. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityService } from '../../lib/protocols/accounts/identity-service.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { WorkLimiter } from '../../lib/protocols/accounts/work-limiter.js'

const crypto = getCryptoBackend()
const SLOW = { logN: 12, r: 8, p: 1 }
const someone = (address: string) => ({ remotePublicKey: generateKeyPair().publicKey, remoteAddress: address })
const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (isSecretChannelError(e, 'ERR_RATE_LIMITED') ? 'limited' : 'refused'))

test('rate limit: one address flooding getAccessToken gets ERR_RATE_LIMITED at once, another address is still served', async (t) => {
  const service = new IdentityService({ store: new MemoryStore(), keyServers: [], loginHashKdf: SLOW, kdfParams: TEST_KDF, sourceRateLimit: null,
    passwordWork: { maxConcurrent: 4, maxQueued: 32, perSourceConcurrent: 2, perSourceQueued: 2 } })
  const attacker = someone('10.0.0.1')
  const flood = Array.from({ length: 16 }, (_, i) => outcome(service.getAccessToken(attacker, `user${i}`, 'get-private-key', crypto.randomBytes(32))))
  const other = await outcome(service.getAccessToken(someone('10.0.0.2'), 'bob', 'get-private-key', crypto.randomBytes(32)))
  const results = await Promise.all(flood)
  t.equal(results.filter((r) => r === 'limited').length, 12, '2 running + 2 queued for the flooding address, the other 12 refused with ERR_RATE_LIMITED')
  t.equal(other, 'refused', 'the other address was not rate limited (its wrong password was checked)')
})

test('rate limit: another source starts at once while one source has its share running and queued', async (t) => {
  const limiter = new WorkLimiter({ maxConcurrent: 4, maxQueued: 8, perSourceConcurrent: 2, perSourceQueued: 2 })
  const started: string[] = []
  const release: Array<() => void> = []
  const job = (name: string) => () => new Promise<string>((resolve) => { started.push(name); release.push(() => resolve(name)) })
  const a = ['a1', 'a2', 'a3', 'a4'].map((n) => limiter.run('A', job(n)))
  const b = limiter.run('B', job('b1'))
  await new Promise((r) => setImmediate(r))
  t.deepEqual(started, ['a1', 'a2', 'b1'], 'A runs 2 and queues 2; B starts at once')
  const refused = await limiter.run('A', job('a5')).catch((e) => e)
  t.ok(isSecretChannelError(refused, 'ERR_RATE_LIMITED'), 'a fifth from A is refused at once')
  release.shift()!()
  await new Promise((r) => setImmediate(r))
  t.deepEqual(started, ['a1', 'a2', 'b1', 'a3'], 'when one of A\'s finishes, A\'s next waiting one starts')
  while (release.length) { release.shift()!(); await new Promise((r) => setImmediate(r)) }
  t.deepEqual(await Promise.all([...a, b]), ['a1', 'a2', 'a3', 'a4', 'b1'], 'every accepted job ran')
})

test('rate limit: the per-address window is kept in the store, so two server processes share it', async (t) => {
  let now = 1_000_000
  const store = new MemoryStore()
  const options = { store, keyServers: [], loginHashKdf: TEST_KDF, kdfParams: TEST_KDF, clock: () => now, sourceRateLimit: { max: 3, windowMs: 1000 } }
  const one = new IdentityService(options)
  const two = new IdentityService(options)
  const from = someone('10.0.0.9')
  const got = [
    await outcome(one.getSessionChallenge(from, 'alice')),
    await outcome(two.getSessionChallenge(from, 'alice')),
    await outcome(one.getAccessToken(from, 'alice', 'get-private-key', crypto.randomBytes(32))),
    await outcome(two.getAccessToken(from, 'alice', 'get-private-key', crypto.randomBytes(32)))
  ]
  t.deepEqual(got, ['ok', 'ok', 'refused', 'limited'], `3 per window across both services, the 4th is ERR_RATE_LIMITED (${got.join(', ')})`)
  t.equal(await outcome(one.getSessionChallenge(someone('10.0.0.10'), 'alice')), 'ok', 'another address has its own allowance')
  now += 1000
  t.equal(await outcome(two.getSessionChallenge(from, 'alice')), 'ok', 'the next window starts afresh')
})

test('rate limit: over TCP the client sees the stable code ERR_RATE_LIMITED', async (t) => {
  const server = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, sourceRateLimit: { max: 1, windowMs: 60_000 } })
  const c = await IdentityClient.connect(server.endpoint)
  await c.getSessionChallenge('alice')
  const err = await c.getSessionChallenge('alice').catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_RATE_LIMITED'), `ERR_RATE_LIMITED: ${err.message}`)
  c.close()
  await server.close()
})
