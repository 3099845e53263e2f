#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own process with tape, then prints
// one closing line "N passed, N failed" (assertions), which CI reads. A file that crashes or exits
// non-zero without a tape failure counts as one failure, so a crash can never pass silently.
//
// Backend-sensitive files (see test/helpers/backend-sensitive.ts: BACKEND_SENSITIVE, or a file containing the marker comment
// "@test-all-backends") run once per crypto backend that loads here, with SECRET_CHANNEL_CRYPTO
// set; the closing line sums every run (webcrypto included where crypto.subtle has the curves). TEST_BACKENDS=noble,node narrows the list;
// SECRET_CHANNEL_CRYPTO=<name> runs every file once with that backend only.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const testDir = join(root, 'dist', 'test')
const filter = process.argv.slice(2)
const parallel = Number(process.env.TEST_JOBS || 2)

function find(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...find(path))
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const files = find(testDir).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))

/** Which files depend on the crypto backend (shared with test/browser/suite.test.ts). */
const { isBackendSensitive: sensitive } = await import(join(root, 'dist', 'test', 'helpers', 'backend-sensitive.js'))

/** Preload that finishes a backend's asynchronous initialisation (WASM) in every test process. */
const READY = join(root, 'dist', 'test', 'helpers', 'crypto-ready.js')

async function backendsToRun() {
  if (process.env.SECRET_CHANNEL_CRYPTO) return [process.env.SECRET_CHANNEL_CRYPTO]
  const { availableCryptoBackends, cryptoReady } = await import(join(root, 'dist', 'lib', 'crypto', 'index.js'))
  await cryptoReady() // loads the backends that need async init (wasm), so they count as available
  const available = availableCryptoBackends()
  // WebCrypto's curve is opt-in (never the automatic choice); where crypto.subtle has Ed25519 and
  // X25519 (Node 20 does), the backend-sensitive files run on it too.
  if (await cryptoReady('webcrypto').then(() => true, () => false)) available.push('webcrypto')
  const wanted = (process.env.TEST_BACKENDS || '').split(',').map((s) => s.trim()).filter(Boolean)
  return wanted.length ? available.filter((b) => wanted.includes(b)) : available
}

function isBackendSensitive(file) {
  const name = relative(testDir, file).split('\\').join('/')
  return sensitive(name, readFileSync(file, 'utf8'))
}

const backends = await backendsToRun()
/** One job per (file, backend) for sensitive files, one per file otherwise (default backend). */
const jobs = files.flatMap((file) => (isBackendSensitive(file) && backends.length > 1 && !process.env.SECRET_CHANNEL_CRYPTO
  ? backends.map((backend) => ({ file, backend }))
  : [{ file, backend: null }]))
let passed = 0
let failed = 0
const failures = []

function runFile({ file, backend }) {
  return new Promise((resolve) => {
    const started = Date.now()
    const forced = backend ?? process.env.SECRET_CHANNEL_CRYPTO
    const env = backend ? { ...process.env, SECRET_CHANNEL_CRYPTO: backend } : { ...process.env }
    if (forced) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(READY).href}`.trim()
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tape', 'bin', 'tape'), file], { cwd: root, env })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => { out += '\n# runner: killed after 300 s\n'; child.kill('SIGKILL') }, 300_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      const pass = Number((out.match(/^# pass\s+(\d+)/m) || [])[1] || 0)
      const fail = Number((out.match(/^# fail\s+(\d+)/m) || [])[1] || 0)
      passed += pass
      failed += fail
      const name = relative(testDir, file) + (backend ? ` [${backend}]` : '')
      const crashed = code !== 0 && fail === 0
      if (crashed) failed += 1
      if (fail > 0 || crashed) {
        failures.push(name)
        process.stdout.write(out + '\n')
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`${fail > 0 || crashed ? 'FAIL' : 'ok  '} ${name}  (${pass} passed, ${fail} failed${crashed ? `, exit ${code}` : ''}, ${secs}s)`)
      resolve()
    })
  })
}

console.log(`crypto backends: ${backends.join(', ')} (backend-sensitive files run once per backend)`)
const queue = [...jobs]
await Promise.all(Array.from({ length: Math.max(1, parallel) }, async () => {
  while (queue.length) await runFile(queue.shift())
}))
if (failures.length) console.log(`failed files: ${failures.join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || jobs.length === 0 ? 1 : 0)
