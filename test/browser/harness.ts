/**
 * Runs the bundled package in headless Chromium (Debian's `chromium`, driven by playwright-core):
 * serves test/browser/page.ts bundled by esbuild for the browser, with a Node
 * `createWebSocketServer` on the same HTTP server, and returns what the page reports per backend.
 * Shared by test/browser/chromium.test.ts and bench/browser.ts. Starts and stops its own server
 * and browser; every step is bounded in time.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
import { generateKeyPair, formatId, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { createWebSocketServer } from '../../lib/transports/websocket-server.js'
import type { SecretChannelError } from '../../lib/errors.js'
import type { PageBackend, PageConfig } from './page.js'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (dist/test/browser -> ../../..). */
export const root = join(here, '..', '..', '..')
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
/** The flags the machine needs: no sandbox (root), no GPU, and no background network chatter. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Bundles the test page for the browser (the package's `browser` condition). */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'dist', 'test', 'browser', 'page.js')],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent'
  })
  return result.outputFiles[0]!.text
}

/** What runChecks (page.ts) reports for one backend; the harness adds pageErrors. */
interface PageReport {
  backend: string
  pageErrors?: string[]
  bufferGlobal: string
  backendChecks: number
  backendDisagreements: unknown[]
  clientId: string
  seenServerId: string
  sentHash: string
  transferSeconds: number
  receivedBytes: number
  receivedHash: string
  wrongAppKey: string
  wrongServerKey: string
  unauthorized: string
  inPageEcho: string
  inPageIds: boolean
  inPageWrongAppKey: string
  inPageServerKeyMismatch: string
  /** webcrypto: how many S = 0 forgeries the bare crypto.subtle accepted (without our prechecks). */
  bareWebCryptoForgeries?: string
  handshakesPerSecond: number
  /** With several pairs handshaking at once (page.ts CONCURRENT_PAIRS), all pairs counted. */
  concurrentHandshakesPerSecond: number
  coldHandshakesPerSecond: number
  /** The machines' synchronous step methods; null for a backend with an asynchronous curve. */
  machineHandshakesPerSecond: number | null
  publicKeyOpsPerSecond?: number
  webcryptoPublicKeyOpsPerSecond?: number | null
  /**
   * With `publicKeyOps`, on every backend but noble: handshakes/s of this backend and of noble in
   * the same page, timed in alternating blocks (speed.ts `interleavedRates`).
   */
  interleavedHandshakes?: { backend: number; noble: number }
  boxUnboxMBps: number
}

/** The global page.ts installs. */
interface PageGlobals {
  runChecks?: (config: PageConfig) => Promise<PageReport>
}

/** What one backend's run reports, plus what the Node side saw. */
export interface BrowserRun {
  page: PageReport
  server: { clientIds: string[]; receivedHash: string; sentHash: string; receivedBytes: number; failures: string[] }
  serverId: string
  chromium: string
}

/** Options for {@link runInChromium}. */
export interface RunOptions {
  backends: PageBackend[]
  transferBytes?: number
  benchBytes?: number
  /** Time per speed figure in the page, ms (default 200), after a warm-up of `warmMs` (default 0). */
  benchMs?: number
  warmMs?: number
  /** Also time the handshake's public-key operations on the backend and on WebCrypto (speed.ts). */
  publicKeyOps?: boolean
  /** Whole-run deadline, ms. */
  timeout?: number
}

/** Starts server and browser, runs the page once per backend, stops everything. */
export async function runInChromium(options: RunOptions): Promise<BrowserRun[]> {
  const transferBytes = options.transferBytes ?? 8 * 1024 * 1024
  const script = await bundlePage()
  const serverKeys = generateKeyPair()
  const refusedSeed = randomBytes(32)
  const refused = generateKeyPair(refusedSeed)
  const appKey = SSB_MAIN_NETWORK_APP_KEY

  const httpServer = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(script)
    } else {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><meta charset="utf-8"><title>secret-channel test</title><script type="module" src="/page.js"></script>')
    }
  })
  const wss = createWebSocketServer({ keyPair: serverKeys, appKey, server: httpServer, path: '/ws', authorize: (key) => !key.equals(refused.publicKey) })
  let server: BrowserRun['server'] = { clientIds: [], receivedHash: '', sentHash: '', receivedBytes: 0, failures: [] }
  wss.on('handshakeError', (err: SecretChannelError) => server.failures.push(err.code))
  wss.on('connection', (stream) => {
    server.clientIds.push(formatId(stream.remotePublicKey!))
    const hash = createHash('sha256')
    stream.on('data', (chunk: Buffer) => { hash.update(chunk); server.receivedBytes += chunk.length })
    stream.on('end', () => { server.receivedHash = hash.digest('hex') })
    stream.on('error', () => {})
    const data = randomBytes(transferBytes)
    server.sentHash = createHash('sha256').update(data).digest('hex')
    let at = 0
    const pump = (): void => {
      while (at < data.length) {
        const piece = data.subarray(at, at + 65536)
        at += piece.length
        if (!stream.write(piece)) return
      }
      stream.off('drain', pump)
      stream.end()
    }
    stream.on('drain', pump)
    pump()
  })
  httpServer.listen(0, '127.0.0.1')
  await once(httpServer, 'listening')
  const port = (httpServer.address() as AddressInfo).port

  const browser = await launchChromium()
  const deadline = setTimeout(() => { void browser.close() }, options.timeout ?? 240_000)
  const runs: BrowserRun[] = []
  try {
    for (const backend of options.backends) {
      server = { clientIds: [], receivedHash: '', sentHash: '', receivedBytes: 0, failures: [] }
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (err) => errors.push(String(err)))
      await page.goto(`http://127.0.0.1:${port}/`)
      await page.waitForFunction(() => typeof (globalThis as unknown as PageGlobals).runChecks === 'function', undefined, { timeout: 30_000 }).catch((err) => {
        throw new Error(`the page did not load: ${errors.join('; ') || err.message}`)
      })
      const result = await page.evaluate((config) => (globalThis as unknown as PageGlobals).runChecks!(config), {
        url: `ws://127.0.0.1:${port}/ws`,
        serverId: formatId(serverKeys.publicKey),
        appKey: Array.from(appKey),
        refusedSeed: Array.from(refusedSeed),
        backend,
        transferBytes,
        benchBytes: options.benchBytes ?? 4 * 1024 * 1024,
        benchMs: options.benchMs ?? 200,
        warmMs: options.warmMs ?? 0,
        publicKeyOps: options.publicKeyOps ?? false
      })
      if (errors.length) result.pageErrors = errors
      runs.push({ page: result, server, serverId: formatId(serverKeys.publicKey), chromium: browser.version() })
      await page.close()
    }
  } finally {
    clearTimeout(deadline)
    await browser.close().catch(() => {})
    await new Promise<void>((resolve) => wss.close(() => resolve()))
    await new Promise<void>((resolve) => httpServer.close(() => resolve()))
    httpServer.closeAllConnections?.()
  }
  return runs
}

/**
 * Starts Debian's headless Chromium with {@link CHROMIUM_ARGS}; playwright gives it a fresh
 * temporary profile (--user-data-dir) and removes it on close.
 * @example
 * ```ts
 * const browser = await launchChromium()
 * try { await (await browser.newPage()).goto(url) } finally { await browser.close() }
 * ```
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 })
}

/** True when the Chromium binary is installed here. */
export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM)
}
