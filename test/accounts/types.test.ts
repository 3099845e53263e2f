/**
 * The published declarations never name better-sqlite3's or ws's types: a strict consumer (no
 * skipLibCheck) without @types/better-sqlite3 or @types/ws compiles against them. better-sqlite3 is
 * an optional peer dependency that only the account servers load; ws is a runtime dependency whose
 * types are only a devDependency of this package.
 */
import test from 'tape'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const lib = join(root, 'dist', 'lib')

function declarations(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? declarations(path) : name.endsWith('.d.ts') ? [path] : []
  })
}

for (const dep of ['better-sqlite3', 'ws']) {
  test(`types: no declaration file imports ${dep}`, (t) => {
    // Code only: TSDoc examples may show how a server opens the database.
    const code = (f: string) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
    const imports = new RegExp(`(from|import\\()\\s*['"]${dep}['"]`)
    const offenders = declarations(lib).filter((f) => imports.test(code(f)))
    t.deepEqual(offenders.map((f) => f.slice(lib.length + 1)), [], 'none')
    t.end()
  })
}

test('types: a strict consumer without @types/better-sqlite3 or @types/ws compiles against the published declarations', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strict-consumer-'))
  try {
    const pkg = join(dir, 'node_modules', 'secret-channel')
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true })
    cpSync(lib, join(pkg, 'lib'), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.d.ts') })
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'secret-channel', type: 'module', exports: { '.': { types: './lib/index.d.ts' } } }))
    // Only what the package really depends on (and Node's types) is visible, never @types/better-sqlite3 or @types/ws.
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'))
    for (const dep of ['undici-types', 'streamx', 'pull-stream', '@noble']) {
      try { symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep)) } catch { /* not installed: not needed */ }
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['index.ts'] }))
    writeFileSync(join(dir, 'index.ts'), [
      "import { accounts } from 'secret-channel'",
      'const store: accounts.IdentityStore & accounts.KeyStore = new accounts.MemoryStore()',
      "export const sqlite: Promise<accounts.SqliteStore> = accounts.openSqliteStore(':memory:')",
      "import { createWebSocketServer, type SecretWebSocketServer, type WebSocketServerOptions } from 'secret-channel'",
      'export const make = (options: WebSocketServerOptions): SecretWebSocketServer => createWebSocketServer({ ...options, port: 0 })',
      'export const clients = (server: SecretWebSocketServer): number => server.wss.clients.size',
      'export { store }'
    ].join('\n'))
    let out = ''
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' })
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? err)
    }
    t.equal(out, '', 'tsc reports nothing')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  t.end()
})
