/**
 * The crypto backends Node can offer, reached through the `#crypto-platform` import (package.json
 * "imports"): bundlers targeting the web resolve that name to `platform-browser.ts` instead, so a
 * browser bundle never sees node:crypto, node:module or the native addon.
 * @module
 */
import type { CryptoBackend } from './backend.js'
import { createNobleBackend } from './noble.js'
import { createNodeBackend } from './node.js'
import { createSodiumBackend } from './sodium.js'
import { createWasmBackend, loadWasmBackend } from './wasm.js'

/** Synchronous factories; one that cannot load here throws. */
export const platformFactories: Record<string, () => CryptoBackend> = {
  'sodium-native': createSodiumBackend,
  wasm: createWasmBackend,
  node: createNodeBackend,
  noble: createNobleBackend
}

/**
 * Automatic choice, fastest first. `wasm` only counts once `cryptoReady()` loaded it; it comes
 * before `node` for its data path (2× on box+unbox) at a small cost in handshakes.
 */
export const platformPreference: readonly string[] = ['sodium-native', 'wasm', 'node', 'noble']

/** Backends that need asynchronous initialisation first. */
export const platformLoaders: Record<string, () => Promise<unknown>> = {
  wasm: loadWasmBackend
}

/** The backend forced by the environment (`SECRET_CHANNEL_CRYPTO`), if any. */
export function forcedBackendName(): string | undefined {
  return process.env.SECRET_CHANNEL_CRYPTO || undefined
}
