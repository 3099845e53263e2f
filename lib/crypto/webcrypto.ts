/**
 * The WebCrypto curve backend: the handshake's X25519, Ed25519 signatures and verifications on
 * `globalThis.crypto.subtle` (Chromium, Firefox, Safari, Deno, Bun, Node ≥ 20), which runs them
 * natively (Chromium 156 on the calling thread, as a profile shows: concurrent handshakes do not
 * gain a core; docs/browser.md). Everything else (HMAC, SHA-256, secretbox, box-stream,
 * the Ed25519 → X25519 conversion of a peer's key) stays on a synchronous backend.
 *
 * `crypto.subtle` only answers with promises, so this is an {@link AsyncCurveBackend}: the
 * handshake driver asks it and returns `pending` while it works (see `lib/handshake/driver.ts`).
 *
 * Keys:
 * ```
 * ephemeral X25519     generateKey, private half non-extractable; only the public half exported
 *                      (a fixed test-vector secret is imported as PKCS#8 instead)
 * long-term Ed25519    imported once per key pair from its seed           PKCS#8 ‖ seed
 * long-term X25519     imported once per key pair from its clamped scalar PKCS#8 ‖ scalar
 * peer keys            imported raw, kept in a small LRU of public keys shared by all sessions
 *                      (a client redialing a server, a returning client: as curve-cache.ts does)
 * ```
 * Strictness stays libsodium 1.0.18's. WebCrypto alone is more lenient (Chromium accepts an S = 0
 * signature for every small-order key, and some non-canonical encodings), so `policy.ts`'s
 * prechecks run before its verification, as for sodium-native and wasm. A rejected `deriveBits`
 * (WebCrypto refuses low-order points) and an all-zero result are null, as in `crypto_scalarmult`.
 * @module
 */
import type { AsyncCurveBackend, AsyncCurveSession, CryptoBackend, SignKeyPair } from './backend.js'
import { concatBytes } from '../bytes.js'
import { constantTimeEqual, copyBytes, isAllZero, passesSignaturePrechecks, wipe } from './policy.js'

/** An opaque WebCrypto key. */
type WebKey = object

/** The slice of `SubtleCrypto` this backend calls (typed here: the portable core has no DOM types). */
interface Subtle {
  generateKey(algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<{ publicKey: WebKey, privateKey: WebKey }>
  importKey(format: 'raw' | 'pkcs8', data: Uint8Array, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<WebKey>
  exportKey(format: 'raw', key: WebKey): Promise<ArrayBuffer>
  deriveBits(algorithm: { name: string, public: WebKey }, key: WebKey, length: number): Promise<ArrayBuffer>
  sign(algorithm: { name: string }, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>
  verify(algorithm: { name: string }, key: WebKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>
}

const X25519 = { name: 'X25519' }
const ED25519 = { name: 'Ed25519' }

/** The DER prefix of a PKCS#8 `OneAsymmetricKey` holding a 32-byte Ed25519 seed (OID 1.3.101.112). */
const ED25519_PKCS8 = fromHex('302e020100300506032b657004220420')
/** The same for a 32-byte X25519 scalar (OID 1.3.101.110). */
const X25519_PKCS8 = fromHex('302e020100300506032b656e04220420')
/** The X25519 base point, u = 9: X25519(k, 9) is k's public key. */
const BASE_POINT = (() => {
  const u = new Uint8Array(32)
  u[0] = 9
  return u
})()

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

/** The runtime's `crypto.subtle`, or null. */
function runtimeSubtle(): Subtle | null {
  return ((globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle) ?? null
}

/** Imports a 32-byte secret wrapped in PKCS#8, non-extractable; the wrapping is wiped at once (importKey copies it). */
function importSecret(subtle: Subtle, prefix: Uint8Array, secret: Uint8Array, algorithm: { name: string }, usages: string[]): Promise<WebKey> {
  const der = concatBytes(prefix, secret)
  try {
    return subtle.importKey('pkcs8', der, algorithm, false, usages)
  } finally {
    der.fill(0)
  }
}

/** X25519 of `key` with the imported public `peer`; null when WebCrypto refuses (a low-order point) or the result is all zero. */
async function deriveShared(subtle: Subtle, key: WebKey, peer: Promise<WebKey>): Promise<Uint8Array | null> {
  let bits: ArrayBuffer
  try {
    bits = await subtle.deriveBits({ name: 'X25519', public: await peer }, key, 256)
  } catch {
    return null
  }
  const shared = new Uint8Array(bits)
  return isAllZero(shared) ? null : shared
}

/** How many imported public keys {@link PublicKeys} keeps. */
const PUBLIC_CACHE_SIZE = 256

/**
 * Imported public keys by algorithm and bytes (public data only), least recently used evicted.
 * A failed import is not kept.
 */
class PublicKeys {
  private readonly keys = new Map<string, Promise<WebKey>>()

  constructor(private readonly subtle: Subtle) {}

  get(algorithm: { name: string }, bytes: Uint8Array, usages: string[]): Promise<WebKey> {
    // A string key for the Map: the name, then 32 bytes as 32 UTF-16 code units (portable, no Buffer).
    const id = algorithm.name + String.fromCharCode.apply(null, bytes as unknown as number[])
    const hit = this.keys.get(id)
    if (hit) {
      this.keys.delete(id)
      this.keys.set(id, hit)
      return hit
    }
    const key = this.subtle.importKey('raw', bytes, algorithm, true, usages)
    key.catch(() => {
      if (this.keys.get(id) === key) this.keys.delete(id)
    })
    if (this.keys.size >= PUBLIC_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!)
    this.keys.set(id, key)
    return key
  }
}

/** The long-term keys of one key pair, imported once. */
interface LongTermKeys {
  /** The public half of the secret key when they were imported (bytes 32..64). */
  publicHalf: Uint8Array
  sign: Promise<WebKey>
  x25519: Promise<WebKey>
}

const noop = (): void => {}

/** One handshake's operations; see {@link AsyncCurveSession}. */
class WebCryptoSession implements AsyncCurveSession {
  private ephemeral: Promise<{ key: WebKey, publicKey: Uint8Array }> | null
  private longTerm: LongTermKeys | null

  constructor(private readonly subtle: Subtle, private readonly publicKeys: PublicKeys, longTerm: LongTermKeys, ephemeralSecretKey?: Uint8Array) {
    this.longTerm = longTerm
    this.ephemeral = ephemeralSecretKey ? this.fixedEphemeral(ephemeralSecretKey) : this.freshEphemeral()
    // Started now, awaited later (or never, after a destroy): a failure is reported where it is used.
    this.ephemeral.catch(noop)
  }

  private async freshEphemeral(): Promise<{ key: WebKey, publicKey: Uint8Array }> {
    const pair = await this.subtle.generateKey(X25519, false, ['deriveBits'])
    return { key: pair.privateKey, publicKey: new Uint8Array(await this.subtle.exportKey('raw', pair.publicKey)) }
  }

  /** Test vectors: a fixed secret, whose public key is X25519(secret, 9). */
  private async fixedEphemeral(secret: Uint8Array): Promise<{ key: WebKey, publicKey: Uint8Array }> {
    const key = await importSecret(this.subtle, X25519_PKCS8, secret, X25519, ['deriveBits'])
    const publicKey = await deriveShared(this.subtle, key, this.publicKeys.get(X25519, BASE_POINT, []))
    if (!publicKey) throw new Error('the fixed ephemeral secret has no public key')
    return { key, publicKey }
  }

  private keys(): { ephemeral: Promise<{ key: WebKey, publicKey: Uint8Array }>, longTerm: LongTermKeys } {
    if (!this.ephemeral || !this.longTerm) throw new Error('the WebCrypto session was destroyed')
    return { ephemeral: this.ephemeral, longTerm: this.longTerm }
  }

  async ephemeralPublic(): Promise<Uint8Array> {
    return copyBytes((await this.keys().ephemeral).publicKey)
  }

  async x25519(secret: 'ephemeral' | 'long-term', peer: Uint8Array): Promise<Uint8Array | null> {
    if (peer.length !== 32) return null
    const keys = this.keys()
    // Imported before awaiting our key, so both imports run at once.
    const peerKey = this.publicKeys.get(X25519, peer, [])
    const key = secret === 'ephemeral' ? (await keys.ephemeral).key : await keys.longTerm.x25519
    return deriveShared(this.subtle, key, peerKey)
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const key = await this.keys().longTerm.sign
    return new Uint8Array(await this.subtle.sign(ED25519, key, message))
  }

  async verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    // libsodium 1.0.18's rules first: WebCrypto accepts forgeries for small-order keys.
    if (!passesSignaturePrechecks(signature, publicKey)) return false
    try {
      const key = await this.publicKeys.get(ED25519, publicKey, ['verify'])
      return await this.subtle.verify(ED25519, key, signature, message)
    } catch {
      return false
    }
  }

  destroy(): void {
    // Non-extractable keys cannot be zeroed from JavaScript; dropping them is what we can do.
    this.ephemeral = null
    this.longTerm = null
  }
}

/**
 * The WebCrypto curve on `subtle`: per-handshake sessions, with each key pair's long-term keys
 * imported once and cached per secret-key buffer (a WeakMap: dropping the key pair drops the
 * entry; re-imported if the buffer's public half changed, as in `curve-cache.ts`). `sync`
 * derives the long-term X25519 scalar (one SHA-512 per key pair).
 * @example
 * ```ts
 * const curve = createWebCryptoCurve(createNobleBackend())
 * const session = curve.session(keyPair)
 * const signature = await session.sign(message)
 * ```
 */
export function createWebCryptoCurve(sync: CryptoBackend, subtle: Subtle | null = runtimeSubtle()): AsyncCurveBackend {
  if (!subtle) throw new Error('this runtime has no crypto.subtle')
  const cache = new WeakMap<Uint8Array, LongTermKeys>()
  const publicKeys = new PublicKeys(subtle)

  const longTermKeys = (keyPair: SignKeyPair): LongTermKeys => {
    const secretKey = keyPair.secretKey
    const hit = cache.get(secretKey)
    if (hit && constantTimeEqual(hit.publicHalf, secretKey.subarray(32, 64))) return hit
    const scalar = sync.signSecretKeyToCurve(secretKey)
    const keys: LongTermKeys = {
      publicHalf: copyBytes(secretKey, 32, 64),
      sign: importSecret(subtle, ED25519_PKCS8, secretKey.subarray(0, 32), ED25519, ['sign']),
      x25519: importSecret(subtle, X25519_PKCS8, scalar, X25519, ['deriveBits'])
    }
    wipe(scalar)
    // A failed import is not cached: the next handshake tries again.
    const forget = (): void => {
      if (cache.get(secretKey) === keys) cache.delete(secretKey)
    }
    keys.sign.catch(forget)
    keys.x25519.catch(forget)
    cache.set(secretKey, keys)
    return keys
  }

  return {
    name: 'webcrypto',
    session: (keyPair, ephemeralSecretKey) => new WebCryptoSession(subtle, publicKeys, longTermKeys(keyPair), ephemeralSecretKey)
  }
}

/**
 * Checks that this runtime's WebCrypto has what the handshake needs and gives libsodium's bytes:
 * generates an X25519 key pair, derives a shared secret against a fixed key, signs with a fixed
 * seed and verifies, comparing with `sync`'s answers. Rejects when anything is missing or differs.
 * @example
 * ```ts
 * await probeWebCrypto(createNobleBackend()) // rejects where crypto.subtle lacks Ed25519 or X25519
 * ```
 */
export async function probeWebCrypto(sync: CryptoBackend, subtle: Subtle | null = runtimeSubtle()): Promise<void> {
  const curve = createWebCryptoCurve(sync, subtle)
  const seed = new Uint8Array(32).fill(7)
  const keyPair = sync.signKeyPairFromSeed(seed)
  const fixed = new Uint8Array(32).fill(9)
  const session = curve.session(keyPair, fixed)
  const fresh = curve.session(keyPair)
  try {
    const message = new Uint8Array([1, 2, 3])
    const [publicKey, shared, signature, freshPublic] = await Promise.all([
      session.ephemeralPublic(),
      session.x25519('long-term', sync.scalarMultBase(fixed)),
      session.sign(message),
      fresh.ephemeralPublic()
    ])
    const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => a !== null && b !== null && constantTimeEqual(a, b)
    if (!same(publicKey, sync.scalarMultBase(fixed))) throw new Error('X25519 public key differs')
    if (!same(shared, sync.scalarMult(sync.signSecretKeyToCurve(keyPair.secretKey), sync.scalarMultBase(fixed)))) throw new Error('X25519 shared secret differs')
    if (!same(signature, sync.sign(message, keyPair.secretKey))) throw new Error('Ed25519 signature differs')
    if (!(await session.verify(signature, message, keyPair.publicKey))) throw new Error('Ed25519 verification failed')
    if (freshPublic.length !== 32) throw new Error('X25519 key generation failed')
  } finally {
    session.destroy()
    fresh.destroy()
  }
}
