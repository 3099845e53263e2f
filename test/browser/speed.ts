/**
 * The page's speed figures (bundled into the page with page.ts; read by bench/browser.ts). Every
 * figure is taken after a warm-up and over a fixed time, not a fixed count: V8 first runs
 * WebAssembly on its baseline compiler (Liftoff) and tiers hot functions up to TurboFan only
 * after they have run for a while, and JavaScript JITs the same way, so a short cold count
 * measures the compilers, not the backend. The warm-up's own rate is reported too (`cold…`).
 *
 * `publicKeyOps…` time exactly the Ed25519/X25519 operations of one SHS1 handshake pair (both
 * sides; the long-term X25519 forms are cached, as curve-cache.ts does) with nothing else: on
 * the backend in use (synchronous), and on the page's WebCrypto (`crypto.subtle`, one await per
 * operation, as an asynchronous handshake step would need). That is the like-for-like answer to
 * "would a WebCrypto backend be faster than this one per handshake?". On the `webcrypto` backend
 * itself (page.ts) its public-key figure is that WebCrypto one, and its handshakes/s are the
 * real answer; page.ts also times 8 pairs handshaking at once, for every backend.
 * ```
 * per handshake pair: 2 × X25519 key pair (ephemerals)   6 × X25519 (ab, aB, Ab on each side)
 *                     2 × Ed25519 sign                   2 × Ed25519 verify
 * ```
 */
import { ClientHandshake, ServerHandshake, type CryptoBackend, type KeyPair } from 'secret-channel'

/** Runs `once` (awaited) for at least `ms` ms; returns how many times and how long it took. */
async function timed(ms: number, once: () => unknown): Promise<{ count: number; ms: number }> {
  let count = 0
  const t0 = performance.now()
  let now = t0
  do {
    await once()
    count++
    now = performance.now()
  } while (now - t0 < ms)
  return { count, ms: now - t0 }
}

/** Runs `once` (awaited) for `ms` ms; returns operations per second. */
async function rate(ms: number, once: () => unknown): Promise<number> {
  const t = await timed(ms, once)
  return t.count / (t.ms / 1000)
}

/**
 * Two workloads timed in alternating blocks of `blockMs` over about `ms` in all, in the order
 * A B B A A B B A …, so that a machine getting faster or slower during the run (a shared host)
 * weighs on both alike: the ratio of the two rates is then steadier than that of two figures
 * taken one after the other. Returns each rate (operations per second over its own blocks).
 * @example
 * ```ts
 * const { a, b } = await interleavedRates(6000, 150, onePairOurs, onePairNoble)
 * const ratio = a / b
 * ```
 */
export async function interleavedRates(ms: number, blockMs: number, a: () => unknown, b: () => unknown): Promise<{ a: number; b: number }> {
  const totals = { a: { count: 0, ms: 0 }, b: { count: 0, ms: 0 } }
  const block = async (which: 'a' | 'b'): Promise<void> => {
    const t = await timed(blockMs, which === 'a' ? a : b)
    totals[which].count += t.count
    totals[which].ms += t.ms
  }
  const rounds = Math.max(1, Math.round(ms / (4 * blockMs)))
  for (let i = 0; i < rounds; i++) {
    await block('a')
    await block('b')
    await block('b')
    await block('a')
  }
  return { a: totals.a.count / (totals.a.ms / 1000), b: totals.b.count / (totals.b.ms / 1000) }
}

/** Warm-up for `warmMs` (its rate is the cold figure), then the measured figure over `ms`. */
export async function warmRate(warmMs: number, ms: number, once: () => unknown): Promise<{ cold: number; warm: number }> {
  const cold = warmMs > 0 ? await rate(warmMs, once) : 0
  return { cold, warm: await rate(ms, once) }
}

/** One SHS1 handshake between two state machines, no streams (the Node bench's "state machines only"). */
export function machineHandshake(appKey: Uint8Array, client: KeyPair, server: KeyPair, crypto: CryptoBackend): void {
  const c = new ClientHandshake({ appKey, keyPair: client, serverPublicKey: server.publicKey, crypto })
  const s = new ServerHandshake({ appKey, keyPair: server, crypto })
  s.receiveHello(c.createHello())
  c.receiveHello(s.createHello())
  s.receiveAuth(c.createAuth())
  c.receiveAccept(s.createAccept().message)
}

/** The public-key operations of one handshake pair on a synchronous backend. */
export function backendPublicKeyOps(crypto: CryptoBackend, fixture: { signer: Uint8Array; signerPublic: Uint8Array; x: Uint8Array; xPublic: Uint8Array }): void {
  const message = new Uint8Array(96)
  for (let side = 0; side < 2; side++) {
    const ephemeral = crypto.randomBytes(32)
    crypto.scalarMultBase(ephemeral)
    crypto.scalarMult(ephemeral, fixture.xPublic)
    crypto.scalarMult(ephemeral, fixture.xPublic)
    crypto.scalarMult(fixture.x, fixture.xPublic)
    const signature = crypto.sign(message, fixture.signer)
    if (!crypto.verify(signature, message, fixture.signerPublic)) throw new Error('verify failed')
  }
}

const X25519 = { name: 'X25519' }
const ED25519 = { name: 'Ed25519' }

/** The slice of `crypto.subtle` used here (the tests compile without lib.dom). */
type WebKey = { readonly type: string }
interface WebKeyPair { publicKey: WebKey; privateKey: WebKey }
interface Subtle {
  generateKey(algorithm: object, extractable: boolean, usages: string[]): Promise<WebKeyPair>
  exportKey(format: 'raw', key: WebKey): Promise<ArrayBuffer>
  importKey(format: 'raw', data: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<WebKey>
  deriveBits(algorithm: { name: string; public: WebKey }, key: WebKey, length: number): Promise<ArrayBuffer>
  sign(algorithm: object, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>
  verify(algorithm: object, key: WebKey, signature: ArrayBuffer, data: Uint8Array): Promise<boolean>
}
const pageSubtle = (): Subtle | undefined => (globalThis as unknown as { crypto?: { subtle?: Subtle } }).crypto?.subtle

/** Keys for {@link webcryptoPublicKeyOps}: created once, as a backend would cache long-term keys. */
export async function webcryptoFixture(): Promise<{ signer: WebKeyPair; signerPublic: Uint8Array; x: WebKeyPair; xPublic: Uint8Array } | null> {
  const subtle = pageSubtle()
  if (!subtle) return null
  try {
    const signer = await subtle.generateKey(ED25519, true, ['sign', 'verify'])
    const x = await subtle.generateKey(X25519, true, ['deriveBits'])
    return {
      signer,
      signerPublic: new Uint8Array(await subtle.exportKey('raw', signer.publicKey)),
      x,
      xPublic: new Uint8Array(await subtle.exportKey('raw', x.publicKey))
    }
  } catch {
    return null // no Ed25519/X25519 in this runtime's WebCrypto
  }
}

/**
 * The same operations on WebCrypto, one await each. Peer public keys arrive as bytes, so every
 * X25519 and every verify imports a raw public key first, as a real backend would.
 */
export async function webcryptoPublicKeyOps(f: NonNullable<Awaited<ReturnType<typeof webcryptoFixture>>>): Promise<void> {
  const subtle = pageSubtle()!
  const message = new Uint8Array(96)
  const dh = async (secret: WebKey, peer: Uint8Array): Promise<ArrayBuffer> =>
    subtle.deriveBits({ name: 'X25519', public: await subtle.importKey('raw', peer, X25519, false, []) }, secret, 256)
  for (let side = 0; side < 2; side++) {
    const ephemeral = await subtle.generateKey(X25519, true, ['deriveBits'])
    await subtle.exportKey('raw', ephemeral.publicKey)
    await dh(ephemeral.privateKey, f.xPublic)
    await dh(ephemeral.privateKey, f.xPublic)
    await dh(f.x.privateKey, f.xPublic)
    const signature = await subtle.sign(ED25519, f.signer.privateKey, message)
    const verifier = await subtle.importKey('raw', f.signerPublic, ED25519, false, ['verify'])
    if (!await subtle.verify(ED25519, verifier, signature, message)) throw new Error('verify failed')
  }
}
