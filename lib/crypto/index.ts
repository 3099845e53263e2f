/**
 * Chooses the crypto backend, fastest first: `sodium-native` (libsodium addon, optional), then
 * `node` (node:crypto for Ed25519/X25519/SHA-2, noble for secretbox), then `noble` (pure JS,
 * always loads). `SECRET_CHANNEL_CRYPTO=<name>` or {@link useCryptoBackend} forces one. All three
 * produce identical bytes and identical accept/reject decisions (test/crypto/backends.test.ts).
 * @module
 */
import type { CryptoBackend } from './backend.js'
import { createNobleBackend } from './noble.js'
import { createNodeBackend } from './node.js'
import { createSodiumBackend } from './sodium.js'
import { SecretChannelError, ErrorCodes } from '../errors.js'

export type { CryptoBackend, SignKeyPair, ScryptCost } from './backend.js'

/**
 * Names of the backends this build knows, in order of preference.
 * @example
 * ```ts
 * const name: CryptoBackendName = 'noble'
 * useCryptoBackend(name)
 * ```
 */
export type CryptoBackendName = 'sodium-native' | 'node' | 'noble'

const factories: Record<CryptoBackendName, () => CryptoBackend> = {
  'sodium-native': createSodiumBackend,
  node: createNodeBackend,
  noble: createNobleBackend
}

const preference: CryptoBackendName[] = ['sodium-native', 'node', 'noble']

let current: CryptoBackend | null = null

/**
 * Creates the named backend; throws `ERR_INVALID_ARGUMENT` if it is unknown or cannot load here.
 * @example
 * ```ts
 * const noble = createCryptoBackend('noble') // a fresh instance, not the process-wide one
 * const stream = new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey, crypto: noble })
 * ```
 */
export function createCryptoBackend(name: string): CryptoBackend {
  const factory = Object.hasOwn(factories, name) ? factories[name as CryptoBackendName] : undefined
  if (!factory) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `unknown crypto backend "${name}" (known: ${Object.keys(factories).join(', ')})`)
  try {
    return factory()
  } catch (cause) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `crypto backend "${name}" cannot be loaded here`, { cause })
  }
}

/**
 * The names of the backends that load in this process, fastest first.
 * @example
 * ```ts
 * console.log(availableCryptoBackends()) // e.g. ['sodium-native', 'node', 'noble']
 * ```
 */
export function availableCryptoBackends(): CryptoBackendName[] {
  return preference.filter((name) => {
    try {
      factories[name]()
      return true
    } catch {
      return false
    }
  })
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
  const forced = process.env.SECRET_CHANNEL_CRYPTO
  if (forced) {
    current = createCryptoBackend(forced)
    return current
  }
  for (const name of preference) {
    try {
      current = createCryptoBackend(name)
      return current
    } catch {
      // Optional backends may fail to load (no native addon); fall through to the next one.
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
  return current
}
