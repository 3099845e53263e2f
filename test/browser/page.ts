/**
 * Runs inside headless Chromium, bundled by esbuild from the package's browser entry (the root
 * under the `browser` condition, plus `secret-channel/wasm`). Exposes `runChecks(config)` for the
 * harness: a channel to the Node WebSocket server, 8 MiB each way hashed with crypto.subtle, the
 * typed failures, two in-page peers, and per-backend speed figures. The `webcrypto` backend
 * (handshake public-key operations on crypto.subtle, symmetric work on noble; `webcrypto+wasm`:
 * on wasm) also runs its agreement check against noble: same bytes, same decisions on every
 * hostile input (test/helpers/curve-agreement.ts).
 */
import {
  SecretStream, fromWebSocket, createDuplexPair, generateKeyPair, formatId, parseId, useCryptoBackend, createCryptoBackend, cryptoReady,
  type KeyPair, type CryptoBackend, type WebSocketLike
} from 'secret-channel'
import { useWasmCrypto } from 'secret-channel/wasm'
import { BAD_ED25519, LOW_ORDER_X25519, malleate } from '../helpers/points.js'
import { backendPublicKeyOps, interleavedRates, machineHandshake, warmRate, webcryptoFixture, webcryptoPublicKeyOps } from './speed.js'
import { curveAgreement } from '../helpers/curve-agreement.js'

/** The backends a page can run on. */
export type PageBackend = 'noble' | 'wasm' | 'webcrypto' | 'webcrypto+wasm'

/** Loads `name` in this page and makes it the page's backend. */
async function loadBackend(name: PageBackend): Promise<CryptoBackend> {
  if (name === 'noble') return useCryptoBackend('noble')
  if (name === 'wasm') return useWasmCrypto()
  // WebCrypto's curve, symmetric work on the best synchronous backend: noble, or wasm once loaded.
  if (name === 'webcrypto+wasm') await useWasmCrypto()
  return cryptoReady('webcrypto')
}

/** How many handshake pairs run at once for the concurrent figure. */
const CONCURRENT_PAIRS = 8

/** What the harness passes in. */
export interface PageConfig {
  url: string
  serverId: string
  appKey: number[]
  refusedSeed: number[]
  backend: PageBackend
  transferBytes: number
  benchBytes: number
  /** Time per speed figure, ms, after a warm-up of `warmMs` (see speed.ts). */
  benchMs: number
  warmMs: number
  /** Also time the handshake's public-key operations on this backend and on WebCrypto. */
  publicKeyOps: boolean
}

const hex = (b: ArrayBuffer): string => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('')

function randomData(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)))
  return out
}

function readAll(stream: SecretStream): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = []
    let total = 0
    stream.on('data', (c: Uint8Array) => { parts.push(c); total += c.length })
    stream.on('end', () => {
      const out = new Uint8Array(total)
      let at = 0
      for (const p of parts) { out.set(p, at); at += p.length }
      resolve(out)
    })
    stream.on('error', reject)
  })
}

function writeAll(stream: SecretStream, data: Uint8Array, chunk = 65536): Promise<void> {
  return new Promise((resolve) => {
    let at = 0
    const pump = (): void => {
      while (at < data.length) {
        const piece = data.subarray(at, at + chunk)
        at += piece.length
        if (!stream.write(piece)) return
      }
      stream.off('drain', pump)
      stream.end()
      resolve()
    }
    stream.on('drain', pump)
    pump()
  })
}

function dial(config: PageConfig, keyPair: KeyPair, options: { appKey?: Uint8Array; serverKey?: Uint8Array } = {}): SecretStream {
  const ws = new (globalThis as unknown as { WebSocket: new (url: string) => WebSocketLike }).WebSocket(config.url)
  return new SecretStream(fromWebSocket(ws), {
    isInitiator: true, keyPair, appKey: options.appKey ?? new Uint8Array(config.appKey), remotePublicKey: options.serverKey ?? parseId(config.serverId)
  })
}

async function failureCode(stream: SecretStream): Promise<string> {
  stream.on('error', () => {})
  return stream.opened.then(() => 'opened', (err: { code?: string }) => String(err.code))
}

function memoryPeers(appKey: Uint8Array, serverKeys: KeyPair, clientKeys: KeyPair, dialed: Uint8Array, clientAppKey = appKey, crypto?: CryptoBackend): { client: SecretStream; server: SecretStream } {
  const [a, b] = createDuplexPair(64 * 1024)
  return {
    client: new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey: clientAppKey, remotePublicKey: dialed, crypto }),
    server: new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey, crypto })
  }
}

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => (a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]))

/**
 * The backend in use against noble, in this page: identical bytes on random inputs and identical
 * decisions on the hostile points and malleated signatures. Returns [checks, disagreements].
 */
function agreeWithNoble(other: CryptoBackend): [number, string[]] {
  const noble = createCryptoBackend('noble')
  const bad: string[] = []
  let checks = 0
  const check = (label: string, ok: boolean): void => { checks++; if (!ok) bad.push(label) }
  for (let i = 0; i < 20; i++) {
    const seed = randomData(32)
    const a = noble.signKeyPairFromSeed(seed)
    const b = other.signKeyPairFromSeed(seed)
    check('key pair', same(a.secretKey, b.secretKey))
    const msg = randomData(1 + i * 7)
    const sig = noble.sign(msg, a.secretKey)
    check('sign', same(sig, other.sign(msg, b.secretKey)))
    check('verify', noble.verify(sig, msg, a.publicKey) === true && other.verify(sig, msg, a.publicKey) === true)
    check('malleated S', noble.verify(malleate(sig), msg, a.publicKey) === other.verify(malleate(sig), msg, a.publicKey))
    const scalar = noble.signSecretKeyToCurve(a.secretKey)
    check('sk to curve', same(scalar, other.signSecretKeyToCurve(b.secretKey)))
    check('pk to curve', same(noble.signPublicKeyToCurve(a.publicKey), other.signPublicKeyToCurve(a.publicKey)))
    const peer = noble.scalarMultBase(randomData(32))
    check('x25519', same(noble.scalarMult(scalar, peer), other.scalarMult(scalar, peer)))
    const random = randomData(32)
    check('random point to curve', same(noble.signPublicKeyToCurve(random), other.signPublicKeyToCurve(random)))
    const key = randomData(32)
    const nonce = randomData(24)
    const body = randomData(i * 200)
    const x = body.slice()
    const y = body.slice()
    const tx = new Uint8Array(16)
    const ty = new Uint8Array(16)
    noble.secretboxSealDetached(x, tx, nonce, key)
    other.secretboxSealDetached(y, ty, nonce, key)
    check('secretbox', same(x, y) && same(tx, ty))
    const out = new Uint8Array(x.length)
    check('secretbox open', other.secretboxOpenDetached(out, x, tx, nonce, key) && same(out, body))
    tx[0]! ^= 1
    check('tampered box', !noble.secretboxOpenDetached(out, x, tx, nonce, key) && !other.secretboxOpenDetached(out, x, tx, nonce, key))
  }
  const scalar = randomData(32)
  for (const point of LOW_ORDER_X25519) check('low-order x25519', noble.scalarMult(scalar, point) === null && other.scalarMult(scalar, point) === null)
  const signer = noble.signKeyPairFromSeed(randomData(32))
  const msg = randomData(10)
  for (const point of BAD_ED25519) {
    check('bad ed25519 to curve', noble.signPublicKeyToCurve(point) === null && other.signPublicKeyToCurve(point) === null)
    const sig = noble.sign(msg, signer.secretKey)
    check('bad ed25519 key', noble.verify(sig, msg, point) === other.verify(sig, msg, point))
    const badR = sig.slice()
    badR.set(point, 0)
    check('bad R', noble.verify(badR, msg, signer.publicKey) === false && other.verify(badR, msg, signer.publicKey) === false)
  }
  return [checks, bad]
}

/** Everything the harness checks, for one backend. */
export async function runChecks(config: PageConfig): Promise<Record<string, unknown>> {
  const backend = await loadBackend(config.backend)
  const out: Record<string, unknown> = { backend: config.backend, bufferGlobal: typeof (globalThis as unknown as { Buffer?: unknown }).Buffer }
  const [checks, disagreements] = agreeWithNoble(backend)
  out.backendChecks = checks
  out.backendDisagreements = disagreements
  if (backend.asyncCurve) {
    const curve = await curveAgreement(backend.asyncCurve, createCryptoBackend('noble'))
    out.backendChecks = checks + curve.checks
    out.backendDisagreements = [...disagreements, ...curve.disagreements]
    out.bareWebCryptoForgeries = `${curve.bareForgeriesAccepted} of ${curve.bareForgeriesTried}`
  }
  const appKey = new Uint8Array(config.appKey)

  // 1. A channel to the Node server over WebSocket, both ids, 8 MiB each way.
  const me = generateKeyPair()
  out.clientId = formatId(me.publicKey)
  const channel = dial(config, me)
  await channel.opened
  out.seenServerId = formatId(channel.remotePublicKey!)
  const up = randomData(config.transferBytes)
  out.sentHash = hex(await crypto.subtle.digest('SHA-256', up))
  const started = performance.now()
  const [received] = await Promise.all([readAll(channel), writeAll(channel, up)])
  out.transferSeconds = (performance.now() - started) / 1000
  out.receivedBytes = received.length
  out.receivedHash = hex(await crypto.subtle.digest('SHA-256', received))

  // 2. Typed failures over WebSocket, as the client sees them.
  out.wrongAppKey = await failureCode(dial(config, generateKeyPair(), { appKey: randomData(32) }))
  out.wrongServerKey = await failureCode(dial(config, generateKeyPair(), { serverKey: generateKeyPair().publicKey }))
  out.unauthorized = await failureCode(dial(config, generateKeyPair(new Uint8Array(config.refusedSeed))))

  // 3. Two in-page peers over createDuplexPair, including the server-side codes.
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const pair = memoryPeers(appKey, serverKeys, clientKeys, serverKeys.publicKey)
  const echoed = readAll(pair.client)
  pair.server.pipe(pair.server)
  const hello = new TextEncoder().encode('hello from the page')
  pair.client.end(hello)
  out.inPageEcho = new TextDecoder().decode(await echoed)
  out.inPageIds = formatId(pair.server.remotePublicKey!) === formatId(clientKeys.publicKey) && formatId(pair.client.remotePublicKey!) === formatId(serverKeys.publicKey)
  const wrongApp = memoryPeers(appKey, serverKeys, clientKeys, serverKeys.publicKey, randomData(32))
  wrongApp.client.on('error', () => {})
  out.inPageWrongAppKey = await failureCode(wrongApp.server)
  const wrongKey = memoryPeers(appKey, serverKeys, clientKeys, generateKeyPair().publicKey)
  wrongKey.client.on('error', () => {})
  out.inPageServerKeyMismatch = await failureCode(wrongKey.server)

  // 4. Speed between two in-page peers, warm (speed.ts): handshakes/s over streams and over the
  // bare state machines, then box+unbox MB/s (64 KiB writes).
  const onePair = (crypto?: CryptoBackend) => async (): Promise<void> => {
    const p = memoryPeers(appKey, serverKeys, clientKeys, serverKeys.publicKey, appKey, crypto)
    await Promise.all([p.client.opened, p.server.opened])
    p.client.destroy()
    p.server.destroy()
  }
  const streams = await warmRate(config.warmMs, config.benchMs, onePair())
  out.coldHandshakesPerSecond = streams.cold
  out.handshakesPerSecond = streams.warm
  // Against noble in this very page, in alternating blocks (speed.ts): the ratio the browser
  // target is about, steadier on a shared machine than two figures taken one page after another.
  if (config.publicKeyOps && config.backend !== 'noble') {
    const noble = createCryptoBackend('noble')
    await warmRate(config.warmMs, 0, onePair(noble))
    const rates = await interleavedRates(3 * config.benchMs, 150, onePair(), onePair(noble))
    out.interleavedHandshakes = { backend: rates.a, noble: rates.b }
  }
  // The same with several pairs at once: pairs would overlap where WebCrypto works off the main
  // thread (Chromium runs it on the page's thread, so there they do not; docs/browser.md).
  const concurrent = await warmRate(config.warmMs, config.benchMs, async () => {
    const pairs = Array.from({ length: CONCURRENT_PAIRS }, () => memoryPeers(appKey, serverKeys, clientKeys, serverKeys.publicKey))
    await Promise.all(pairs.flatMap((p) => [p.client.opened, p.server.opened]))
    for (const p of pairs) {
      p.client.destroy()
      p.server.destroy()
    }
  })
  out.concurrentHandshakesPerSecond = concurrent.warm * CONCURRENT_PAIRS
  // The machines' synchronous step methods: only meaningful for a synchronous backend.
  out.machineHandshakesPerSecond = backend.asyncCurve ? null : (await warmRate(config.warmMs, config.benchMs, () => machineHandshake(appKey, clientKeys, serverKeys, backend))).warm
  if (config.publicKeyOps) {
    const web = await webcryptoFixture()
    const webRate = web ? (await warmRate(config.warmMs, config.benchMs, () => webcryptoPublicKeyOps(web))).warm : null
    if (backend.asyncCurve) {
      // This backend's public-key operations are WebCrypto's.
      out.publicKeyOpsPerSecond = webRate
      out.webcryptoPublicKeyOpsPerSecond = null
    } else {
      const signer = backend.signKeyPairFromSeed(randomData(32))
      const x = backend.signSecretKeyToCurve(signer.secretKey)
      const fixture = { signer: signer.secretKey, signerPublic: signer.publicKey, x, xPublic: backend.scalarMultBase(x) }
      out.publicKeyOpsPerSecond = (await warmRate(config.warmMs, config.benchMs, () => backendPublicKeyOps(backend, fixture))).warm
      out.webcryptoPublicKeyOpsPerSecond = webRate
    }
  }
  const data = randomData(config.benchBytes)
  const boxUnbox = async (bytes: Uint8Array): Promise<number> => {
    const bench = memoryPeers(appKey, serverKeys, clientKeys, serverKeys.publicKey)
    await Promise.all([bench.client.opened, bench.server.opened])
    const t0 = performance.now()
    const got = readAll(bench.server)
    await writeAll(bench.client, bytes)
    const all = await got
    bench.server.end()
    if (all.length !== bytes.length) throw new Error('box+unbox lost bytes')
    return all.length / 1e6 / ((performance.now() - t0) / 1000)
  }
  if (config.warmMs > 0) await boxUnbox(data.subarray(0, data.length >> 2))
  out.boxUnboxMBps = await boxUnbox(data)
  return out
}

;(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks
