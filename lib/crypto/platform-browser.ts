/**
 * The crypto backends of the portable core (browsers and other web runtimes), reached through the
 * `#crypto-platform` import under the `browser` condition: noble only, so the core bundle stays
 * small. The WebAssembly backend is opt-in (`secret-channel/wasm`), since libsodium's WASM is
 * several times the size of the rest of the package.
 * @module
 */
import type { CryptoBackend } from './backend.js'
import { createNobleBackend } from './noble.js'

/** Synchronous factories; one that cannot load here throws. */
export const platformFactories: Record<string, () => CryptoBackend> = {
  noble: createNobleBackend
}

/** Automatic choice, fastest first (backends registered later go in front). */
export const platformPreference: readonly string[] = ['noble']

/** Backends that need asynchronous initialisation first. */
export const platformLoaders: Record<string, () => Promise<unknown>> = {}

/** A web page has no environment variables; the backend is chosen in code. */
export function forcedBackendName(): string | undefined {
  return undefined
}
