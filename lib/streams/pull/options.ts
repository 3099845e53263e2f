/**
 * Argument handling shared by the pull-stream client and server, with the reference's leniency:
 * an app key may be bytes or base64 text, a falsy timeout means the 5000 ms default.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { assertKeyPair, generateKeyPair, type KeyPair } from '../../keys.js'
import { base64PlatformBytes, copyPlatformBytes } from '#platform-bytes'
import type { PlatformBytes } from '../../platform/bytes-type.js'

const PHASE = 'handshake'

/**
 * The handshake timeout used when none is given, as in secret-handshake.
 * @example
 * ```ts
 * const connect = createClient(keys, appKey, DEFAULT_TIMEOUT_MS) // 5000, as secret-handshake
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 5000

/** A 32-byte app key from bytes or base64 text; throws `ERR_INVALID_ARGUMENT` otherwise. */
export function toAppKey(appKey: Uint8Array | string): PlatformBytes {
  const bytes = typeof appKey === 'string' ? base64PlatformBytes(appKey) : appKey
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'appKey must be 32 bytes (a Buffer or Uint8Array, or base64 text)')
  }
  return copyPlatformBytes(bytes)
}

/** Milliseconds for the whole handshake: falsy means {@link DEFAULT_TIMEOUT_MS}, `Infinity` means none. */
export function toTimeout(timeout: number | undefined | null): number {
  if (!timeout) return DEFAULT_TIMEOUT_MS
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'timeout must be a positive number of milliseconds')
  }
  return timeout
}

/**
 * A key pair from what secret-handshake accepts: `{ publicKey, secretKey }`, or a 32-byte seed
 * (as its `toKeys` does).
 * @example
 * ```ts
 * const keys = toKeys(seed) // a 32-byte seed or a key pair, as secret-handshake accepts
 * ```
 */
export function toKeys(keys: KeyPair | Uint8Array): KeyPair {
  if (keys instanceof Uint8Array && keys.length === 32) return generateKeyPair(keys)
  return assertKeyPair(keys, 'keys')
}

/** True when `value` is a byte array of exactly `length` bytes. */
export function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length
}
