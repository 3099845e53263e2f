/**
 * Chooses the crypto backend. Today: the portable noble backend. Faster backends register here
 * and are picked automatically when they load; `SECRET_CHANNEL_CRYPTO=<name>` or
 * {@link useCryptoBackend} forces one.
 * @module
 */
import type { CryptoBackend } from './backend.js'
import { createNobleBackend } from './noble.js'
import { SecretChannelError, ErrorCodes } from '../errors.js'

export type { CryptoBackend, SignKeyPair } from './backend.js'

/** Names of the backends this build knows, in order of preference. */
export type CryptoBackendName = 'noble'

const factories: Record<string, () => CryptoBackend> = {
  noble: createNobleBackend
}

const preference: string[] = ['noble']

let current: CryptoBackend | null = null

/** Creates the named backend; throws `ERR_INVALID_ARGUMENT` if it is unknown or cannot load here. */
export function createCryptoBackend(name: string): CryptoBackend {
  const factory = factories[name]
  if (!factory) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'crypto', `unknown crypto backend "${name}" (known: ${Object.keys(factories).join(', ')})`)
  return factory()
}

/** The backend in use: forced by `SECRET_CHANNEL_CRYPTO`, else the fastest that loads. */
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

/** Forces the process-wide backend, by name or as an object. Returns the backend now in use. */
export function useCryptoBackend(backend: string | CryptoBackend): CryptoBackend {
  current = typeof backend === 'string' ? createCryptoBackend(backend) : backend
  return current
}
