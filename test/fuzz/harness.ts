/**
 * Shared pieces of the fuzz properties: a memoising crypto backend (so that replaying a handshake
 * to the phase under test costs microseconds, not the milliseconds pure-JS curve arithmetic
 * takes), a fixed fixture (keys, a recorded transcript and the secrets behind it, so inputs can be
 * crafted that pass one check and hit the next), and the checks every property shares.
 *
 * Memoising is sound here because every memoised primitive is a pure function of its inputs
 * (Ed25519 signing is deterministic), and results are handed out as fresh copies, because the
 * state machines wipe what they are given.
 */
import type { CryptoBackend } from '../../lib/crypto/backend.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { SecretChannelError, type ErrorCode } from '../../lib/errors.js'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import type { KeyPair } from '../../lib/keys.js'

/** Thrown when a property is violated (never by the library itself). */
class PropertyViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PropertyViolation'
  }
}

/** Fails the property with `message` unless `condition` holds. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new PropertyViolation(message)
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * Wraps a backend so the slow, pure primitives remember their last few thousand results.
 * @param inner - the real backend
 * @param limit - entries kept per primitive before the cache is dropped
 */
export function memoisingBackend(inner: CryptoBackend, limit = 4096): CryptoBackend {
  function memo<A extends Uint8Array[], R extends Uint8Array | null | boolean>(fn: (...args: A) => R): (...args: A) => R {
    const cache = new Map<string, R>()
    return (...args: A): R => {
      const key = args.map(hexOf).join(':')
      let hit = cache.get(key)
      if (hit === undefined) {
        hit = fn(...args)
        if (cache.size >= limit) cache.clear()
        cache.set(key, hit instanceof Uint8Array ? (hit.slice() as R) : hit)
      }
      return hit instanceof Uint8Array ? (hit.slice() as R) : hit
    }
  }
  // publicKey ‖ secretKey in one array so memo() can cache a key pair.
  const pairOf = memo((seed: Uint8Array) => {
    const kp = inner.signKeyPairFromSeed(seed)
    const out = new Uint8Array(96)
    out.set(kp.publicKey, 0)
    out.set(kp.secretKey, 32)
    return out
  })
  return {
    name: `${inner.name}+memo`,
    randomBytes: (n) => inner.randomBytes(n),
    sha256: (d) => inner.sha256(d),
    sha512: (d) => inner.sha512(d),
    auth: (d, k) => inner.auth(d, k),
    authVerify: (t, d, k) => inner.authVerify(t, d, k),
    hmacSha256: (k, d) => inner.hmacSha256(k, d),
    hkdfSha256: (ikm, salt, info, n) => inner.hkdfSha256(ikm, salt, info, n),
    scrypt: (pw, salt, cost, n) => inner.scrypt(pw, salt, cost, n),
    signKeyPairFromSeed: (seed) => {
      const kp = pairOf(seed)
      return { publicKey: kp.slice(0, 32), secretKey: kp.slice(32) }
    },
    sign: memo((m: Uint8Array, sk: Uint8Array) => inner.sign(m, sk)),
    verify: memo((s: Uint8Array, m: Uint8Array, pk: Uint8Array) => inner.verify(s, m, pk)),
    signPublicKeyToCurve: memo((pk: Uint8Array) => inner.signPublicKeyToCurve(pk)),
    signSecretKeyToCurve: (sk) => inner.signSecretKeyToCurve(sk),
    scalarMultBase: memo((sk: Uint8Array) => inner.scalarMultBase(sk)),
    scalarMult: memo((sk: Uint8Array, pk: Uint8Array) => inner.scalarMult(sk, pk)),
    secretboxSealDetached: (d, t, n, k) => inner.secretboxSealDetached(d, t, n, k),
    secretboxOpenDetached: (o, c, t, n, k) => inner.secretboxOpenDetached(o, c, t, n, k),
    // Not memoised (it keeps per-key state), but passed on: the codecs' fast paths (the noble
    // subkey cache, sodium-native's direct binding, the native addon's batches) are what the
    // box-stream and stream targets must exercise.
    ...(inner.keyedSecretbox ? { keyedSecretbox: (key: Uint8Array) => inner.keyedSecretbox!(key) } : {}),
    // An asynchronous curve (WebCrypto) is passed through unmemoised: the stream targets then
    // exercise the driver's pending steps, as they do on that backend in the fuzz smoke tests.
    ...(inner.asyncCurve ? { asyncCurve: inner.asyncCurve } : {})
  }
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  // A plain Uint8Array on purpose: Buffer#slice returns views, and the fixture must stay immutable.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Everything a property needs to know about one honest handshake, computed independently of the state machines. */
export interface Fixture {
  crypto: CryptoBackend
  appKey: Uint8Array
  client: KeyPair
  server: KeyPair
  clientEphemeral: Uint8Array
  serverEphemeral: Uint8Array
  msg1: Uint8Array
  msg2: Uint8Array
  msg3: Uint8Array
  msg4: Uint8Array
  /** sha256(K ‖ ab ‖ aB): the msg3 box key. */
  key3: Uint8Array
  /** sha256(K ‖ ab ‖ aB ‖ Ab): the msg4 box key. */
  key4: Uint8Array
  /** sha256(ab). */
  abHash: Uint8Array
  /** The client's signature inside msg3. */
  sigA: Uint8Array
  /** The server's signature inside msg4. */
  sigB: Uint8Array
  /** Session keys as the client sees them. */
  clientSession: { encryptKey: Uint8Array; encryptNonce: Uint8Array; decryptKey: Uint8Array; decryptNonce: Uint8Array }
}

const ZERO_NONCE = new Uint8Array(24)

/** secretbox(plain, 0^24, key) as tag ‖ ciphertext. */
export function boxZeroNonce(crypto: CryptoBackend, plain: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + plain.length)
  out.set(plain, 16)
  crypto.secretboxSealDetached(out.subarray(16), out.subarray(0, 16), ZERO_NONCE, key)
  return out
}

/** hmac[K](point) ‖ point: a hello the peer's app-key check accepts, whatever the point. */
export function helloFor(crypto: CryptoBackend, appKey: Uint8Array, point: Uint8Array): Uint8Array {
  return cat(crypto.auth(point, appKey), point)
}

let cached: Fixture | null = null

/**
 * The fixture, built once per process from fixed seeds with the given backend (the process-wide
 * one, wrapped in {@link memoisingBackend}, when left out).
 */
export function fixture(crypto: CryptoBackend = memoisingBackend(getCryptoBackend())): Fixture {
  if (cached) return cached
  const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n)
  const appKey = seed(0xa5)
  const toPair = (s: Uint8Array): KeyPair => {
    const kp = crypto.signKeyPairFromSeed(s)
    return { publicKey: Buffer.from(kp.publicKey), secretKey: Buffer.from(kp.secretKey) }
  }
  const client = toPair(seed(1))
  const server = toPair(seed(2))
  const clientEphemeral = seed(3)
  const serverEphemeral = seed(4)
  const ap = crypto.scalarMultBase(clientEphemeral)
  const bp = crypto.scalarMultBase(serverEphemeral)
  const msg1 = helloFor(crypto, appKey, ap)
  const msg2 = helloFor(crypto, appKey, bp)
  const ab = crypto.scalarMult(clientEphemeral, bp)!
  const aB = crypto.scalarMult(clientEphemeral, crypto.signPublicKeyToCurve(server.publicKey)!)!
  const Ab = crypto.scalarMult(crypto.signSecretKeyToCurve(client.secretKey), bp)!
  const abHash = crypto.sha256(ab)
  const key3 = crypto.sha256(cat(appKey, ab, aB))
  const key4 = crypto.sha256(cat(appKey, ab, aB, Ab))
  const sigA = crypto.sign(cat(appKey, server.publicKey, abHash), client.secretKey)
  const msg3 = boxZeroNonce(crypto, cat(sigA, client.publicKey), key3)
  const sigB = crypto.sign(cat(appKey, sigA, client.publicKey, abHash), server.secretKey)
  const msg4 = boxZeroNonce(crypto, sigB, key4)
  const S = crypto.sha256(key4)
  const clientSession = {
    encryptKey: crypto.sha256(cat(S, server.publicKey)),
    encryptNonce: msg2.slice(0, 24),
    decryptKey: crypto.sha256(cat(S, client.publicKey)),
    decryptNonce: msg1.slice(0, 24)
  }
  cached = { crypto, appKey, client, server, clientEphemeral, serverEphemeral, msg1, msg2, msg3, msg4, key3, key4, abHash, sigA, sigB, clientSession }
  return cached
}

/** The client handshake phases a test can ask for, in order. */
export type ClientStage = 'hello' | 'await-hello' | 'auth' | 'await-accept'
/** The server handshake phases a test can ask for, in order. */
export type ServerStage = 'await-hello' | 'hello' | 'await-auth' | 'authorize'

/** A fresh client driven honestly (with the fixture's transcript) up to `stage`. */
export function clientAt(f: Fixture, stage: ClientStage): ClientHandshake {
  const c = new ClientHandshake({ appKey: f.appKey, keyPair: f.client, serverPublicKey: f.server.publicKey, ephemeralSecretKey: f.clientEphemeral, crypto: f.crypto })
  if (stage === 'hello') return c
  c.createHello()
  if (stage === 'await-hello') return c
  c.receiveHello(f.msg2)
  if (stage === 'auth') return c
  c.createAuth()
  return c
}

/** A fresh server driven honestly up to `stage`. */
export function serverAt(f: Fixture, stage: ServerStage): ServerHandshake {
  const s = new ServerHandshake({ appKey: f.appKey, keyPair: f.server, ephemeralSecretKey: f.serverEphemeral, crypto: f.crypto })
  if (stage === 'await-hello') return s
  s.receiveHello(f.msg1)
  if (stage === 'hello') return s
  s.createHello()
  if (stage === 'await-auth') return s
  s.receiveAuth(f.msg3)
  return s
}

/** What a call did: returned a value, or threw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** Runs `fn`, capturing a return value or a thrown value. */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (error) {
    return { ok: false, error }
  }
}

/**
 * Checks that a failure is one typed error with one of the allowed codes. Any other exception
 * (TypeError, RangeError, a string) is the bug this whole suite hunts.
 */
export function ensureTyped(error: unknown, allowed: readonly ErrorCode[], context: string): SecretChannelError {
  if (!(error instanceof SecretChannelError)) {
    throw new PropertyViolation(`${context}: threw a non-SecretChannelError: ${String((error as Error)?.stack ?? error)}`, { cause: error })
  }
  ensure(allowed.includes(error.code), `${context}: code ${error.code} not in [${allowed.join(', ')}] (${error.message})`)
  ensure(typeof error.phase === 'string' && error.message.startsWith(error.phase), `${context}: message does not name the phase`)
  return error
}

/** True when every byte of every buffer is zero. */
export function allZero(buffers: readonly Uint8Array[]): boolean {
  return buffers.every((b) => b.every((x) => x === 0))
}

/** Byte-wise equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
}
