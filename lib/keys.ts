/**
 * Long-term identity keys: Ed25519 key pairs in libsodium's layout, the `@<base64>.ed25519`
 * id form Scuttlebutt uses, and the ssb-keys JSON identity-file shape.
 * @module
 */
import { getCryptoBackend } from './crypto/index.js'
import type { SignKeyPair } from './crypto/index.js'
import { ErrorCodes, SecretChannelError } from './errors.js'
import { constantTimeEqual } from './crypto/policy.js'
import { fromBase64, toBase64 } from './base64.js'
import { copyPlatformBytes, platformBytes } from '#platform-bytes'
import type { PlatformBytes } from './platform/bytes-type.js'

/** Secret keys already proven to match their public key, so servers check each key pair once, not per connection. */
const checkedSecretKeys = new WeakSet<Uint8Array>()

/**
 * An Ed25519 key pair: 32-byte `publicKey`, 64-byte `secretKey` (seed ‖ public key).
 * @example
 * ```ts
 * const keyPair: KeyPair = generateKeyPair()
 * console.log(keyPair.publicKey.length, keyPair.secretKey.length) // 32 64
 * ```
 */
export type KeyPair = SignKeyPair

/**
 * Makes an Ed25519 key pair, from a 32-byte seed (deterministic) or from fresh randomness.
 * @param seed - optional 32-byte seed; the same seed always gives the same key pair
 * @example
 * ```ts
 * const alice = generateKeyPair()
 * console.log(formatId(alice.publicKey)) // "@…=.ed25519"
 * ```
 */
export function generateKeyPair(seed?: Uint8Array): KeyPair {
  const crypto = getCryptoBackend()
  if (seed !== undefined) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', 'a key pair seed must be 32 bytes')
    }
    return toBufferPair(crypto.signKeyPairFromSeed(seed))
  }
  const random = crypto.randomBytes(32)
  const pair = toBufferPair(crypto.signKeyPairFromSeed(random))
  random.fill(0)
  return pair
}

/** Fresh copies, as Buffers in Node (plain Uint8Arrays in the portable core). */
function toBufferPair(pair: SignKeyPair): KeyPair {
  const secretKey = copyPlatformBytes(pair.secretKey)
  checkedSecretKeys.add(secretKey)
  return { publicKey: copyPlatformBytes(pair.publicKey), secretKey }
}

/**
 * Checks that `keyPair` is a well-formed Ed25519 key pair whose halves belong together,
 * and returns it; throws `ERR_INVALID_ARGUMENT` otherwise.
 * @param keyPair - the value to check
 * @param what - how to name it in the error message
 * @example
 * ```ts
 * const keyPair = assertKeyPair(JSON.parse(text), 'the configured key pair') // throws ERR_BAD_KEY when malformed
 * ```
 */
export function assertKeyPair(keyPair: unknown, what = 'keyPair'): KeyPair {
  const kp = keyPair as Partial<KeyPair> | null | undefined
  if (!kp || !(kp.publicKey instanceof Uint8Array) || !(kp.secretKey instanceof Uint8Array)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', `${what} must be { publicKey, secretKey } byte arrays`)
  }
  if (kp.publicKey.length !== 32 || kp.secretKey.length !== 64) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', `${what} must have a 32-byte publicKey and a 64-byte secretKey`)
  }
  if (!constantTimeEqual(kp.secretKey.subarray(32), kp.publicKey)) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', `${what}.secretKey does not end with its publicKey`)
  }
  if (!checkedSecretKeys.has(kp.secretKey)) {
    // A pair whose seed does not produce its public key would fail every handshake obscurely.
    const derived = getCryptoBackend().signKeyPairFromSeed(kp.secretKey.subarray(0, 32))
    if (!constantTimeEqual(derived.publicKey, kp.publicKey)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', `${what}.publicKey does not belong to its secretKey`)
    }
    checkedSecretKeys.add(kp.secretKey)
  }
  return kp as KeyPair
}

/**
 * Formats a 32-byte Ed25519 public key as a Scuttlebutt id: `@<base64>.ed25519`.
 * @param publicKey - 32-byte Ed25519 public key
 * @example
 * ```ts
 * formatId(generateKeyPair().publicKey) // '@<44 characters of base64>.ed25519'
 * ```
 */
export function formatId(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', 'a public key must be 32 bytes')
  }
  return `@${toBase64(publicKey)}.ed25519`
}

/**
 * Parses an id into its 32-byte public key. Accepts `@<base64>.ed25519`, and also the bare
 * `<base64>.ed25519` and `<base64>` forms people paste; the base64 must be canonical.
 * @param id - the id text
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT` when it is not a 32-byte key
 * @example
 * ```ts
 * const serverKey = parseId('@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519') // 32 bytes
 * ```
 */
export function parseId(id: string): PlatformBytes {
  if (typeof id !== 'string') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', 'an id must be a string')
  const body = id.trim().replace(/^@/, '').replace(/\.ed25519$/, '')
  const key = fromBase64(body)
  if (key === null || key.length !== 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'keys', `not an ed25519 id: ${JSON.stringify(id.slice(0, 80))}`)
  }
  return platformBytes(key)
}

/**
 * The JSON shape of an identity file, as written by ssb-keys.
 * @example
 * ```ts
 * const file: IdentityFile = toIdentityFile(generateKeyPair())
 * console.log(file.id) // '@<base64>.ed25519'
 * ```
 */
export interface IdentityFile {
  /** Always `"ed25519"`. */
  curve: 'ed25519'
  /** `<base64 public key>.ed25519` */
  public: string
  /** `<base64 64-byte secret key>.ed25519` */
  private: string
  /** `@<base64 public key>.ed25519` */
  id: string
}

/**
 * Serialises a key pair to the ssb-keys identity-file object.
 * @example
 * ```ts
 * writeFileSync('alice.json', JSON.stringify(toIdentityFile(generateKeyPair()), null, 2), { mode: 0o600 })
 * ```
 */
export function toIdentityFile(keyPair: KeyPair): IdentityFile {
  assertKeyPair(keyPair)
  const pub = toBase64(keyPair.publicKey)
  return {
    curve: 'ed25519',
    public: `${pub}.ed25519`,
    private: `${toBase64(keyPair.secretKey)}.ed25519`,
    id: `@${pub}.ed25519`
  }
}

/**
 * Reads a key pair back from identity-file text (JSON; `#` comment lines, as ssb-keys writes
 * them, are allowed). Checks that the halves belong together.
 * @throws SecretChannelError `ERR_BAD_KEY` for anything malformed
 * @example
 * ```ts
 * const keyPair = parseIdentityFile(readFileSync(join(homedir(), '.ssb', 'secret'), 'utf8'))
 * console.log(formatId(keyPair.publicKey))
 * ```
 */
export function parseIdentityFile(text: string): KeyPair {
  const bad = (detail: string, cause?: unknown): SecretChannelError =>
    new SecretChannelError(ErrorCodes.BAD_KEY, 'identity file', detail, { cause })
  let json: unknown
  try {
    json = JSON.parse(String(text).split('\n').filter((line) => !/^\s*#/.test(line)).join('\n'))
  } catch (err) {
    // V8's JSON.parse messages quote the input around a bad token, which in a key file can be
    // part of the secret key: keep only the position, never the text (nor the original error).
    const position = /position (\d+)/.exec(String((err as Error)?.message))?.[1]
    throw bad(position === undefined ? 'not valid JSON' : `not valid JSON (error at character ${position})`)
  }
  const file = json as Partial<IdentityFile> | null
  if (!file || typeof file !== 'object') throw bad('not a JSON object')
  if (file.curve !== 'ed25519') throw bad('curve must be "ed25519"')
  if (typeof file.private !== 'string' || typeof file.public !== 'string') throw bad('missing "public" or "private"')
  const secretBytes = fromBase64(file.private.replace(/\.ed25519$/, ''))
  let publicKey: PlatformBytes
  try {
    publicKey = parseId(file.public)
  } catch (err) {
    throw bad('"public" is not a 32-byte base64 key', err)
  }
  if (secretBytes === null || secretBytes.length !== 64) throw bad('"private" is not a 64-byte base64 key')
  const secretKey = platformBytes(secretBytes)
  try {
    const derived = getCryptoBackend().signKeyPairFromSeed(secretKey.subarray(0, 32))
    if (!constantTimeEqual(derived.publicKey, publicKey) || !constantTimeEqual(secretKey.subarray(32), publicKey)) {
      throw bad('"private" does not belong to "public"')
    }
  } catch (err) {
    if (err instanceof SecretChannelError) throw err
    throw bad('"private" is not a valid key', err)
  }
  if (file.id !== undefined && file.id !== formatId(publicKey)) throw bad('"id" does not match "public"')
  return { publicKey, secretKey }
}

/**
 * The main Scuttlebutt network's app key (`caps.shs`), the default everywhere in this package.
 * @example
 * ```ts
 * const stream = await connect({ host, port, keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: pubKey })
 * ```
 */
export const SSB_MAIN_NETWORK_APP_KEY: PlatformBytes = platformBytes(fromBase64('1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=')!)
