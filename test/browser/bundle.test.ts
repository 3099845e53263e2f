/**
 * The browser bundle: esbuild (platform browser, the package's `browser` condition) bundles the
 * package root; no Node built-in and no Node-only module of ours is pulled in; a WebSocket client
 * (the core's SecretStream and keys plus fromWebSocket), minified and gzipped, stays within 45 KB
 * with the noble backend, counting every chunk a page loads up front. Prints the sizes.
 */
import test from 'tape'
import { builtinModules } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { root } from './harness.js'

const BUDGET = 45 * 1024
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
/** Our modules that must never reach a browser bundle. */
const NODE_ONLY = [/dist\/lib\/net\//, /dist\/lib\/protocols\//, /dist\/lib\/cli\//, /crypto\/(node|sodium|wasm|platform-node)\.js$/, /platform\/bytes-node\.js$/, /websocket-server\.js$/]

/** The code of a compiled module without its comments (TSDoc mentions Buffer on purpose). */
const codeOf = (file: string): string => readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

/**
 * What a page loads before the bundle runs: the entry chunk and every chunk it imports
 * statically, each gzipped on its own (as a server sends them). Chunks reached only through a
 * dynamic import (scrypt for the account protocols, the WebCrypto backend) load when asked for.
 */
async function bundle(contents: string): Promise<{ gz: number; min: number; chunks: number; inputs: string[]; imports: string[] }> {
  // Code splitting, as Vite, Rollup and webpack do by default. Code an entry shares with a dynamic
  // chunk moves to a chunk of its own that the entry imports statically: it counts.
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir: join(root, 'dist', 'browser-bundle-test'),
    metafile: true,
    logLevel: 'silent'
  })
  const outputs = result.metafile.outputs
  const entry = Object.entries(outputs).find(([, o]) => o.entryPoint !== undefined)![0]
  const upFront = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const chunk = pending.pop()!
    if (upFront.has(chunk)) continue
    upFront.add(chunk)
    for (const imported of outputs[chunk]!.imports) if (imported.kind === 'import-statement') pending.push(imported.path)
  }
  let gz = 0
  let min = 0
  for (const chunk of upFront) {
    const code = result.outputFiles.find((f) => f.path === join(root, chunk))!.contents
    gz += gzipSync(code, { level: 9 }).length
    min += code.length
  }
  const inputs = Object.keys(result.metafile.inputs)
  const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
  return { gz, min, chunks: upFront.size, inputs, imports }
}

/** Everything the package root exports may grow past the client's budget, but not unnoticed. */
const WHOLE_CORE_GUARD = 48 * 1024

test('the browser entry bundles without Node built-ins; a WebSocket client within 45 KB gzipped', async (t) => {
  const full = await bundle("export * from 'secret-channel'")
  t.ok(full.inputs.some((i) => i.endsWith('dist/lib/core.js')), 'the browser condition picks lib/core.js for the package root')
  t.deepEqual(full.imports.filter((p) => builtins.has(p)), [], 'no Node built-in is imported')
  t.deepEqual(full.inputs.filter((i) => NODE_ONLY.some((re) => re.test(i))), [], 'no Node-only module of ours (net, protocols, cli, node/sodium/wasm backends)')
  const client = await bundle("export { SecretStream, fromWebSocket, generateKeyPair, parseId, formatId, SSB_MAIN_NETWORK_APP_KEY } from 'secret-channel'")
  t.ok(client.gz <= BUDGET, `a WebSocket client (SecretStream + fromWebSocket + keys), loaded up front: ${(client.gz / 1024).toFixed(1)} KB gzipped in ${client.chunks} chunks <= 45 KB`)
  t.ok(full.gz <= WHOLE_CORE_GUARD, `everything the root exports, loaded up front: ${(full.gz / 1024).toFixed(1)} KB gzipped (${(full.min / 1024).toFixed(0)} KB minified) <= 48 KB (not the budget: a guard)`)
  console.log(`# browser bundle, noble backend, up front: WebSocket client ${(client.gz / 1024).toFixed(1)} KB gz (budget 45 KB), whole core ${(full.gz / 1024).toFixed(1)} KB gz`)
})

test('the portable core\'s own modules use no Buffer global (needs no polyfill)', async (t) => {
  const { inputs } = await bundle("export * from 'secret-channel'")
  const ours = inputs.filter((i) => i.startsWith('dist/lib/'))
  const users = ours.filter((i) => /\bBuffer\b/.test(codeOf(i)))
  t.deepEqual(users, [], `no Buffer in any of our ${ours.length} modules in the bundle`)
})
