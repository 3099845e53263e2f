/**
 * Browser figures for `npm run bench`: the bundled package in headless Chromium (the same page and
 * harness as test/browser/chromium.test.ts), per crypto backend that loads in the page (noble,
 * wasm, webcrypto with noble or wasm for symmetric work): handshakes/s (one pair at a time and 8
 * pairs at once) and box+unbox MB/s (64 KiB writes) between in-page peers, and the MB/s
 * of an 8 MiB-each-way exchange over WebSocket with a Node server. Skipped (null) when Chromium is
 * not installed or BENCH_BROWSER=0.
 * @module
 */
import { chromiumInstalled, runInChromium } from '../test/browser/harness.js'

/** One backend's browser figures (warm, see test/browser/speed.ts). */
export interface BrowserFigures {
  /** Two in-page peers over createDuplexPair, SecretStream on both sides, after the warm-up. */
  handshakesPerSecond: number
  /** 8 pairs handshaking at once, all counted (they overlap only where WebCrypto runs off the main thread; not in Chromium). */
  concurrentHandshakesPerSecond: number
  /** The same during the warm-up (V8 still on its baseline compilers). */
  coldHandshakesPerSecond: number
  /** The state machines alone, no streams; null for webcrypto (its handshakes need the driver). */
  machineHandshakesPerSecond: number | null
  /** Only the Ed25519/X25519 operations of one handshake pair, on this backend. */
  publicKeyOpsPerSecond: number
  /** The same operations on the page's WebCrypto, one await each (null where it lacks them). */
  webcryptoPublicKeyOpsPerSecond: number | null
  /**
   * Handshakes/s of this backend over noble's, both timed in the same page in alternating blocks
   * (test/browser/speed.ts `interleavedRates`); null for noble itself.
   */
  handshakesVsNobleInterleaved: number | null
  boxUnboxMBps: number
  /** Both directions' bytes over the WebSocket exchange, per second of the exchange. */
  websocketMBps: number
}

/** One run in Chromium; figures per backend plus the browser version. */
export async function browserFigures(quick: boolean): Promise<{ chromium: string; backends: Record<string, BrowserFigures> } | null> {
  if (process.env.BENCH_BROWSER === '0' || !chromiumInstalled()) return null
  const transferBytes = quick ? 1024 * 1024 : 8 * 1024 * 1024
  const runs = await runInChromium({
    backends: ['noble', 'wasm', 'webcrypto', 'webcrypto+wasm'],
    transferBytes,
    benchBytes: quick ? 1024 * 1024 : 32 * 1024 * 1024,
    benchMs: quick ? 50 : 2000,
    warmMs: quick ? 20 : 1500,
    publicKeyOps: true
  })
  const backends: Record<string, BrowserFigures> = {}
  for (const { page } of runs) {
    backends[page.backend] = {
      handshakesPerSecond: page.handshakesPerSecond,
      concurrentHandshakesPerSecond: page.concurrentHandshakesPerSecond,
      coldHandshakesPerSecond: page.coldHandshakesPerSecond,
      machineHandshakesPerSecond: page.machineHandshakesPerSecond,
      publicKeyOpsPerSecond: page.publicKeyOpsPerSecond ?? 0,
      webcryptoPublicKeyOpsPerSecond: page.webcryptoPublicKeyOpsPerSecond ?? null,
      handshakesVsNobleInterleaved: page.interleavedHandshakes ? page.interleavedHandshakes.backend / page.interleavedHandshakes.noble : null,
      boxUnboxMBps: page.boxUnboxMBps,
      websocketMBps: (2 * transferBytes) / 1e6 / page.transferSeconds
    }
  }
  return { chromium: runs[0]?.chromium ?? 'unknown', backends }
}

/**
 * `npm run bench:browser`: only the browser figures, BENCH_ROUNDS rounds (default 3), medians,
 * written to BENCH_OUT/browser.json (default bench/results/) and printed.
 */
async function main(): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { config, median } = await import('./config.js')
  const rounds = Number(process.env.BENCH_ROUNDS || 3)
  const samples: Record<string, Record<string, number[]>> = {}
  let chromium = 'unknown'
  for (let round = 1; round <= rounds; round++) {
    const b = await browserFigures(config.quick)
    if (!b) throw new Error('Chromium is not installed here (or BENCH_BROWSER=0)')
    chromium = b.chromium
    for (const [name, f] of Object.entries(b.backends)) {
      for (const [k, v] of Object.entries(f)) if (typeof v === 'number') ((samples[name] ??= {})[k] ??= []).push(v)
    }
    console.log(`round ${round}/${rounds}: ${JSON.stringify(b.backends)}`)
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([name, f]) => [name, Object.fromEntries(Object.entries(f).map(([k, v]) => [k, median(v)]))]))
  const result = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', chromium, rounds, note: 'Medians over rounds, shared 2-core machine.', medians, samples }
  mkdirSync(config.out, { recursive: true })
  writeFileSync(join(config.out, 'browser.json'), JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(medians, null, 2))
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main()
