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
import { isSecretChannelError } from '../../lib/errors.js'
import { curveAgreement } from '../helpers/curve-agreement.js'

const reference = availableCryptoBackends().includes('sodium-native') ? createCryptoBackend('sodium-native') : createCryptoBackend('noble')

test('where crypto.subtle lacks Ed25519/X25519, cryptoReady(\'webcrypto\') is ERR_INVALID_ARGUMENT and nothing changes', async (t) => {
  const before = getCryptoBackend()
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!
  const webcrypto = globalThis.crypto
  // An older runtime: the same crypto object, but its subtle knows neither algorithm.
  const refuse = (): Promise<never> => Promise.reject(Object.assign(new Error('Unrecognized algorithm name'), { name: 'NotSupportedError' }))
  const subtle = { generateKey: refuse, importKey: refuse, exportKey: refuse, deriveBits: refuse, sign: refuse, verify: refuse }
  Object.defineProperty(globalThis, 'crypto', { configurable: true, value: { getRandomValues: webcrypto.getRandomValues.bind(webcrypto), subtle } })
  try {
    const err = await cryptoReady('webcrypto').then(() => null, (e: unknown) => e)
    t.ok(isSecretChannelError(err, 'ERR_INVALID_ARGUMENT'), `rejected: ${(err as Error)?.message}`)
    t.ok((err as Error & { cause?: Error }).cause, 'with the probe\'s failure as cause')
  } finally {
    Object.defineProperty(globalThis, 'crypto', real)
  }
  t.equal(getCryptoBackend(), before, 'the process-wide backend is unchanged')
  t.ok(!availableCryptoBackends().includes('webcrypto'), 'and webcrypto is not offered')
})

test('cryptoReady(\'webcrypto\'): the curve on crypto.subtle, symmetric work on the best synchronous backend; never the automatic choice', async (t) => {
  const automatic = getCryptoBackend().name
  const backend = await cryptoReady('webcrypto')
  t.equal(backend.name, 'webcrypto', 'selected')
  t.equal(backend.asyncCurve?.name, 'webcrypto', 'with the asynchronous curve')
  t.equal(getCryptoBackend(), backend, 'as the process-wide backend')
  const data = new Uint8Array([1, 2, 3])
  t.ok(Buffer.from(backend.sha256(data)).equals(Buffer.from(reference.sha256(data))), 'symmetric work answers as before')
  await cryptoReady()
  t.deepEqual(availableCryptoBackends().includes('webcrypto'), false, 'cryptoReady() does not add it to the automatic choice')
  t.ok(automatic !== 'webcrypto', `the automatic choice was ${automatic}`)

  // A fresh process: SECRET_CHANNEL_CRYPTO=webcrypto needs the explicit init, as wasm does.
  const index = pathToFileURL(fileURLToPath(new URL('../../lib/crypto/index.js', import.meta.url))).href
  const script = `const m = await import(${JSON.stringify(index)})
let early; try { early = m.getCryptoBackend().name } catch (err) { early = err.code }
console.log(JSON.stringify({ early, ready: (await m.cryptoReady('webcrypto')).name, after: m.getCryptoBackend().name }))`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SECRET_CHANNEL_CRYPTO: 'webcrypto', NODE_OPTIONS: '' }, encoding: 'utf8' })
  const out = JSON.parse(run.stdout.trim() || '{}') as { early?: string, ready?: string, after?: string }
  t.equal(out.early, 'ERR_INVALID_ARGUMENT', `SECRET_CHANNEL_CRYPTO=webcrypto before cryptoReady is a typed error ${run.stderr}`)
  t.equal(out.after, 'webcrypto', 'and the forced backend once it ran')
})

test('Node\'s WebCrypto behind our prechecks: libsodium 1.0.18\'s bytes and decisions', async (t) => {
  const result = await curveAgreement(createWebCryptoCurve(reference), reference)
  t.deepEqual(result.disagreements, [], `${result.checks} checks against ${reference.name}: random inputs, low-order X25519, S + L, S = L, small-order and non-canonical keys and R, S = 0 forgeries, mixed order`)
  t.ok(result.checks > 250, `${result.checks} checks`)
  console.log(`# bare Node WebCrypto (no prechecks) accepted ${result.bareForgeriesAccepted} of ${result.bareForgeriesTried} S = 0 forgeries it imported the key for`)
})
