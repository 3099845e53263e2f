/**
 * The browser bundle: esbuild (platform browser, the package's `browser` condition) bundles the
 * package root; no Node built-in and no Node-only module of ours is pulled in; the core plus
 * fromWebSocket, minified and gzipped, stays within 45 KB with the noble backend. Prints the size.
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

async function bundle(contents: string): Promise<{ gz: number; min: number; inputs: string[]; imports: string[] }> {
  // Code splitting, as Vite, Rollup and webpack do by default: what a page loads up front is the
  // entry chunk; a dynamic import (scrypt, used only by the account protocols) is a chunk of its own.
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
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined)![0]
  const code = result.outputFiles.find((f) => f.path === join(root, entry))!.contents
  const inputs = Object.keys(result.metafile.inputs)
  const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
  return { gz: gzipSync(code, { level: 9 }).length, min: code.length, inputs, imports }
}

test('the browser entry bundles without Node built-ins, within 45 KB gzipped', async (t) => {
  const full = await bundle("export * from 'secret-channel'")
  t.ok(full.inputs.some((i) => i.endsWith('dist/lib/core.js')), 'the browser condition picks lib/core.js for the package root')
  t.deepEqual(full.imports.filter((p) => builtins.has(p)), [], 'no Node built-in is imported')
  t.deepEqual(full.inputs.filter((i) => NODE_ONLY.some((re) => re.test(i))), [], 'no Node-only module of ours (net, protocols, cli, node/sodium/wasm backends)')
  t.ok(full.gz <= BUDGET, `the whole portable core: ${(full.gz / 1024).toFixed(1)} KB gzipped (${(full.min / 1024).toFixed(0)} KB minified) <= 45 KB`)
  const client = await bundle("export { SecretStream, fromWebSocket, generateKeyPair, parseId, formatId, SSB_MAIN_NETWORK_APP_KEY } from 'secret-channel'")
  t.ok(client.gz <= full.gz, `a WebSocket client (SecretStream + fromWebSocket + keys): ${(client.gz / 1024).toFixed(1)} KB gzipped`)
  console.log(`# browser bundle, noble backend: core ${(full.gz / 1024).toFixed(1)} KB gz, client ${(client.gz / 1024).toFixed(1)} KB gz (budget 45 KB)`)
})

test('the portable core\'s own modules use no Buffer global (needs no polyfill)', async (t) => {
  const { inputs } = await bundle("export * from 'secret-channel'")
  const ours = inputs.filter((i) => i.startsWith('dist/lib/'))
  const users = ours.filter((i) => /\bBuffer\b/.test(codeOf(i)))
  t.deepEqual(users, [], `no Buffer in any of our ${ours.length} modules in the bundle`)
})
