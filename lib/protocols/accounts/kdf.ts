/**
 * Password → two independent keys.
 *
 * One scrypt run (memory-hard, random per-user salt, parameters stored beside the result) gives a
 * 64-byte master secret; HKDF-SHA-256 splits it into:
 *
 * ```
 * scrypt(password, salt, N=2^logN, r, p) ──► master (64 bytes)
 *   HKDF(master, salt, "secret-channel/accounts/v1/seal")  ──► sealKey  (never leaves the client)
 *   HKDF(master, salt, "secret-channel/accounts/v1/login") ──► loginKey (sent to the identity server)
 * ```
 *
 * Knowing the login key tells nothing about the seal key (HKDF outputs with different `info` are
 * independent), so the identity server, which sees login keys, cannot open the sealed private key
 * that the key server stores.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { wipe } from '../../crypto/policy.js'

/**
 * scrypt cost parameters, stored with everything derived from them.
 * @example
 * ```ts
 * const kdf: accounts.KdfParams = { logN: 17, r: 8, p: 1 } // scrypt cost: N = 2^17
 * ```
 */
export interface KdfParams {
  /** log2 of the CPU/memory cost N. 17 (N = 131072, 128 MiB with r = 8) by default. */
  logN: number
  /** Block size. 8 by default. */
  r: number
  /** Parallelism. 1 by default. */
  p: number
}

/** Bytes of a KDF salt. */
export const SALT_BYTES = 32
/** Bytes of {@link encodeKdfParams}' output. */
export const KDF_PARAMS_BYTES = 6

/**
 * The default parameters: logN = 17, r = 8, p = 1 (OWASP's scrypt recommendation).
 * `SECRET_CHANNEL_SCRYPT_LOGN` overrides logN (tests set it low to stay fast).
 * @example
 * ```ts
 * const kdf = accounts.defaultKdfParams() // the cost new passwords are sealed with
 * ```
 */
export function defaultKdfParams(): KdfParams {
  const env = Number(process.env.SECRET_CHANNEL_SCRYPT_LOGN)
  const logN = Number.isInteger(env) && env >= 1 && env <= 22 ? env : 17
  return { logN, r: 8, p: 1 }
}

/**
 * The weakest parameters a client accepts, from a server or from its own caller, at register,
 * backup, restore and password change (a hostile identity server could otherwise hand out cheap
 * parameters, then brute-force the login key it receives or fetch the weakly sealed key).
 *
 * OWASP's scrypt guidance (Password Storage Cheat Sheet): N = 2^17, r = 8, p = 1, or one of its
 * equal-cost alternatives, which trade memory for passes: (2^16, 8, 2), (2^15, 8, 3), (2^14, 8, 5),
 * (2^13, 8, 10); see {@link meetsKdfFloor}.
 *
 * `SECRET_CHANNEL_SCRYPT_MIN_LOGN` lowers logN for fast tests. It is read from this process's own
 * environment only, so nothing a server sends can lower it.
 * @example
 * ```ts
 * const floor = accounts.minimumKdfParams()
 * if (!accounts.meetsKdfFloor(offered, floor)) throw new Error('the server asks for a weaker KDF than we accept')
 * ```
 */
export function minimumKdfParams(): KdfParams {
  const env = Number(process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN)
  const logN = Number.isInteger(env) && env >= 1 && env <= 22 ? env : 17
  return { logN, r: 8, p: 1 }
}

/** OWASP's equal-cost alternatives to (logN, p) at r = 8: one step down in logN for each entry. */
const OWASP_TIERS: ReadonlyArray<{ down: number, p: number }> = [
  { down: 0, p: 1 }, { down: 1, p: 2 }, { down: 2, p: 3 }, { down: 3, p: 5 }, { down: 4, p: 10 }
]

/**
 * True when `params` costs at least `floor`: its block size is at least the floor's, and its
 * (logN, p) is at least one of OWASP's equal-cost tiers below the floor's logN
 * (logN, p ≥ 1), (logN − 1, p ≥ 2), (logN − 2, p ≥ 3), (logN − 3, p ≥ 5), (logN − 4, p ≥ 10).
 * @example
 * ```ts
 * accounts.meetsKdfFloor({ logN: 16, r: 8, p: 2 }, { logN: 17, r: 8, p: 1 }) // true: OWASP's equal-cost variant
 * ```
 */
export function meetsKdfFloor(params: KdfParams, floor: KdfParams): boolean {
  if (params.r < floor.r) return false
  return OWASP_TIERS.some((t) => params.logN >= floor.logN - t.down && params.p >= Math.max(floor.p, 1) * t.p)
}

/** Most memory scrypt may be asked to use (128 · N · r bytes): 1 GiB, e.g. logN 20 with r 8. */
const MAX_KDF_MEMORY = 1024 * 1024 * 1024

/**
 * Checks parameters are well-formed and within bounds: 1 ≤ logN ≤ 22, 1 ≤ r ≤ 32, 1 ≤ p ≤ 16,
 * at most {@link MAX_KDF_MEMORY} of memory (so a record or a server cannot make a client allocate
 * gigabytes), and (when `minimum` is given) at least as costly as `minimum`.
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT`
 */
export function assertKdfParams(params: KdfParams, minimum?: KdfParams, phase = 'kdf'): KdfParams {
  const ok = params && Number.isInteger(params.logN) && Number.isInteger(params.r) && Number.isInteger(params.p) &&
    params.logN >= 1 && params.logN <= 22 && params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16 &&
    128 * 2 ** params.logN * params.r <= MAX_KDF_MEMORY
  if (!ok) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'scrypt parameters out of range')
  if (minimum && !meetsKdfFloor(params, minimum)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase,
      `scrypt parameters (logN ${params.logN}, r ${params.r}, p ${params.p}) are weaker than the accepted minimum (logN ${minimum.logN}, r ${minimum.r}, p ${minimum.p} or an OWASP equal-cost variant)`)
  }
  return params
}

/**
 * Wire form of {@link KdfParams}, 6 bytes:
 * ```
 * [ 0x01 algorithm=scrypt | logN u8 | r u16 BE | p u16 BE ]
 * ```
 * @example
 * ```ts
 * const bytes = accounts.encodeKdfParams({ logN: 17, r: 8, p: 1 }) // the wire form
 * ```
 */
export function encodeKdfParams(params: KdfParams): Uint8Array {
  assertKdfParams(params)
  const out = Buffer.alloc(KDF_PARAMS_BYTES)
  out[0] = 1
  out[1] = params.logN
  out.writeUInt16BE(params.r, 2)
  out.writeUInt16BE(params.p, 4)
  return out
}

/**
 * Parses {@link encodeKdfParams}' output; throws `ERR_PROTOCOL` on anything else.
 * @example
 * ```ts
 * const kdf = accounts.decodeKdfParams(bytes) // throws ERR_PROTOCOL for a malformed or out-of-range value
 * ```
 */
export function decodeKdfParams(bytes: Uint8Array, phase = 'kdf'): KdfParams {
  if (bytes.length !== KDF_PARAMS_BYTES || bytes[0] !== 1) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'unknown KDF parameter encoding')
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const params = { logN: b[1]!, r: b.readUInt16BE(2), p: b.readUInt16BE(4) }
  try {
    return assertKdfParams(params, undefined, phase)
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'KDF parameters out of range', { cause: err })
  }
}

/**
 * The two keys a password yields. Wipe them with {@link wipePasswordKeys} when done.
 * @example
 * ```ts
 * const keys: accounts.PasswordKeys = await accounts.derivePasswordKeys(password, salt, kdf)
 * // keys.loginKey goes to the identity server, keys.sealKey never leaves this device
 * ```
 */
export interface PasswordKeys {
  /** 32 bytes; seals the private key; never leaves the client. */
  sealKey: Uint8Array
  /** 32 bytes; proves knowledge of the password to the identity server. */
  loginKey: Uint8Array
}

const SEAL_INFO = new TextEncoder().encode('secret-channel/accounts/v1/seal')
const LOGIN_INFO = new TextEncoder().encode('secret-channel/accounts/v1/login')

/**
 * scrypt through the crypto backend (off the event loop on the Node backends).
 * @param crypto - the backend; the process-wide one by default
 */
export function scryptAsync(secret: Uint8Array, salt: Uint8Array, params: KdfParams, length: number, crypto: CryptoBackend = getCryptoBackend()): Promise<Uint8Array> {
  return crypto.scrypt(secret, salt, assertKdfParams(params), length)
}

/**
 * Derives the seal key and the login key from a password.
 * @param password - UTF-8 text or raw bytes (normalised to NFKC when text)
 * @param salt - the per-user random salt ({@link SALT_BYTES} bytes)
 * @param params - scrypt cost
 * @param crypto - the backend; the process-wide one by default
 * @example
 * ```ts
 * const { salt, kdf } = await identity.getLoginParams('alice')
 * const { loginKey, sealKey } = await accounts.derivePasswordKeys(password, salt, kdf)
 * ```
 */
export async function derivePasswordKeys(password: string | Uint8Array, salt: Uint8Array, params: KdfParams, crypto: CryptoBackend = getCryptoBackend()): Promise<PasswordKeys> {
  if (typeof password !== 'string' && !(password instanceof Uint8Array)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'kdf', 'password must be a string or bytes')
  }
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'kdf', `salt must be ${SALT_BYTES} bytes`)
  }
  assertKdfParams(params)
  const pw = typeof password === 'string' ? Buffer.from(password.normalize('NFKC'), 'utf8') : Buffer.from(password)
  const master = await scryptAsync(pw, salt, params, 64, crypto)
  wipe(pw)
  const sealKey = crypto.hkdfSha256(master, salt, SEAL_INFO, 32)
  const loginKey = crypto.hkdfSha256(master, salt, LOGIN_INFO, 32)
  wipe(master)
  return { sealKey, loginKey }
}

/** Zeroes both keys. */
export function wipePasswordKeys(keys: PasswordKeys): void {
  wipe(keys.sealKey, keys.loginKey)
}
