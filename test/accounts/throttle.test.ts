/** Issue 13 item 3: the login throttle cannot be raced, and a restart does not reset it. */
import test from 'tape'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { register } from '../../lib/protocols/accounts/workflows.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'

const crypto = getCryptoBackend()
/** A server-side login hash slow enough (4 MiB) that 40 guesses are all in flight at once. */
const SLOW = { logN: 12, r: 8, p: 1 }

async function loginKeyOf(endpoint: IdentityServer['endpoint'], id: string, password: string) {
  const c = await IdentityClient.connect(endpoint)
  const { salt, kdf } = await c.getLoginParams(id)
  c.close()
  return (await derivePasswordKeys(password, salt, kdf)).loginKey
}

test('throttle: 40 concurrent wrong guesses get at most 10 evaluations, and the right password sent among them is refused', async (t) => {
  const server = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [], loginHashKdf: SLOW, decoyKdf: TEST_KDF, maxLoginFailures: 10,
    passwordWork: { maxConcurrent: 64, maxQueued: 64, perSourceConcurrent: 64, perSourceQueued: 64 } })
  await register({ identity: server.endpoint, userID: 'alice', password: 'right', kdf: TEST_KDF })
  const right = await loginKeyOf(server.endpoint, 'alice', 'right')
  const clients = await Promise.all(Array.from({ length: 41 }, () => IdentityClient.connect(server.endpoint)))
  const wrong = clients.slice(0, 40).map((c) => c.getAccessToken('alice', 'get-private-key', crypto.randomBytes(32)).then(() => 'token', (e) => e))
  await new Promise((r) => setTimeout(r, 50)) // the 40 wrong guesses are in flight (each hashes for ~10 ms, 4 at a time)
  const last = await clients[40]!.getAccessToken('alice', 'get-private-key', right).then(() => 'token', (e) => e)
  const answers = await Promise.all(wrong)
  const throttled = answers.filter((e) => isSecretChannelError(e, 'ERR_UNAUTHORIZED') && /too many/.test(e.message)).length
  t.equal(throttled, 30, `30 of the 40 guesses were refused before any password work (${throttled})`)
  t.ok(isSecretChannelError(last, 'ERR_UNAUTHORIZED') && /too many/.test(last.message), `the right password in the middle of the burst is refused too: ${last.message ?? last}`)
  for (const c of clients) c.close()
  await server.close()
})

test('throttle: the counters live in the database, so a restart does not reset them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-throttle-'))
  const keyPair = generateKeyPair()
  const options = { keyPair, keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, maxLoginFailures: 3, database: join(dir, 'identity.db') }
  try {
    let server = await IdentityServer.start(options)
    await register({ identity: server.endpoint, userID: 'alice', password: 'right', kdf: TEST_KDF })
    const right = await loginKeyOf(server.endpoint, 'alice', 'right')
    const c = await IdentityClient.connect(server.endpoint)
    for (let i = 0; i < 3; i++) await c.getAccessToken('alice', 'get-private-key', crypto.randomBytes(32)).catch(() => {})
    c.close()
    await server.close()
    server = await IdentityServer.start(options)
    const again = await IdentityClient.connect(server.endpoint)
    const err = await again.getAccessToken('alice', 'get-private-key', right).catch((e) => e)
    t.ok(isSecretChannelError(err, 'ERR_UNAUTHORIZED') && /too many/.test(err.message), `still throttled after the restart: ${err.message ?? err}`)
    again.close()
    await server.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
