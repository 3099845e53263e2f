/**
 * The page side of the browser suite (test/browser/suite.test.ts): fixes the crypto backend named
 * in the URL (`?backend=noble|wasm|webcrypto`) before any test registers, as
 * SECRET_CHANNEL_CRYPTO and test/helpers/crypto-ready.ts do in Node, then imports one compiled
 * test file (`&file=`) and lets the real tape run it. tape prints TAP with console.log; the lines
 * starting `# suite:` are this runner's, for the Node side.
 */
import tape from 'tape'
import { cryptoReady, getCryptoBackend, useCryptoBackend } from '../../lib/crypto/index.js'

/** Test files by their path under dist/test, each a dynamic import (a chunk of its own). */
export type SuiteFiles = Record<string, () => Promise<unknown>>

interface SuiteGlobals { __suiteSkips?: Record<string, string>; __suiteSkipsUsed?: string[] }

/** Makes `name` this page's backend: noble; wasm (libsodium-wrappers, loaded here); webcrypto (crypto.subtle's curves). */
async function useBackend(name: string): Promise<void> {
  if (name === 'noble') useCryptoBackend('noble')
  else if (name === 'wasm') await (await import('../../lib/wasm.js')).useWasmCrypto()
  else await cryptoReady(name)
}

/**
 * Runs the test file and backend the page's URL names.
 * @example
 * ```ts
 * await runSuiteFile({ 'boxstream/codec.test.js': () => import('../boxstream/codec.test.js') })
 * ```
 */
export async function runSuiteFile(files: SuiteFiles): Promise<void> {
  const params = new URLSearchParams((globalThis as unknown as { location: { search: string } }).location.search)
  const file = params.get('file') ?? ''
  const suite = globalThis as SuiteGlobals
  try {
    await useBackend(params.get('backend') ?? '')
    console.log(`# suite: backend ${getCryptoBackend().name}`)
    suite.__suiteSkips = JSON.parse(params.get('skip') ?? '{}') as Record<string, string>
    if (!Object.hasOwn(files, file)) throw new Error(`no test file ${file} in the bundle`)
    // tape starts once the whole file (top-level awaits included) has registered its tests.
    tape.wait()
    await files[file]!()
    tape.onFinish(() => {
      // The page has no process exit for tape to wait for: print the plan and counts now.
      (tape as unknown as { getHarness(): { close(): void } }).getHarness().close()
      console.log(`# suite: finished ${JSON.stringify(suite.__suiteSkipsUsed ?? [])}`)
    })
    tape.run()
  } catch (err) {
    console.log(`# suite: error ${String((err as Error)?.stack ?? err)}`)
  }
}
