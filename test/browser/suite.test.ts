/**
 * The backend-sensitive test files themselves, in headless Chromium, once per backend that loads
 * in a page (noble, wasm, webcrypto). Each compiled file (dist/test/...test.js) is bundled by
 * esbuild for the browser and run by the real tape in a page of its own, after the page fixed its
 * backend (suite-page.ts), so every test registers on that backend as under SECRET_CHANNEL_CRYPTO
 * in Node. Each in-page `ok` becomes a pass here and each `not ok` a failure, named with the file
 * and backend; a page error, a crash, a hang or a file with no assertion fails.
 *
 * What is not run in the page is listed here, with the reason: whole files in
 * {@link NODE_ONLY_FILES}, single tests in {@link NODE_ONLY_TESTS}. A backend-sensitive file not
 * in the first list runs; an entry that names no file or test fails, so the lists cannot go stale.
 *
 * Node built-ins the test files import get test-only stand-ins (test/browser/shims/), given to
 * test files and tape only: lib/ is bundled untouched, as a web app gets it (a Node built-in
 * imported from lib/ fails the bundle).
 */
import test from 'tape'
import http from 'node:http'
import { once } from 'node:events'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join, relative, sep } from 'node:path'
import { build, type Plugin } from 'esbuild'
import { chromiumInstalled, launchChromium, root } from './harness.js'
import { isBackendSensitive } from '../helpers/backend-sensitive.js'
import { vectorsDir } from '../helpers/vector-files.js'

/** The backends a page can load (BROWSER_SUITE_BACKENDS narrows them while working). */
const BACKENDS = (process.env.BROWSER_SUITE_BACKENDS ?? 'noble,wasm,webcrypto').split(',')

/** Backend-sensitive files that stay in Node, path under dist/test → why. */
const NODE_ONLY_FILES: Record<string, string> = {
  'net/errors.test.js': 'TCP sockets (lib/net)',
  'net/hostile-clients.test.js': 'TCP sockets (lib/net)',
  'net/http.test.js': 'TCP sockets and node:http (lib/net)',
  'net/idle-timeout.test.js': 'TCP sockets and identity files on disk (lib/net)',
  'net/own-read-buffers.test.js': 'TCP sockets and net.Socket internals (lib/platform/transport-node)',
  'net/read-arena.test.js': 'TCP sockets (lib/net)',
  'net/server-connect.test.js': 'TCP sockets, node:stream and files on disk (lib/net)',
  'net/server-read-buffers.test.js': 'TCP sockets and net.Socket internals (lib/net)',
  'net/socket-writes.test.js': 'TCP sockets (lib/net)',
  'pull/interop-tcp.test.js': 'TCP sockets, against the reference implementation',
  'pull/api.test.js': 'the reference implementation (secret-handshake, pull-box-stream from npm, on sodium-native)',
  'pull/boxstream.test.js': 'the reference implementation (pull-box-stream from npm, on sodium-native)',
  'pull/handshake-errors.test.js': 'the reference implementation (secret-handshake from npm, on sodium-native)',
  'pull/interop-memory.test.js': 'the reference implementation (secret-handshake from npm, on sodium-native)',
  'pull/secret-stream-interop.test.js': 'the reference implementation (secret-handshake from npm) and TCP sockets',
  'boxstream/sodium-keyed.test.js': 'checks sodium-native\'s keyed secretbox, which only loads in Node',
  'boxstream/native-frames.test.js': 'checks the native box-stream addon, which only loads in Node',
  'shs1/shs1.test.js': 'runs the shs1-test harness as child processes',
  'streams/backpressure.test.js': 'every test is over TCP sockets (kernel buffers are what it bounds)',
  'streams/idle-footprint.test.js': 'every test is over TCP sockets (drain listeners on a net.Socket)',
  'streams/recycled-writes.test.js': 'every test is over a backed-up TCP socket',
  'streams/buffer-ownership.test.js': 'imports lib/net; three of its four tests are over TCP',
  'transports/multiserver-interop.test.js': 'a Node ws server with multiserver (the page side is chromium.test)',
  'transports/websocket-interop.test.js': 'a Node ws server against the reference implementation (the page side is chromium.test)',
  'reliability/pull-resources.test.js': 'TCP sockets and process.getActiveResourcesInfo()',
  'accounts/flat-document.test.js': 'the account protocol is a Node-only subpath (issue 12): its command decoder uses Node\'s Buffer',
  'enrollment/state-machines.test.js': 'the enrollment protocol is a Node-only subpath (issue 12): it imports node:crypto, node:fs, node:path',
  'machine.test.js': 'imports the Node-only protocol subpaths (accounts, enrollment, notice)'
}

/** Single tests that stay in Node, by file then exact test name → why (shims/tape.ts skips them in the page). */
const NODE_ONLY_TESTS: Record<string, Record<string, string>> = {
  'streams/abort-error.test.js': {
    'connect(): aborted before and during the attempt': 'lib/net connect() over TCP'
  },
  'streams/secret-stream.test.js': {
    'tcp: random write sizes up to several MiB both ways, checked by hash': 'TCP sockets',
    'tcp: works with stream.pipeline and for await': 'TCP sockets and node:stream'
  },
  'streams/destroy-flushes.test.js': {
    'tcp: write() then destroy() delivers the accepted bytes, then the peer sees a truncation': 'TCP sockets',
    'stream-to-pull-stream over a SecretStream: the last packet before its destroy() arrives': 'TCP sockets'
  }
}

/** Per page (one file on one backend), ms: bundle load, backend, every test of the file. */
const PAGE_TIMEOUT = Number(process.env.BROWSER_SUITE_PAGE_MS || 120_000)

const testDir = join(root, 'dist', 'test')
const shim = (name: string): string => join(testDir, 'browser', 'shims', `${name}.js`)

/** Every compiled test file, relative to dist/test with forward slashes. */
function testFiles(dir = testDir): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...testFiles(path))
    else if (name.endsWith('.test.js')) out.push(relative(testDir, path).split(sep).join('/'))
  }
  return out
}

/** Node built-ins (with or without `node:`) → their stand-in for test files. */
const BUILTINS: Record<string, string> = {
  crypto: shim('crypto'),
  net: shim('net'),
  module: shim('module'),
  stream: shim('stream'),
  'stream/promises': shim('stream'),
  path: shim('path'),
  events: join(root, 'node_modules', 'events', 'events.js')
}

/** Files that get the Node globals they use (process, Buffer, setImmediate) imported, and the built-ins' stand-ins: test files and the packages they run on. */
const GETS_GLOBALS = [testDir + sep, ...['tape', '@ljharb', 'stream-to-pull-stream'].map((p) => join(root, 'node_modules', p) + sep)]
const GLOBALS = ['process', 'Buffer', 'setImmediate']

/** The esbuild plugin: built-ins to shims (never for lib/), tape to the skipping tape, vectors inlined, globals imported. */
function browserSuitePlugin(): Plugin {
  const libDir = join(root, 'dist', 'lib') + sep
  return {
    name: 'browser-suite',
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, '')
        if (!Object.hasOwn(BUILTINS, name) || (name === 'events' && !args.path.startsWith('node:'))) return undefined
        if (args.importer.startsWith(libDir)) return { errors: [{ text: `${args.importer} imports the Node built-in ${args.path}: not portable` }] }
        // Other npm packages (libsodium-wrappers' Node branch...) resolve as in any browser bundle.
        return GETS_GLOBALS.some((dir) => args.importer.startsWith(dir)) ? { path: BUILTINS[name]! } : undefined
      })
      // lib/net is TCP: a test file importing it gets the throwing stand-in (its TCP tests are in NODE_ONLY_TESTS).
      b.onResolve({ filter: /\/lib\/net\/index\.js$/ }, (args) => args.importer.startsWith(testDir + sep) ? { path: shim('lib-net') } : undefined)
      b.onResolve({ filter: /^tape$/ }, (args) => args.importer === shim('tape') ? undefined : { path: shim('tape') })
      b.onLoad({ filter: /vector-files\.js$/ }, (args) => {
        if (args.path !== join(testDir, 'helpers', 'vector-files.js')) return undefined
        const files = Object.fromEntries(readdirSync(vectorsDir()).filter((n) => n.endsWith('.json')).map((n) => [n, readFileSync(join(vectorsDir(), n), 'utf8')]))
        return { contents: `const FILES = ${JSON.stringify(files)}\nexport function readVectorFile(name) {\n  if (!Object.hasOwn(FILES, name)) throw new Error('no vector file ' + name)\n  return FILES[name]\n}\n`, loader: 'js' }
      })
      b.onLoad({ filter: /\.(c|m)?js$/ }, (args) => {
        if (!GETS_GLOBALS.some((dir) => args.path.startsWith(dir)) || args.path.startsWith(join(testDir, 'browser', 'shims'))) return undefined
        const source = readFileSync(args.path, 'utf8')
        const used = GLOBALS.filter((g) => new RegExp(`(?<![.\\w$])${g}\\b`).test(source))
        if (used.length === 0) return undefined
        const esm = /^\s*(import|export)\b/m.test(source)
        const from = JSON.stringify(shim('node-globals'))
        const prelude = esm ? `import { ${used.join(', ')} } from ${from};` : `var { ${used.join(', ')} } = require(${from});`
        return { contents: `${prelude}\n${source}`, loader: 'js', resolveDir: join(args.path, '..') }
      })
    }
  }
}

/** Bundles the page runner and every file, one chunk per file (served from memory). */
async function bundle(files: string[]): Promise<Map<string, Uint8Array>> {
  const entry = `import { runSuiteFile } from './dist/test/browser/suite-page.js'\nawait runSuiteFile({\n${files.map((f) => `  ${JSON.stringify(f)}: () => import(${JSON.stringify(`./dist/test/${f}`)})`).join(',\n')}\n})\n`
  const outdir = join(root, 'dist', 'browser-suite')
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'suite-entry.js', loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    splitting: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir,
    entryNames: 'entry',
    define: { __dirname: '"/"' },
    plugins: [browserSuitePlugin()],
    logLevel: 'silent'
  })
  return new Map(result.outputFiles.map((f) => ['/' + relative(outdir, f.path).split(sep).join('/'), f.contents]))
}

/** What one page (one file on one backend) reported. */
interface PageRun {
  backend: string | null
  finished: boolean
  error: string | null
  skipsUsed: string[]
  passed: string[]
  failed: Array<{ name: string; detail: string }>
  skipped: string[]
  tapePass: number | null
  tapeFail: number | null
  pageErrors: string[]
}

/** Reads the TAP the page printed, line by line, into a {@link PageRun}. */
function readTap(lines: string[], pageErrors: string[]): PageRun {
  const run: PageRun = { backend: null, finished: false, error: null, skipsUsed: [], passed: [], failed: [], skipped: [], tapePass: null, tapeFail: null, pageErrors }
  let current: { name: string; detail: string } | null = null
  for (const line of lines) {
    let m: RegExpExecArray | null
    if ((m = /^# suite: backend (\S+)/.exec(line))) run.backend = m[1]!
    else if ((m = /^# suite: finished (.*)/.exec(line))) { run.finished = true; run.skipsUsed = JSON.parse(m[1]!) as string[] } else if ((m = /^# suite: error ([\s\S]*)/.exec(line))) run.error = m[1]!
    else if ((m = /^ok \d+ (.*?)(\s+# SKIP.*)?$/.exec(line))) { current = null; if (m[2]) run.skipped.push(m[1]!); else run.passed.push(m[1]!) } else if ((m = /^not ok \d+ (.*)$/.exec(line))) { current = { name: m[1]!, detail: '' }; run.failed.push(current) } else if ((m = /^# pass\s+(\d+)/.exec(line))) run.tapePass = Number(m[1])
    else if ((m = /^# fail\s+(\d+)/.exec(line))) run.tapeFail = Number(m[1])
    else if (current && /^\s/.test(line)) current.detail += line + '\n'
  }
  return run
}

test('browser suite: the backend-sensitive test files run in headless Chromium on noble, wasm and webcrypto', { timeout: 280_000 }, async (t) => {
  if (!chromiumInstalled()) {
    t.fail('chromium is not installed (.ci/run installs it with apt-get)')
    return
  }
  const started = Date.now()
  const all = testFiles()
  const sensitive = all.filter((f) => isBackendSensitive(f, readFileSync(join(testDir, f), 'utf8')))
  for (const f of Object.keys(NODE_ONLY_FILES)) t.ok(sensitive.includes(f), `NODE_ONLY_FILES names a backend-sensitive file: ${f}`)
  for (const f of Object.keys(NODE_ONLY_TESTS)) t.ok(sensitive.includes(f) && !Object.hasOwn(NODE_ONLY_FILES, f), `NODE_ONLY_TESTS names a file that runs in the page: ${f}`)
  // BROWSER_SUITE_FILES=a,b narrows the run to files whose path contains a or b (while working on them).
  const only = (process.env.BROWSER_SUITE_FILES ?? '').split(',').filter(Boolean)
  const files = sensitive.filter((f) => !Object.hasOwn(NODE_ONLY_FILES, f) && (only.length === 0 || only.some((o) => f.includes(o))))
  const outputs = await bundle(files)
  t.comment(`${files.length} files bundled in ${((Date.now() - started) / 1000).toFixed(1)} s (${outputs.size} chunks)`)

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const body = outputs.get(path)
    if (body) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=3600' })
      res.end(body)
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><meta charset="utf-8"><title>secret-channel suite</title><script type="module" src="/entry.js"></script>')
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const browser = await launchChromium()
  try {
    // One context: pages share its HTTP cache, so the chunks are fetched once.
    const context = await browser.newContext()
    for (const backend of BACKENDS) {
      const backendStarted = Date.now()
      let passes = 0
      for (const file of files) {
        const page = await context.newPage()
        const lines: string[] = []
        const pageErrors: string[] = []
        let settle: () => void = () => {}
        const settled = new Promise<void>((resolve) => { settle = resolve })
        page.on('console', (msg) => {
          for (const line of msg.text().split('\n')) {
            lines.push(line)
            if (/^# suite: (finished|error)/.test(line)) settle()
          }
        })
        // An uncaught error ends the run (in Node it ends the process): tape would wait forever.
        page.on('pageerror', (err) => { pageErrors.push(String(err.stack ?? err)); settle() })
        page.on('crash', () => { pageErrors.push('the page crashed'); settle() })
        const skip = JSON.stringify(NODE_ONLY_TESTS[file] ?? {})
        const timer = setTimeout(settle, PAGE_TIMEOUT)
        await page.goto(`http://127.0.0.1:${port}/?backend=${backend}&file=${encodeURIComponent(file)}&skip=${encodeURIComponent(skip)}`, { timeout: 30_000 })
          .catch((err: Error) => { pageErrors.push(`page.goto: ${err.message}`); settle() })
        await settled
        clearTimeout(timer)
        await page.close().catch(() => {})

        const run = readTap(lines, pageErrors)
        const where = `[${backend}] ${file}`
        for (const name of run.passed) t.pass(`${where}: ${name}`)
        for (const { name, detail } of run.failed) t.fail(`${where}: ${name}${detail ? '\n' + detail.trimEnd() : ''}`)
        passes += run.passed.length
        const skipped = [...run.skipsUsed.map((name) => `${name} (${NODE_ONLY_TESTS[file]![name]})`), ...run.skipped]
        if (skipped.length) t.comment(`${where}: not run in the page: ${skipped.join(' | ')}`)
        const problems: string[] = []
        if (run.backend !== backend) problems.push(`the page's backend was ${run.backend}, not ${backend}`)
        if (run.error) problems.push(`the runner failed: ${run.error}`)
        else if (!run.finished && run.pageErrors.length === 0) problems.push(`tape did not finish within ${PAGE_TIMEOUT / 1000} s (hang or crash); last lines:\n${lines.slice(-15).join('\n')}`)
        if (run.pageErrors.length) problems.push(`page errors: ${run.pageErrors.join('\n')}`)
        if (run.finished && (run.tapePass !== run.passed.length || (run.tapeFail ?? 0) !== run.failed.length)) problems.push(`tape counted ${run.tapePass} passed / ${run.tapeFail} failed, the TAP lines ${run.passed.length} / ${run.failed.length}`)
        if (run.finished && run.passed.length + run.failed.length === 0) problems.push('no assertion ran')
        const unused = Object.keys(NODE_ONLY_TESTS[file] ?? {}).filter((name) => !run.skipsUsed.includes(name))
        if (run.finished && unused.length) problems.push(`NODE_ONLY_TESTS names tests the file does not have: ${unused.join(' | ')}`)
        if (problems.length) t.fail(`${where}: ${problems.join('; ')}`)
      }
      t.comment(`${backend}: ${passes} in-page assertions passed over ${files.length} files in ${((Date.now() - backendStarted) / 1000).toFixed(1)} s`)
    }
  } finally {
    await browser.close().catch(() => {})
    await new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections?.()
  }
  t.comment(`browser suite wall time ${((Date.now() - started) / 1000).toFixed(1)} s`)
})
