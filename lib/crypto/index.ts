/**
 * Chooses the crypto backend, fastest first. In Node: `sodium-native` (libsodium addon,
 * optional), `wasm` (libsodium-wrappers, optional, once `await cryptoReady()` loaded it), `node`
 * (node:crypto for Ed25519/X25519/SHA-2, noble for secretbox), then `noble` (pure JS, always
 * loads). In the portable core (browsers): `noble`, plus `wasm` when `secret-channel/wasm` is used.
 * `SECRET_CHANNEL_CRYPTO=<name>` (Node) or {@link useCryptoBackend} forces one. All of them
 * produce identical bytes and identical accept/reject decisions (test/crypto/backends.test.ts).
 *
 * `webcrypto` is opt-in everywhere (`await cryptoReady('webcrypto')`, or
 * `SECRET_CHANNEL_CRYPTO=webcrypto` in Node): the handshake's public-key operations on
 * `crypto.subtle` (`webcrypto.ts`), everything else on the best synchronous backend. It is never
 * the automatic choice.
 * @module
 */
import type { AsyncCurveBackend, CryptoBackend } from './backend.js'
import { forcedBackendName, platformFactories, platformLoaders, platformPreference } from '#crypto-platform'
import { SecretChannelError, ErrorCodes } from '../errors.js'

export type { CryptoBackend, SignKeyPair, ScryptCost } from './backend.js'

/**
 * Names of the backends this package knows, in order of preference.
 * @example
 * ```ts
 * const name: CryptoBackendName = 'noble'
 * useCryptoBackend(name)
 * ```
 */
export type CryptoBackendName = 'sodium-native' | 'wasm' | 'node' | 'noble' | 'webcrypto'

const factories: Record<string, () => CryptoBackend> = { ...platformFactories, webcrypto: createWebCryptoBackend }
const loaders: Record<string, () => Promise<unknown>> = { ...platformLoaders }
/** Loaders that only `cryptoReady(name)` runs: backends that are never chosen automatically. */
const optInLoaders: Record<string, () => Promise<unknown>> = { webcrypto: loadWebCrypto }
const preference: string[] = [...platformPreference]

/** The WebCrypto curve, once {@link loadWebCrypto} probed it. */
let webCurve: AsyncCurveBackend | null = null

/** The fastest synchronous backend that loads (the automatic order), for WebCrypto's symmetric half. */
function bestSynchronous(): CryptoBackend {
  for (const name of preference) {
    try {
      return factories[name]!()
    } catch {
      // Optional backends may not load here; try the next one.
    }
  }
  throw new Error('no synchronous crypto backend could be loaded')
}

/**
 * Probes `crypto.subtle` for Ed25519 and X25519 with libsodium's answers; rejects where they are
 * missing. The module is a dynamic import: a bundle keeps it in a chunk of its own, loaded by the
 * pages that ask for it.
 */
async function loadWebCrypto(): Promise<void> {
  if (webCurve) return
  const { createWebCryptoCurve, probeWebCrypto } = await import('./webcrypto.js')
  const sync = bestSynchronous()
  await probeWebCrypto(sync)
  webCurve = createWebCryptoCurve(sync)
}

/** The best synchronous backend with the WebCrypto curve for the handshake's public-key operations. */
function createWebCryptoBackend(): CryptoBackend {
  if (!webCurve) throw new Error('the webcrypto backend needs `await cryptoReady(\'webcrypto\')` first')
  return { ...bestSynchronous(), name: 'webcrypto', asyncCurve: webCurve }
}

let current: CryptoBackend | null = null
/** True while `current` is the automatic choice, which {@link cryptoReady} may improve on. */
let automatic = false

/**
 * Creates the named backend; throws `ERR_INVALID_ARGUMENT` if it is unknown or cannot load here.
 * @example
 * ```ts
 * const noble = createCryptoBackend('noble') // a fresh instance, not the process-wide one
 * const stream = new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey, crypto: noble })
 * ```
 */
export function createCryptoBackend(name: string): CryptoBackend {
  const factory = Object.hasOwn(factories, name) ? factories[name] : undefined
  if (!factory) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `unknown crypto backend "${name}" (known here: ${Object.keys(factories).join(', ')})`)
  try {
    return factory()
  } catch (cause) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `crypto backend "${name}" cannot be loaded here`, { cause })
  }
}

/**
 * The names of the backends that load in this process now, fastest first (`wasm` only after {@link cryptoReady}).
 * @example
 * ```ts
 * console.log(availableCryptoBackends()) // e.g. ['sodium-native', 'node', 'noble']
 * ```
 */
export function availableCryptoBackends(): CryptoBackendName[] {
  return preference.filter((name) => {
    try {
      factories[name]!()
      return true
    } catch {
      return false
    }
  }) as CryptoBackendName[]
}

/**
 * The backend in use: forced by `SECRET_CHANNEL_CRYPTO`, else the fastest that loads.
 * @example
 * ```ts
 * console.log(getCryptoBackend().name) // 'sodium-native' when it loads, else 'node' or 'noble'
 * ```
 */
export function getCryptoBackend(): CryptoBackend {
  if (current) return current
  const forced = forcedBackendName()
  if (forced) {
    current = createCryptoBackend(forced)
    return current
  }
  for (const name of preference) {
    try {
      current = createCryptoBackend(name)
      automatic = true
      return current
    } catch {
      // Optional backends may fail to load (no native addon, WASM not initialised); try the next one.
    }
  }
  throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', 'no crypto backend could be loaded')
}

/**
 * Forces the process-wide backend, by name or as an object. Returns the backend now in use.
 * @example
 * ```ts
 * useCryptoBackend('noble') // pure JavaScript for every stream created after this call
 * ```
 */
export function useCryptoBackend(backend: string | CryptoBackend): CryptoBackend {
  current = typeof backend === 'string' ? createCryptoBackend(backend) : backend
  automatic = false
  return current
}

/**
 * Finishes the asynchronous initialisation some backends need (WebAssembly compiles
 * asynchronously). Everything works without it, on the fastest synchronous backend.
 *
 * - `await cryptoReady()` loads every optional backend that can load here (failures are ignored)
 *   and returns the process-wide backend, re-chosen if it had been chosen automatically.
 * - `await cryptoReady('wasm')` loads that backend (rejecting with `ERR_INVALID_ARGUMENT` when it
 *   cannot load) and makes it the process-wide backend.
 * - `await cryptoReady('webcrypto')` probes `crypto.subtle` (key generation, X25519, Ed25519 sign
 *   and verify against libsodium's answers) and makes it the handshake's curve, with symmetric
 *   work on the best synchronous backend (load `wasm` first to have it there). Where the runtime
 *   lacks the algorithms it rejects with `ERR_INVALID_ARGUMENT` and nothing changes. Only this
 *   call (or `SECRET_CHANNEL_CRYPTO=webcrypto`) selects it.
 *
 * Streams already created keep the backend they were built with.
 * @example
 * ```ts
 * const crypto = await cryptoReady() // e.g. "wasm" where libsodium-wrappers is installed
 * console.log(crypto.name)
 * await cryptoReady('webcrypto').catch(() => {}) // handshakes on crypto.subtle where it has Ed25519 and X25519
 * ```
 */
export async function cryptoReady(name?: CryptoBackendName | string): Promise<CryptoBackend> {
  if (name !== undefined) {
    const load = Object.hasOwn(loaders, name) ? loaders[name] : Object.hasOwn(optInLoaders, name) ? optInLoaders[name] : undefined
    if (load) {
      try {
        await load()
      } catch (cause) {
        throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `crypto backend "${name}" cannot be loaded here`, { cause })
      }
    }
    return useCryptoBackend(name)
  }
  await Promise.all(Object.values(loaders).map((load) => load().catch(() => undefined)))
  if (automatic && !forcedBackendName()) current = null
  return getCryptoBackend()
}

/**
 * Adds a backend to the automatic choice, in front of the built-in ones, with an optional
 * asynchronous loader that {@link cryptoReady} runs. Used by `secret-channel/wasm`.
 * @example
 * ```ts
 * registerCryptoBackend('mine', () => myBackend)
 * useCryptoBackend('mine')
 * ```
 */
export function registerCryptoBackend(name: string, factory: () => CryptoBackend, load?: () => Promise<unknown>): void {
  factories[name] = factory
  if (load) loaders[name] = load
  if (!preference.includes(name)) preference.unshift(name)
}
