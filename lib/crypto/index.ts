/**
 * Chooses the crypto backend, fastest first. In Node: `sodium-native` (libsodium addon,
 * optional), `wasm` (libsodium-wrappers, optional, once `await cryptoReady()` loaded it), `node`
 * (node:crypto for Ed25519/X25519/SHA-2, noble for secretbox), then `noble` (pure JS, always
 * loads). In the portable core (browsers): `noble`, plus `wasm` when `secret-channel/wasm` is used.
 * `SECRET_CHANNEL_CRYPTO=<name>` (Node) or {@link useCryptoBackend} forces one. All of them
 * produce identical bytes and identical accept/reject decisions (test/crypto/backends.test.ts).
 * @module
 */
import type { CryptoBackend } from './backend.js'
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
export type CryptoBackendName = 'sodium-native' | 'wasm' | 'node' | 'noble'

const factories: Record<string, () => CryptoBackend> = { ...platformFactories }
const loaders: Record<string, () => Promise<unknown>> = { ...platformLoaders }
const preference: string[] = [...platformPreference]

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
 *
 * Streams already created keep the backend they were built with.
 * @example
 * ```ts
 * const crypto = await cryptoReady() // e.g. "wasm" where libsodium-wrappers is installed
 * console.log(crypto.name)
 * ```
 */
export async function cryptoReady(name?: CryptoBackendName | string): Promise<CryptoBackend> {
  if (name !== undefined) {
    const load = Object.hasOwn(loaders, name) ? loaders[name] : undefined
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
