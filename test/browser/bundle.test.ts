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
import { root } from './harness.js'
import { CLIENT_BUDGET, CLIENT_ENTRY, WHOLE_CORE_ENTRY, WHOLE_CORE_GUARD, measureBundle as bundle } from '../../bench/bundle-size.js'

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
/** Our modules that must never reach a browser bundle. */
const NODE_ONLY = [/dist\/lib\/net\//, /dist\/lib\/protocols\//, /dist\/lib\/cli\//, /crypto\/(node|sodium|wasm|platform-node)\.js$/, /platform\/bytes-node\.js$/, /platform\/decoder-node\.js$/, /boxstream\/batch-decoder\.js$/, /crypto\/native-box-stream\.js$/, /websocket-server\.js$/]

/** The code of a compiled module without its comments (TSDoc mentions Buffer on purpose). */
const codeOf = (file: string): string => readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

test('the browser entry bundles without Node built-ins; a WebSocket client within 45 KB gzipped', async (t) => {
  const full = await bundle(WHOLE_CORE_ENTRY)
  t.ok(full.inputs.some((i) => i.endsWith('dist/lib/core.js')), 'the browser condition picks lib/core.js for the package root')
  t.deepEqual(full.imports.filter((p) => builtins.has(p)), [], 'no Node built-in is imported')
  t.deepEqual(full.inputs.filter((i) => NODE_ONLY.some((re) => re.test(i))), [], 'no Node-only module of ours (net, protocols, cli, node/sodium/wasm backends)')
  const client = await bundle(CLIENT_ENTRY)
  t.ok(client.gz <= CLIENT_BUDGET, `a WebSocket client (SecretStream + fromWebSocket + keys), loaded up front: ${(client.gz / 1024).toFixed(1)} KB gzipped in ${client.chunks} chunks <= 45 KB`)
  t.ok(full.gz <= WHOLE_CORE_GUARD, `everything the root exports, loaded up front: ${(full.gz / 1024).toFixed(1)} KB gzipped (${(full.min / 1024).toFixed(0)} KB minified) <= 48 KB (not the budget: a guard)`)
  console.log(`# browser bundle, noble backend, up front: WebSocket client ${(client.gz / 1024).toFixed(1)} KB gz (budget 45 KB), whole core ${(full.gz / 1024).toFixed(1)} KB gz`)
})

test('the portable core\'s own modules use no Buffer global (needs no polyfill)', async (t) => {
  const { inputs } = await bundle(WHOLE_CORE_ENTRY)
  const ours = inputs.filter((i) => i.startsWith('dist/lib/'))
  const users = ours.filter((i) => /\bBuffer\b/.test(codeOf(i)))
  t.deepEqual(users, [], `no Buffer in any of our ${ours.length} modules in the bundle`)
})
