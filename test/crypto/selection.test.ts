/**
 * Backend selection: fastest first, forced by SECRET_CHANNEL_CRYPTO, and a clean fallback when
 * sodium-native cannot load (simulated in a child process whose `require('sodium-native')` fails).
 */
import test from 'tape'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cryptoIndex = pathToFileURL(fileURLToPath(new URL('../../lib/crypto/index.js', import.meta.url))).href

/** What the probe snippet prints: the backends it saw and chose, or the error codes. */
interface ProbeOut { available?: string[]; chosen?: string; error?: string; ready?: string; readyError?: string; availableAfterReady?: string[] }

/** Runs a snippet in a fresh Node with `env`; when `blockSodium`, `require('sodium-native')` throws. */
function probe(env: Record<string, string>, blockSodium: boolean): { status: number | null; out: ProbeOut | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secret-channel-select-'))
  try {
    const preload = join(dir, 'block-sodium.cjs')
    writeFileSync(preload, `const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === 'sodium-native') throw Object.assign(new Error('blocked for the test'), { code: 'MODULE_NOT_FOUND' })
  return resolve.call(this, request, ...rest)
}
`)
    const script = `
const m = await import(${JSON.stringify(cryptoIndex)})
const out = { available: m.availableCryptoBackends() }
try { out.chosen = m.getCryptoBackend().name } catch (err) { out.error = err.code }
try { out.ready = (await m.cryptoReady()).name } catch (err) { out.readyError = err.code }
out.availableAfterReady = m.availableCryptoBackends()
console.log(JSON.stringify(out))`
    const run = spawnSync(process.execPath, [...(blockSodium ? ['-r', preload] : []), '--input-type=module', '-e', script], {
      // No test-runner preload (NODE_OPTIONS): each probe starts as a fresh application would.
      env: { ...process.env, SECRET_CHANNEL_CRYPTO: '', NODE_OPTIONS: '', ...env },
      encoding: 'utf8'
    })
    let out: ProbeOut | null = null
    try {
      out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '')
    } catch {
      out = null
    }
    return { status: run.status, out, stderr: run.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('with sodium-native present: all three load, sodium-native is chosen', (t) => {
  const { out, stderr } = probe({}, false)
  t.deepEqual(out?.available, ['sodium-native', 'node', 'noble'], `available ${stderr}`)
  t.equal(out?.chosen, 'sodium-native')
  t.end()
})

test('without sodium-native: node is chosen, nothing breaks', (t) => {
  const { out, stderr } = probe({}, true)
  t.deepEqual(out?.available, ['node', 'noble'], `available ${stderr}`)
  t.equal(out?.chosen, 'node', 'falls back to the next fastest')
  t.end()
})

test('wasm joins only after await cryptoReady(), which re-picks an automatic choice; forcing it early fails loudly', (t) => {
  const { out, stderr } = probe({}, true)
  t.deepEqual(out?.availableAfterReady, ['wasm', 'node', 'noble'], `available after cryptoReady() ${stderr}`)
  t.equal(out?.ready, 'wasm', 'cryptoReady() resolves to the wasm backend, now the fastest here')
  const withSodium = probe({}, false).out
  t.equal(withSodium?.ready, 'sodium-native', 'sodium-native still comes first when it loads')
  const early = probe({ SECRET_CHANNEL_CRYPTO: 'wasm' }, false).out
  t.equal(early?.error, 'ERR_INVALID_ARGUMENT', 'SECRET_CHANNEL_CRYPTO=wasm without cryptoReady is a typed error')
  t.equal(early?.ready, 'wasm', 'and works once cryptoReady() ran')
  t.end()
})

test('SECRET_CHANNEL_CRYPTO forces a backend; one that cannot load is a typed error, not a silent fallback', (t) => {
  t.equal(probe({ SECRET_CHANNEL_CRYPTO: 'noble' }, false).out?.chosen, 'noble', 'noble forced')
  t.equal(probe({ SECRET_CHANNEL_CRYPTO: 'node' }, false).out?.chosen, 'node', 'node forced')
  t.equal(probe({ SECRET_CHANNEL_CRYPTO: 'sodium-native' }, true).out?.error, 'ERR_INVALID_ARGUMENT', 'forcing a missing addon fails loudly')
  t.equal(probe({ SECRET_CHANNEL_CRYPTO: 'openssl' }, false).out?.error, 'ERR_INVALID_ARGUMENT', 'an unknown name fails loudly')
  t.end()
})
