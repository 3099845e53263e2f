/**
 * The browser bundle's size, as a page loads it: esbuild (platform browser, the package's
 * `browser` condition, minified, code splitting as Vite, Rollup and webpack do by default)
 * bundles an entry that imports from `secret-channel`; every chunk the entry loads up front
 * counts, each gzipped on its own (as a server sends them). Chunks reached only through a dynamic
 * import (scrypt for the account protocols, the WebCrypto backend) load when asked for.
 *
 * `npm run build` runs this file after compiling and prints the sizes; test/browser/bundle.test.ts
 * holds them to the budget.
 * @module
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

/** The repository root (dist/bench -> ../..). */
const root = fileURLToPath(new URL('../..', import.meta.url))

/** The budget for a WebSocket client (the "core plus fromWebSocket"), gzipped, up front. */
export const CLIENT_BUDGET = 45 * 1024
/** Everything the package root exports may grow past the client's budget, but not unnoticed. */
export const WHOLE_CORE_GUARD = 48 * 1024
/** The WebSocket client the budget is about: `SecretStream`, `fromWebSocket` and the key helpers. */
export const CLIENT_ENTRY = "export { SecretStream, fromWebSocket, generateKeyPair, parseId, formatId, SSB_MAIN_NETWORK_APP_KEY } from 'secret-channel'"
/** Everything the root exports under the `browser` condition. */
export const WHOLE_CORE_ENTRY = "export * from 'secret-channel'"

/** What {@link measureBundle} found. */
export interface BundleSize {
  /** Bytes gzipped (level 9), summed over the chunks loaded up front. */
  gz: number
  /** Bytes minified, same chunks. */
  min: number
  /** How many chunks load up front. */
  chunks: number
  /** Every input file (relative to the root). */
  inputs: string[]
  /** Every import path any input makes. */
  imports: string[]
}

/**
 * Bundles `contents` (an ES module importing from `secret-channel`) for the browser and measures
 * what a page loads up front.
 * @example
 * ```ts
 * const { gz } = await measureBundle(CLIENT_ENTRY)
 * console.log(`${(gz / 1024).toFixed(1)} KB gzipped`)
 * ```
 */
export async function measureBundle(contents: string): Promise<BundleSize> {
  const { build } = await import('esbuild')
  // Code an entry shares with a dynamic chunk moves to a chunk of its own that the entry imports
  // statically: it counts.
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir: join(root, 'dist', 'browser-bundle-size'),
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

/** One line for the build log. */
async function report(): Promise<void> {
  try {
    await import('esbuild')
  } catch {
    console.log('browser bundle size: not measured (esbuild, a devDependency, is not installed)')
    return
  }
  const [client, whole] = await Promise.all([measureBundle(CLIENT_ENTRY), measureBundle(WHOLE_CORE_ENTRY)])
  const kb = (n: number): string => (n / 1024).toFixed(1)
  const within = client.gz <= CLIENT_BUDGET ? 'within' : 'OVER'
  console.log(`browser bundle (noble backend, minified + gzipped, loaded up front): WebSocket client ${kb(client.gz)} KB (${within} the ${kb(CLIENT_BUDGET)} KB budget), everything the root exports ${kb(whole.gz)} KB`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await report()
