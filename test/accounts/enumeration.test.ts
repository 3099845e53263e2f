/**
 * Issue 13 item 4: real and unknown accounts are indistinguishable, in every field and in timing
 * (measured over real TCP against SQLite files on disk, where a write costs an fsync).
 */
import test from 'tape'
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_KDF, listen, close } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { backup, register } from '../../lib/protocols/accounts/workflows.js'
import { createFlatServer } from '../../lib/protocols/accounts/flat/net.js'
import { flatLookupFromStores } from '../../lib/protocols/accounts/flat/lookup.js'

const crypto = getCryptoBackend()

async function world(dir: string, extra: { maxLoginFailures?: number } = {}) {
  const decoySecret = crypto.randomBytes(32)
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({
    keyPair: generateKeyPair(), keyServers: [keyServerKeys.publicKey], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF,
    database: join(dir, 'identity.db'), decoySecret, ...extra
  })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint, database: join(dir, 'keys.db') })
  const alice = await register({ identity: identity.endpoint, userID: 'alice', password: 'pw', kdf: TEST_KDF })
  await backup({ identity: identity.endpoint, keyServer: keys.endpoint, userID: 'alice', keyPair: alice, password: 'pw' })
  const flatKeys = generateKeyPair()
  const flat = createFlatServer({ keyPair: flatKeys, lookup: flatLookupFromStores(keys.store, identity.store), decoySecret }, (s) => s.destroy())
  const flatPort = await listen(flat)
  return { identity, keys, flatPort, close: async () => { await close(flat); await keys.close(); await identity.close() } }
}

/** The CERTIFICATE a flat server answers to USERNAME `name` (raw TCP; the 143-byte blob). */
async function certificateFor(port: number, name: string): Promise<Buffer> {
  const cmd = (op: number, value: Uint8Array) => { const h = Buffer.alloc(5); h[0] = op; h.writeUInt32BE(value.length, 1); return Buffer.concat([h, value]) }
  const socket = net.connect(port, '127.0.0.1')
  socket.write(Buffer.concat([cmd(0x10, crypto.randomBytes(32)), cmd(0x01, Buffer.from(name))]))
  let got = Buffer.alloc(0)
  return new Promise((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d])
      for (let at = 0; at + 5 <= got.length;) {
        const len = got.readUInt32BE(at + 1)
        if (at + 5 + len > got.length) break
        if (got[at] === 0x03) { socket.destroy(); return resolve(got.subarray(at + 5, at + 5 + len)) }
        at += 5 + len
      }
    })
    socket.on('error', reject)
  })
}

test('enumeration: every field of every answer looks the same for a real and an unknown account', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-enum-'))
  const w = await world(dir, { maxLoginFailures: 3 })
  try {
    const c = await IdentityClient.connect(w.identity.endpoint)
    const real = await c.getLoginParams('alice')
    const unknown = await c.getLoginParams('zed')
    t.deepEqual(unknown.kdf, real.kdf, 'the same KDF parameters')
    t.equal(unknown.salt.length, real.salt.length, 'salts of the same size')

    const realCert = await certificateFor(w.flatPort, 'alice')
    const unknownCert = await certificateFor(w.flatPort, 'zed')
    t.ok(realCert.subarray(7, 39).equals(Buffer.from(real.salt)), 'a real account: the flat CERTIFICATE carries the salt the identity server hands out')
    t.ok(unknownCert.subarray(7, 39).equals(Buffer.from(unknown.salt)), 'an unknown one too (servers sharing the decoy secret agree on the decoy salt)')
    t.ok(unknownCert.subarray(1, 7).equals(realCert.subarray(1, 7)), 'and the same KDF parameters in both certificates')

    t.equal((await c.getSessionChallenge('zed')).length, (await c.getSessionChallenge('alice')).length, 'session challenges of the same size')

    const other = await register({ identity: w.identity.endpoint, userID: 'carol', password: 'pw', kdf: { logN: 5, r: 8, p: 1 } }).catch((e) => e)
    t.ok(isSecretChannelError(other, 'ERR_INVALID_ARGUMENT'), `an account with its own KDF parameters (which would stand out) is refused: ${other.message}`)

    for (let i = 0; i < 5; i++) {
      const a = await c.getAccessToken('alice', 'get-private-key', crypto.randomBytes(32)).catch((e) => e)
      const z = await c.getAccessToken('zed', 'get-private-key', crypto.randomBytes(32)).catch((e) => e)
      t.equal(`${z.code} ${z.message}`, `${a.code} ${a.message}`, `wrong password, attempt ${i + 1}: the same answer (${a.message})`)
    }
    c.close()
  } finally {
    await w.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

/** P(a random real-account time > a random unknown-account time): 0.5 when the two cannot be told apart. */
function separation(real: number[], unknown: number[]): number {
  let wins = 0
  for (const r of real) for (const u of unknown) wins += r > u ? 1 : r === u ? 0.5 : 0
  return wins / (real.length * unknown.length)
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn().catch(() => {})
  return Number(process.hrtime.bigint() - start) / 1e6
}

test('enumeration: response times for a real and an unknown account come from the same distribution', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-enum-'))
  const w = await world(dir, { maxLoginFailures: 100_000 })
  try {
    const c = await IdentityClient.connect(w.identity.endpoint)
    const calls: Record<string, (id: string) => Promise<unknown>> = {
      getSessionChallenge: (id) => c.getSessionChallenge(id),
      'getAccessToken (wrong password)': (id) => c.getAccessToken(id, 'get-private-key', crypto.randomBytes(32)),
      getLoginParams: (id) => c.getLoginParams(id)
    }
    for (const [name, call] of Object.entries(calls)) {
      for (let i = 0; i < 5; i++) { await timed(() => call('alice')); await timed(() => call('zed')) } // warm up
      const real: number[] = []
      const unknown: number[] = []
      // Interleaved, so drift in machine load hits both samples alike.
      for (let i = 0; i < 60; i++) {
        if (i % 2) { real.push(await timed(() => call('alice'))); unknown.push(await timed(() => call('zed'))) }
        else { unknown.push(await timed(() => call('zed'))); real.push(await timed(() => call('alice'))) }
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!.toFixed(2)
      const s = separation(real, unknown)
      t.ok(s > 0.2 && s < 0.8, `${name}: P(real slower) = ${s.toFixed(2)}, medians ${median(real)} ms real, ${median(unknown)} ms unknown`)
    }
    c.close()
  } finally {
    await w.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
