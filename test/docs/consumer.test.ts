/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty project,
 * then `tsc` as a strict consumer (strict, no skipLibCheck, moduleResolution node16 and bundler)
 * over a file using the published types and over every js/ts code block of README.md and docs/*.md,
 * with and without the optional packages. Also what the install brings: at most 25 packages, none
 * with an install script, and what the tarball ships (LICENSE, CHANGELOG, docs, maps with sources).
 *
 * Uses the dist/ that `npm test` has just built. The install prefers npm's cache and needs the npm
 * registry only for what the cache lacks; when neither answers, the test says so and skips.
 *
 * Code blocks: each js/ts block becomes one module (js blocks are checked with checkJs). A block
 * preceded by `<!-- typecheck: continue -->` is appended to the block before it. Names the snippets
 * use without defining (keyPair, appKey, socket, …) are declared in {@link PRELUDE}.
 */
import test from 'tape'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { root } from '../helpers/net.js'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

/** Names the documentation's snippets use as givens, declared once for all of them. */
const PRELUDE = `import type { KeyPair } from 'secret-channel'
import type { Socket } from 'node:net'
declare global {
  const keyPair: KeyPair, serverKeys: KeyPair, clientKeys: KeyPair, bobKeys: KeyPair
  const idKeys: KeyPair, ksKeys: KeyPair, flatKeys: KeyPair
  const appKey: Buffer
  const serverPublicKey: Uint8Array
  const socket: Socket
  const password: string
  const port: number
  const identity: import('secret-channel').accounts.Endpoint
  const keyServer: import('secret-channel').accounts.Endpoint
  const transport: import('secret-channel').NoticeTransport
  const knownKeyOrNull: Uint8Array | null
  const notice: Uint8Array
  const now: number
  const bytes: Uint8Array
  function send (bytes: Uint8Array): void
  function receive (length: number): Promise<Uint8Array>
}
export {}
`

/**
 * pull-stream ships no types, and stream-to-pull-stream and muxrpc are not dependencies: a
 * TypeScript user of the pull API installs @types/pull-stream or declares what they use, as here.
 */
const AMBIENT = `declare module 'pull-stream' {
  interface Pull {
    (...streams: unknown[]): unknown
    values (values: unknown[]): unknown
    collect (done: (err: Error | null, items: Buffer[]) => void): unknown
  }
  const pull: Pull
  export default pull
}
declare module 'stream-to-pull-stream'
declare module 'muxrpc' {
  interface MuxRpc {
    stream: unknown
    once (event: 'closed', listener: () => void): void
    close (callback?: (err?: Error) => void): void
    whoami (callback: (err: Error | null, answer: unknown) => void): void // the peer's manifest, typed
  }
  export default function muxrpc (remoteManifest: object, localManifest: object): MuxRpc
}
`

/** A file exercising what the issue found broken for strict consumers. */
const CONSUMER = `import http from 'node:http'
import { connect, createHttpConnection, createServer, formatId, peerKeyOf, generateKeyPair, isSecretChannelError, SecretStream, SSB_MAIN_NETWORK_APP_KEY as appKey, type OpenSecretStream } from 'secret-channel'
import { createClient, createServer as createPullServer } from 'secret-channel/pull'

const serverKeys = generateKeyPair()
const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
  const id: string = formatId(stream.remotePublicKey) // Buffer, not Buffer | null
  stream.end(id)
})
try {
  const stream = await connect({ host: '127.0.0.1', port: 1, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const open: OpenSecretStream = stream
  console.log(formatId(open.remotePublicKey))
} catch (err) {
  if (isSecretChannelError(err)) console.log(err.code, err.phase)
}
const raw = new SecretStream(null as never, { isInitiator: false, keyPair: serverKeys, appKey })
await raw.opened
http.get({ createConnection: createHttpConnection({ host: '127.0.0.1', port: 8080, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey }) })
http.createServer((req, res) => { const key = peerKeyOf(req.socket); res.end(key ? formatId(key) : '') })
console.log(createClient, createPullServer, server)
`

interface Block { file: string, line: number, lang: 'js' | 'ts', code: string }

/** The js/ts blocks of a Markdown file, with `continue` blocks merged into their predecessor. */
export function codeBlocks(path: string, name: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(js|javascript|mjs|ts|typescript)\s*$/.exec(lines[i]!)
    if (!open) continue
    const lang = open[1]!.startsWith('t') ? 'ts' : 'js'
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    const previous = lines.slice(0, start).reverse().find((l) => l.trim() !== '')
    const last = blocks[blocks.length - 1]
    if (previous?.trim() === '<!-- typecheck: continue -->' && last) {
      last.code += '\n' + body.join('\n')
      if (lang === 'ts') last.lang = 'ts'
    } else {
      blocks.push({ file: name, line: start + 1, lang, code: body.join('\n') })
    }
  }
  return blocks
}

function run(command: string, args: string[], cwd: string): { status: number | null, out: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } })
  return { status: result.status, out: `${result.stdout ?? ''}${result.stderr ?? ''}` }
}

/** Compiles the consumer project under both module resolutions, the two tsc runs side by side. */
async function compile(t: test.Test, dir: string, label: string): Promise<void> {
  const runs = [['node16', 'node16'], ['bundler', 'esnext']].map(async ([resolution, module]) => {
    const config = `tsconfig.${resolution}.json`
    writeFileSync(join(dir, config), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module, moduleResolution: resolution, types: ['node'], allowJs: true, checkJs: true, skipLibCheck: false },
      include: ['*.ts', '*.js']
    }))
    const out: string[] = []
    const child = spawn(process.execPath, [tsc, '-p', config], { cwd: dir })
    child.stdout.on('data', (d: Buffer) => out.push(String(d)))
    child.stderr.on('data', (d: Buffer) => out.push(String(d)))
    const [status] = await once(child, 'close') as [number | null]
    return { resolution, status, out: out.join('') }
  })
  for (const { resolution, status, out } of await Promise.all(runs)) {
    t.equal(status, 0, `${label}, moduleResolution ${resolution}: compiles${status === 0 ? '' : `\n${out}`}`)
  }
}

/**
 * A browser project: the `browser` condition, the DOM library and no Node types at all (a web app
 * has no @types/node), strict, no skipLibCheck. Compiles the README's in-page example and checks
 * that what a page receives is typed as what it gets there: plain Uint8Arrays, no Buffer methods.
 */
const BROWSER_APP = `import { createClient } from 'secret-channel/pull'
import { SecretStream, fromWebSocket, fromWebStreams, createDuplexPair, generateKeyPair, parseId, formatId, SSB_MAIN_NETWORK_APP_KEY, type PlatformBytes } from 'secret-channel'
const server = generateKeyPair()
const [a, b] = createDuplexPair()
const client = new SecretStream(a, { isInitiator: true, keyPair: generateKeyPair(), appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: server.publicKey })
const peer = new SecretStream(b, { isInitiator: false, keyPair: server, appKey: SSB_MAIN_NETWORK_APP_KEY, authorize: (key: Uint8Array) => formatId(key) !== '' })
client.on('data', (bytes) => {
  const plain: Uint8Array = bytes
  const named: PlatformBytes = plain
  // @ts-expect-error a page gets plain Uint8Arrays: no Buffer methods to call
  bytes.toString('hex')
  return named
})
const id: Uint8Array = parseId(formatId(server.publicKey))
const transport = fromWebStreams({ readable: new ReadableStream<Uint8Array>(), writable: new WritableStream<Uint8Array>() })
// secret-channel/pull runs in a page too; its duplex carries the page's byte arrays.
const connect = createClient(generateKeyPair(), SSB_MAIN_NETWORK_APP_KEY)
const dialed = connect(server.publicKey, (err, stream) => {
  if (err || !stream) return
  const remote: Uint8Array = stream.remote
  return remote
})
export { peer, id, transport, fromWebSocket, dialed }
`

function compileForBrowser(t: test.Test, dir: string): void {
  const app = join(dir, 'browser')
  mkdirSync(app)
  const example = codeBlocks(join(root, 'README.md'), 'README.md').find((b) => b.code.includes('// in a page'))
  t.ok(example, "the README's in-page example")
  writeFileSync(join(app, 'readme-example.ts'), `${example?.code ?? ''}\nexport {}\n`)
  writeFileSync(join(app, 'app.ts'), BROWSER_APP)
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'esnext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false },
    files: ['app.ts', 'readme-example.ts']
  }))
  const { status, out } = run(process.execPath, [tsc, '-p', 'tsconfig.json'], app)
  t.equal(status, 0, `a browser project (browser condition, DOM, no Node types) compiles${status === 0 ? '' : `\n${out}`}`)
}

test('the packed package installs lean and type-checks for a strict consumer, docs included', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'secret-channel-consumer-'))
  try {
    const packed = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)
    t.equal(packed.status, 0, 'npm pack')
    const info = JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
    const files = info[0]!.files.map((f) => f.path)
    for (const name of ['LICENSE', 'CHANGELOG.md', 'README.md', 'SECURITY.md', 'docs/pull.md', 'docs/transports.md', 'dist/lib/index.d.ts', 'bin/secret-channel.js']) {
      t.ok(files.includes(name), `the tarball ships ${name}`)
    }
    t.notOk(files.some((f) => /prof\.tmp|\/test\/|^dist\/(test|bench|examples)\//.test(f)), 'no test, bench, example or stray files')

    const dir = join(work, 'consumer')
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }))
    const installed = run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info[0]!.filename)], dir)
    if (installed.status !== 0 && /ENOTFOUND|EAI_AGAIN|ENOTCACHED|ECONNREFUSED|ETIMEDOUT/.test(installed.out)) {
      t.comment(`npm install could not reach the registry or its cache:\n${installed.out}`)
      t.skip('install and compile checks need the npm registry or a warm cache')
      return
    }
    t.equal(installed.status, 0, `npm install of the tarball${installed.status === 0 ? '' : `\n${installed.out}`}`)
    t.doesNotMatch(installed.out, /install-scripts|gyp|prebuild/i, 'no install-script warnings, nothing built')
    const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> }
    const packages = Object.keys(lock.packages).filter((p) => p !== '')
    t.ok(packages.length <= 25, `${packages.length} packages installed (at most 25)`)
    t.deepEqual(packages.filter((p) => lock.packages[p]!.hasInstallScript), [], 'none has an install script')
    t.notOk(existsSync(join(dir, 'node_modules', 'better-sqlite3')), 'better-sqlite3 is not installed (an optional peer)')

    const pkg = join(dir, 'node_modules', 'secret-channel')
    // The optional native addon: never built by the install; one documented command builds it
    // where a compiler and libsodium's headers are (CI installs libsodium-dev).
    t.notOk(existsSync(join(pkg, 'native', 'build')), 'the install built no native addon')
    if (existsSync('/usr/include/sodium.h')) {
      const built = run(npm, ['explore', 'secret-channel', '--', 'npm', 'run', 'build:native'], dir)
      t.equal(built.status, 0, `npm explore secret-channel -- npm run build:native${built.status === 0 ? '' : `\n${built.out}`}`)
      const addon = createRequire(join(dir, 'index.js'))(join(pkg, 'native', 'build', 'Release', 'box_stream.node')) as Record<string, unknown>
      t.ok(typeof addon.sealFrames === 'function' && typeof addon.openFrames === 'function', 'the built addon loads and has its two calls')
      // The installed library finds it where the build left it (dist/lib/crypto → native/build).
      const loader = join(pkg, 'dist', 'lib', 'crypto', 'native-box-stream.js')
      const found = run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(loader).href)}); process.exit(m.loadNativeBoxStream() ? 0 : 1)`], dir)
      t.equal(found.status, 0, `the installed library loads the addon it built${found.status === 0 ? '' : `\n${found.out}`}`)
    } else {
      t.skip('no libsodium headers here: the addon build is not tried')
    }
    const maps = (function find (d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? find(join(d, e.name)) : e.name.endsWith('.map') ? [join(d, e.name)] : [])
    })(join(pkg, 'dist'))
    t.ok(maps.every((m) => Array.isArray((JSON.parse(readFileSync(m, 'utf8')) as { sourcesContent?: unknown }).sourcesContent)), `all ${maps.length} source maps carry their sources`)

    // The consumer brings its own @types/node (as any TypeScript user of Node does): lend ours.
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true })
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'))
    symlinkSync(join(root, 'node_modules', 'undici-types'), join(dir, 'node_modules', 'undici-types'))

    writeFileSync(join(dir, 'prelude.ts'), PRELUDE)
    writeFileSync(join(dir, 'ambient.d.ts'), AMBIENT)
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER)
    const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
    let count = 0
    for (const doc of docs) {
      for (const block of codeBlocks(join(root, doc), doc)) {
        const name = `${doc.replace(/[/.]/g, '_')}_line${block.line}.${block.lang}`
        writeFileSync(join(dir, name), `// ${doc}:${block.line}\n${block.code}\nexport {}\n`)
        count++
      }
    }
    t.ok(count >= 10, `${count} code blocks from README.md and docs/*.md`)

    rmSync(join(dir, 'node_modules', 'sodium-native'), { recursive: true, force: true })
    await compile(t, dir, 'without the optional packages')
    for (const name of ['better-sqlite3', 'sodium-native', join('@types', 'better-sqlite3')]) {
      symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name))
    }
    await compile(t, dir, 'with better-sqlite3, its types and sodium-native')
    compileForBrowser(t, dir)
    execFileSync(process.execPath, ['-e', 'import("secret-channel").then((m) => { if (typeof m.connect !== "function") process.exit(1) })'], { cwd: dir })
    t.pass('the installed package imports')
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})
