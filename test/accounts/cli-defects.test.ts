/** Issue 13 item 6: the accounts commands keep stdin after the password, stop on the first signal, and leave no orphan key file. */
import test from 'tape'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_KDF, close, listen } from './helpers.js'
import { cliIO as io } from './cli-helpers.js'
import { formatId, generateKeyPair, toIdentityFile } from '../../lib/keys.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { main } from '../../lib/cli/main.js'
import { readPassword } from '../../lib/protocols/accounts/cli/shared.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { register } from '../../lib/protocols/accounts/workflows.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { createFlatServer } from '../../lib/protocols/accounts/flat/net.js'
import { flatLookupFromStores } from '../../lib/protocols/accounts/flat/lookup.js'

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> =>
  Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms))])

test('cli: the password line is taken from stdin and the rest of the same chunk stays for the session', async (t) => {
  const h = io()
  h.io.env = { ...h.io.env, SECRET_CHANNEL_PASSWORD: undefined as unknown as string }
  h.io.stdin.end('pw\nline one\n')
  const pw = await readPassword({ values: {}, positionals: [] }, h.io)
  t.equal(pw, 'pw', 'the password is the first line')
  let rest = ''
  h.io.stdin.on('data', (d) => { rest += d })
  h.io.stdin.resume() // as accounts-login does once logged in
  await within(new Promise((r) => h.io.stdin.once('end', r)), 2000)
  t.equal(rest, 'line one\n', 'and "line one" is still there to read')
})

test('cli: accounts-login stops on the first SIGINT/SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'))
  const flatKeys = generateKeyPair()
  const bot = generateKeyPair()
  const store = new MemoryStore()
  await store.insertUser({ userID: 'bot', publicKey: bot.publicKey, thumbprint: getCryptoBackend().sha256(bot.publicKey), kdfSalt: new Uint8Array(32), kdfParams: TEST_KDF, loginHash: null, loginSalt: null, loginParams: null, createdAt: 0 })
  const flat = createFlatServer({ keyPair: flatKeys, lookup: flatLookupFromStores(null, store) }, () => {})
  const port = await listen(flat)
  const botFile = join(dir, 'bot.json')
  writeFileSync(botFile, JSON.stringify(toIdentityFile(bot)))
  try {
    const h = io()
    const done = main(['accounts-login', '--server', `127.0.0.1:${port}`, '--server-id', formatId(flatKeys.publicKey), '--key', botFile], h.io)
    for (let i = 0; i < 300 && !/logged in/.test(h.err()); i++) await new Promise((r) => setTimeout(r, 10))
    t.match(h.err(), /logged in/, 'logged in, stdin still open')
    h.stop()
    const code = await within(done, 3000)
    t.equal(code, 130, 'the first stop signal ends the session (exit 130)')
  } finally {
    await close(flat)
    rmSync(dir, { recursive: true, force: true })
  }
})

test('cli: a refused accounts-register leaves no key file behind, so the retry works', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'))
  const idKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: idKeys, keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  await register({ identity: identity.endpoint, userID: 'alice', password: 'pw', kdf: TEST_KDF })
  const out = join(dir, 'me.json')
  const argv = (user: string) => ['accounts-register', '--identity', `127.0.0.1:${identity.port}`, '--identity-id', formatId(idKeys.publicKey), '--user', user, '--out', out]
  try {
    let h = io({ SECRET_CHANNEL_PASSWORD: 'pw' })
    t.equal(await main(argv('alice'), h.io), 1, `a taken name exits 1: ${h.err().trim()}`)
    t.notOk(existsSync(out), 'and leaves no orphan key file')
    h = io({ SECRET_CHANNEL_PASSWORD: 'pw' })
    t.equal(await main(argv('alice2'), h.io), 0, `the retry with another name works: ${h.err().trim()}`)
    t.ok(existsSync(out), 'and writes the key file')
  } finally {
    await identity.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
