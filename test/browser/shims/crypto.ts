/**
 * `node:crypto` for test files in the browser suite: randomBytes from getRandomValues, createHash
 * and createHmac on @noble/hashes. Only what the portable test files call.
 */
import { Buffer } from './node-globals.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hmac } from '@noble/hashes/hmac.js'

const hashes = { sha256, sha512 }
type Algorithm = keyof typeof hashes

function hashOf(name: string): (typeof hashes)[Algorithm] {
  if (!Object.hasOwn(hashes, name)) throw new Error(`node:crypto shim: no hash ${name}`)
  return hashes[name as Algorithm]
}

const bytes = (data: string | Uint8Array, encoding?: BufferEncoding): Uint8Array => typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data

/** A Node-style incremental hash or MAC. */
class Digest {
  constructor (private readonly state: { update(b: Uint8Array): unknown; digest(): Uint8Array }) {}
  update(data: string | Uint8Array, encoding?: BufferEncoding): this {
    this.state.update(bytes(data, encoding))
    return this
  }

  digest(): Buffer
  digest(encoding: BufferEncoding): string
  digest(encoding?: BufferEncoding): Buffer | string {
    const out = Buffer.from(this.state.digest())
    return encoding ? out.toString(encoding) : out
  }
}

/**
 * Random bytes from the page's `crypto.getRandomValues` (65536 bytes per call at most).
 * @example
 * ```ts
 * randomBytes(32).length // 32
 * ```
 */
export function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let at = 0; at < n; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)))
  return out
}

/**
 * `createHash('sha256' | 'sha512')`.
 * @example
 * ```ts
 * createHash('sha256').update('abc').digest('hex')
 * ```
 */
export function createHash(name: string): Digest {
  return new Digest(hashOf(name).create())
}

/**
 * `createHmac('sha256' | 'sha512', key)`.
 * @example
 * ```ts
 * createHmac('sha512', key).update(data).digest()
 * ```
 */
export function createHmac(name: string, key: string | Uint8Array): Digest {
  return new Digest(hmac.create(hashOf(name), bytes(key)))
}
