/**
 * `npm run bench`: every benchmark in one run, interleaved by round (each round measures every
 * stack once per figure, so a slow spell on a shared machine hits all of them), medians over
 * rounds, ratios against each peer. Writes `results.json`, `results.svg` and `table.md` to
 * `BENCH_OUT` (default bench/results/). Sizes: see config.ts (`BENCH_QUICK=1` for a smoke run).
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { availableCryptoBackends, createCryptoBackend, useCryptoBackend } from '../lib/crypto/index.js'
import { config, median } from './config.js'
import { machineHandshakes, memoryHandshakes, oursBoxUnbox, referenceBoxUnbox } from './memory.js'
import { bulk, connections, idleHeap } from './tcp.js'
import { markdown, svg, targets, type BenchResult } from './report.js'
import { browserFigures } from './browser.js'

const backends = config.backends.length ? availableCryptoBackends().filter((b) => config.backends.includes(b)) : availableCryptoBackends()
const cryptos = backends.map((b) => createCryptoBackend(b))
const samples: Record<string, number[]> = {}
const extra: Record<string, number[]> = {}
const add = (key: string, v: number, into = samples): void => {
  ;(into[key] ??= []).push(v)
}
const log = (s: string): void => {
  if (!process.env.BENCH_SILENT) console.log(s)
}

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU'
  } catch {
    return 'unknown CPU'
  }
}

const peersTcp = ['reference', 'hyperswarm', 'plain']
// Warm-up, untimed: let the JIT settle before round 1 so it does not skew the first samples.
for (const size of config.memorySizes) {
  await referenceBoxUnbox(size, config.memoryMs)
  for (const c of cryptos) oursBoxUnbox(c, size, config.memoryMs)
}
for (const impl of ['reference', 'hyperswarm']) await memoryHandshakes(impl, config.handshakeMs / 4)
for (const c of cryptos) {
  machineHandshakes(c, config.handshakeMs / 4)
  useCryptoBackend(c)
  await memoryHandshakes('ours', config.handshakeMs / 4)
}
for (let round = 1; round <= config.rounds; round++) {
  log(`round ${round}/${config.rounds}`)
  for (const size of config.memorySizes) {
    add(`memory:${size}:pull-box-stream`, await referenceBoxUnbox(size, config.memoryMs))
    for (const c of cryptos) add(`memory:${size}:ours:${c.name}`, oursBoxUnbox(c, size, config.memoryMs))
  }
  for (const impl of ['reference', 'hyperswarm']) add(`hs:${impl}`, await memoryHandshakes(impl, config.handshakeMs))
  for (const c of cryptos) {
    add(`machines:ours:${c.name}`, machineHandshakes(c, config.handshakeMs))
    useCryptoBackend(c)
    add(`hs:ours:${c.name}`, await memoryHandshakes('ours', config.handshakeMs))
  }
  for (const b of backends) {
    const t = await bulk('ours', b, config.tcpBytes, config.writeBytes, config.verify)
    add(`tcp:ours:${b}`, t.mbps)
    add(`rss:ours:${b}`, t.receiverRssMiB, extra)
    add(`rss-sender:ours:${b}`, t.senderRssMiB, extra)
    add(`cpu-receiver:ours:${b}`, t.receiverCpu, extra)
    add(`cpu-sender:ours:${b}`, t.senderCpu, extra)
    add(`gc-receiver:ours:${b}`, t.receiverGc, extra)
    add(`gc-sender:ours:${b}`, t.senderGc, extra)
    log(`  tcp ours:${b} ${t.mbps.toFixed(0)} MB/s`)
  }
  for (const p of peersTcp) {
    const t = await bulk(p, null, config.tcpBytes, config.writeBytes, config.verify)
    add(`tcp:${p}`, t.mbps)
    add(`rss:${p}`, t.receiverRssMiB, extra)
    add(`rss-sender:${p}`, t.senderRssMiB, extra)
    add(`cpu-receiver:${p}`, t.receiverCpu, extra)
    add(`cpu-sender:${p}`, t.senderCpu, extra)
    add(`gc-receiver:${p}`, t.receiverGc, extra)
    add(`gc-sender:${p}`, t.senderGc, extra)
    log(`  tcp ${p} ${t.mbps.toFixed(0)} MB/s`)
  }
  for (const b of backends) add(`conn:ours:${b}`, await connections('ours', b, config.connections))
  for (const p of peersTcp) add(`conn:${p}`, await connections(p, null, config.connections))
}
// Browser figures (headless Chromium), one run per round, medians like the rest.
let chromium: string | null = null
for (let round = 1; round <= config.rounds; round++) {
  const b = await browserFigures(config.quick)
  if (!b) break
  chromium = b.chromium
  for (const [name, f] of Object.entries(b.backends)) {
    add(`browser-hs:${name}`, f.handshakesPerSecond)
    add(`browser-box:${name}`, f.boxUnboxMBps)
    add(`browser-ws:${name}`, f.websocketMBps)
    add(`browser-machines:${name}`, f.machineHandshakesPerSecond)
    add(`browser-pk:${name}`, f.publicKeyOpsPerSecond)
    if (f.webcryptoPublicKeyOpsPerSecond !== null) add('browser-pk:webcrypto', f.webcryptoPublicKeyOpsPerSecond)
    log(`  browser ${name}: ${f.handshakesPerSecond.toFixed(0)} handshakes/s (${f.machineHandshakesPerSecond.toFixed(0)} machines only), ${f.boxUnboxMBps.toFixed(1)} MB/s box+unbox, ${f.websocketMBps.toFixed(1)} MB/s over WebSocket; ` +
      `public-key ops of a handshake pair ${f.publicKeyOpsPerSecond.toFixed(0)}/s (WebCrypto in the same page: ${f.webcryptoPublicKeyOpsPerSecond?.toFixed(0) ?? 'none'}/s)`)
  }
}

// Heap per idle connection is a count of bytes, not a timing: measured once.
const heap: Record<string, number> = {}
for (const b of backends) heap[`ours:${b}`] = await idleHeap('ours', b, config.idle)
for (const p of peersTcp) heap[p] = await idleHeap(p, null, config.idle)

const pick = (prefix: string, into = samples): Record<string, number> => Object.fromEntries(Object.entries(into)
  .filter(([k]) => k.startsWith(prefix))
  .map(([k, v]) => [k.slice(prefix.length), median(v)]))

const memory: BenchResult['memory'] = {}
for (const size of config.memorySizes) memory[String(size)] = pick(`memory:${size}:`)
const tcpMbps = pick('tcp:')
const rss = pick('rss:', extra)
const rssSender = pick('rss-sender:', extra)
const cpuReceiver = pick('cpu-receiver:', extra)
const cpuSender = pick('cpu-sender:', extra)
const gcReceiver = pick('gc-receiver:', extra)
const gcSender = pick('gc-sender:', extra)
const result: BenchResult = {
  machine: {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    note: config.quick ? 'QUICK smoke run: tiny sizes, figures meaningless.' : `Medians of ${config.rounds} interleaved rounds.`
  },
  config: { ...config },
  backends,
  memory,
  tcp: Object.fromEntries(Object.entries(tcpMbps).map(([k, mbps]) => [k, { mbps, receiverRssMiB: rss[k]!, senderRssMiB: rssSender[k]!, receiverCpuSecondsPerGiB: cpuReceiver[k]!, senderCpuSecondsPerGiB: cpuSender[k]!, receiverGcSecondsPerGiB: gcReceiver[k]!, senderGcSecondsPerGiB: gcSender[k]! }])),
  handshakesMemory: pick('hs:'),
  handshakesMachines: pick('machines:'),
  connections: pick('conn:'),
  idleHeap: heap,
  browser: chromium === null ? null : {
    chromium,
    handshakesPerSecond: pick('browser-hs:'),
    boxUnboxMBps: pick('browser-box:'),
    websocketMBps: pick('browser-ws:'),
    machineHandshakesPerSecond: pick('browser-machines:'),
    publicKeyOpsPerSecond: pick('browser-pk:')
  },
  samples
}
mkdirSync(config.out, { recursive: true })
writeFileSync(join(config.out, 'results.json'), JSON.stringify(result, null, 2) + '\n')
writeFileSync(join(config.out, 'results.svg'), svg(result))
const goals = targets(result)
const table = markdown(result) + '\n```\n' + goals.join('\n') + '\n```\n'
writeFileSync(join(config.out, 'table.md'), table)
log(table)
process.exit(0)
