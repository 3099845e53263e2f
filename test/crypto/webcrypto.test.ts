/**
 * The WebCrypto curve backend in Node (whose crypto.subtle has Ed25519 and X25519): the same bytes
 * and the same decisions as libsodium 1.0.18 (small-order keys, S = 0 forgeries, S + L, non-canonical
 * encodings, low-order X25519 points), and the selection: opt-in only, a typed refusal where the
 * runtime lacks the algorithms, nothing changed then.
 */
import test from 'tape'
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { availableCryptoBackends, createCryptoBackend, cryptoReady, getCryptoBackend } from '../../lib/crypto/index.js'
import { createWebCryptoCurve } from '../../lib/crypto/webcrypto.js'
import { curveAgreement } from '../helpers/curve-agreement.js'

const reference = availableCryptoBackends().includes('sodium-native') ? createCryptoBackend('sodium-native') : createCryptoBackend('noble')

const index = pathToFileURL(fileURLToPath(new URL('../../lib/crypto/index.js', import.meta.url))).href

/** Runs `script` (an ES module body) in a fresh Node process without the test runner's preload. */
function fresh(script: string, env: Record<string, string> = {}): { out: Record<string, unknown>, stderr: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SECRET_CHANNEL_CRYPTO: '', NODE_OPTIONS: '', ...env }, encoding: 'utf8' })
  let out: Record<string, unknown> = {}
  try {
    out = JSON.parse(run.stdout.trim().split('\n').pop() || '{}')
  } catch {
    out = {}
  }
  return { out, stderr: run.stderr }
}

test('where crypto.subtle lacks Ed25519/X25519, cryptoReady(\'webcrypto\') is ERR_INVALID_ARGUMENT and nothing changes', (t) => {
  // An older runtime: the same crypto object, but its subtle knows neither algorithm.
  const { out, stderr } = fresh(`
const webcrypto = globalThis.crypto
const refuse = () => Promise.reject(Object.assign(new Error('Unrecognized algorithm name'), { name: 'NotSupportedError' }))
const subtle = { generateKey: refuse, importKey: refuse, exportKey: refuse, deriveBits: refuse, sign: refuse, verify: refuse }
Object.defineProperty(globalThis, 'crypto', { configurable: true, value: { getRandomValues: webcrypto.getRandomValues.bind(webcrypto), subtle } })
const m = await import(${JSON.stringify(index)})
const before = m.getCryptoBackend().name
const out = { before }
try { await m.cryptoReady('webcrypto'); out.ready = 'resolved' } catch (err) { out.code = err.code; out.cause = Boolean(err.cause) }
out.after = m.getCryptoBackend().name
out.available = m.availableCryptoBackends()
console.log(JSON.stringify(out))`)
  t.equal(out.code, 'ERR_INVALID_ARGUMENT', `rejected with ERR_INVALID_ARGUMENT ${stderr}`)
  t.equal(out.cause, true, 'with the probe\'s failure as cause')
  t.equal(out.after, out.before, `the process-wide backend is unchanged (${String(out.before)})`)
  t.notOk((out.available as string[] | undefined)?.includes('webcrypto'), 'and webcrypto is not offered')
  t.end()
})

test('cryptoReady(\'webcrypto\'): the curve on crypto.subtle, symmetric work on the best synchronous backend; never the automatic choice', async (t) => {
  const automatic = fresh(`const m = await import(${JSON.stringify(index)}); console.log(JSON.stringify({ name: (await m.cryptoReady()).name }))`).out.name
  t.ok(typeof automatic === 'string' && automatic !== 'webcrypto', `a fresh process's cryptoReady() does not choose it (${String(automatic)})`)
  const backend = await cryptoReady('webcrypto')
  t.equal(backend.name, 'webcrypto', 'selected')
  t.equal(backend.asyncCurve?.name, 'webcrypto', 'with the asynchronous curve')
  t.equal(getCryptoBackend(), backend, 'as the process-wide backend')
  const data = new Uint8Array([1, 2, 3])
  t.ok(Buffer.from(backend.sha256(data)).equals(Buffer.from(reference.sha256(data))), 'symmetric work answers as before')
  await cryptoReady()
  t.deepEqual(availableCryptoBackends().includes('webcrypto'), false, 'cryptoReady() does not add it to the automatic choice')

  // A fresh process: SECRET_CHANNEL_CRYPTO=webcrypto needs the explicit init, as wasm does.
  const { out, stderr } = fresh(`const m = await import(${JSON.stringify(index)})
let early; try { early = m.getCryptoBackend().name } catch (err) { early = err.code }
console.log(JSON.stringify({ early, ready: (await m.cryptoReady('webcrypto')).name, after: m.getCryptoBackend().name }))`, { SECRET_CHANNEL_CRYPTO: 'webcrypto' })
  t.equal(out.early, 'ERR_INVALID_ARGUMENT', `SECRET_CHANNEL_CRYPTO=webcrypto before cryptoReady is a typed error ${stderr}`)
  t.equal(out.after, 'webcrypto', 'and the forced backend once it ran')
})

test('Node\'s WebCrypto behind our prechecks: libsodium 1.0.18\'s bytes and decisions', async (t) => {
  const result = await curveAgreement(createWebCryptoCurve(reference), reference)
  t.deepEqual(result.disagreements, [], `${result.checks} checks against ${reference.name}: random inputs, low-order X25519, S + L, S = L, small-order and non-canonical keys and R, S = 0 forgeries, mixed order`)
  t.ok(result.checks > 250, `${result.checks} checks`)
  console.log(`# bare Node WebCrypto (no prechecks) accepted ${result.bareForgeriesAccepted} of ${result.bareForgeriesTried} S = 0 forgeries it imported the key for`)
})
