/**
 * `npm run bench`: every benchmark in one run, interleaved by round (each round measures every
 * stack once per figure, so a slow spell on a shared machine hits all of them), medians over
 * rounds, ratios against each peer. Writes `results.json`, `results.svg` and `table.md` to
 * `BENCH_OUT` (default bench/results/). Sizes: see config.ts (`BENCH_QUICK=1` for a smoke run).
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { availableCryptoBackends, createCryptoBackend, useCryptoBackend } from '../lib/crypto/index.js'
import { config, median } from './config.js'
import { machineHandshakes, memoryHandshakes, oursBoxUnbox, referenceBoxUnbox } from './memory.js'
import { bulk, bulkAccept, bulkConnect, connections, flood, idleHeap, type FloodFigures, type TcpFigures } from './tcp.js'
import { WITHOUT_ADDON } from './spawn.js'
import { loadNativeBoxStream } from '../lib/crypto/native-box-stream.js'
import { markdown, svg, type BenchResult, type TcpRow } from './report.js'
import { targets } from './targets.js'
import { browserFigures } from './browser.js'

// The whole run's wall time goes into the results: how long a full `npm run bench` takes here.
const runStart = performance.now()
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
/** Whether sodium-native's rows run with the native box-stream addon (built by `npm run build` where libsodium's headers exist). */
const addonLoaded = backends.includes('sodium-native') && loadNativeBoxStream() !== null
// The aggregate, connect() and backpressure sections: our backends chosen by BENCH_EXTRA_BACKENDS.
const extraBackends = config.extraBackends.includes('all') ? backends : backends.filter((b) => config.extraBackends.includes(b))
const floodStacks: Array<[string, string, string | null]> = [...extraBackends.map((b): [string, string, string] => [`ours:${b}`, 'ours', b]), ...peersTcp.map((p): [string, string, null] => [p, p, null])]

/** Records one TCP transfer: MB/s as a sample, the per-side figures beside it (`<field>:<section>:<stack>`). */
function addTcp(section: string, name: string, t: TcpFigures): void {
  add(`${section}:${name}`, t.mbps)
  add(`rss:${section}:${name}`, t.receiverRssMiB, extra)
  add(`rss-sender:${section}:${name}`, t.senderRssMiB, extra)
  add(`cpu-receiver:${section}:${name}`, t.receiverCpu, extra)
  add(`cpu-sender:${section}:${name}`, t.senderCpu, extra)
  add(`gc-receiver:${section}:${name}`, t.receiverGc, extra)
  add(`gc-sender:${section}:${name}`, t.senderGc, extra)
  log(`  ${section} ${name} ${t.mbps.toFixed(0)} MB/s`)
}

/** Records one backpressure-ignoring transfer (`flood-<field>:<stack>`). */
function addFlood(name: string, f: FloodFigures): void {
  add(`flood-external:${name}`, f.peakExternalMiB, extra)
  add(`flood-arraybuffers:${name}`, f.peakArrayBuffersMiB, extra)
  add(`flood-written:${name}`, f.writtenMiB, extra)
  add(`flood-maxwrite:${name}`, f.maxTransportWriteBytes, extra)
  add(`flood-writes:${name}`, f.transportWrites, extra)
  log(`  backpressure ignored ${name}: peak external ${f.peakExternalMiB.toFixed(0)} MiB for ${f.writtenMiB.toFixed(0)} MiB written, largest transport write ${f.maxTransportWriteBytes} B`)
}
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
  for (const b of backends) addTcp('tcp', `ours:${b}`, await bulk('ours', b, config.tcpBytes, config.writeBytes, config.verify))
  // What the optional native addon is worth: the same backend with it turned off, in the same round.
  if (addonLoaded) addTcp('tcp', `ours:sodium-native${WITHOUT_ADDON}`, await bulk('ours', `sodium-native${WITHOUT_ADDON}`, config.tcpBytes, config.writeBytes, config.verify))
  for (const p of peersTcp) addTcp('tcp', p, await bulk(p, null, config.tcpBytes, config.writeBytes, config.verify))
  for (const b of extraBackends) addTcp('tcp-connect', `ours:${b}`, await bulkConnect(b, config.tcpBytes, config.writeBytes, config.verify))
  for (const b of extraBackends) addTcp('tcp-accept', `ours:${b}`, await bulkAccept(b, config.tcpBytes, config.writeBytes, config.verify))
  for (const n of config.aggregateConnections) {
    for (const b of extraBackends) addTcp(`agg-${n}`, `ours:${b}`, await bulk('ours', b, config.tcpBytes, config.writeBytes, config.verify, n))
    for (const p of peersTcp) addTcp(`agg-${n}`, p, await bulk(p, null, config.tcpBytes, config.writeBytes, config.verify, n))
  }
  for (const [name, impl, backend] of floodStacks) addFlood(name, await flood(impl, backend, config.floodBytes, config.writeBytes, config.verify))
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
    add(`browser-hs8:${name}`, f.concurrentHandshakesPerSecond)
    add(`browser-box:${name}`, f.boxUnboxMBps)
    add(`browser-ws:${name}`, f.websocketMBps)
    if (f.machineHandshakesPerSecond !== null) add(`browser-machines:${name}`, f.machineHandshakesPerSecond)
    add(`browser-pk:${name}`, f.publicKeyOpsPerSecond)
    if (f.handshakesVsNobleInterleaved !== null) add(`browser-hsx:${name}`, f.handshakesVsNobleInterleaved)
    if (f.webcryptoPublicKeyOpsPerSecond !== null) add('browser-pk:webcrypto', f.webcryptoPublicKeyOpsPerSecond)
    log(`  browser ${name}: ${f.handshakesPerSecond.toFixed(0)} handshakes/s (${f.concurrentHandshakesPerSecond.toFixed(0)} with 8 pairs at once, ${f.machineHandshakesPerSecond?.toFixed(0) ?? '–'} machines only), ${f.boxUnboxMBps.toFixed(1)} MB/s box+unbox, ${f.websocketMBps.toFixed(1)} MB/s over WebSocket; ` +
      `public-key ops of a handshake pair ${f.publicKeyOpsPerSecond.toFixed(0)}/s (WebCrypto in the same page: ${f.webcryptoPublicKeyOpsPerSecond?.toFixed(0) ?? 'none'}/s)` +
      (f.handshakesVsNobleInterleaved !== null ? `; handshakes ${f.handshakesVsNobleInterleaved.toFixed(2)}× noble, alternating in the same page` : ''))
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
/** One TCP section's rows (medians), by stack. */
function tcpSection(section: string): Record<string, TcpRow> {
  const field = (f: string): Record<string, number> => pick(`${f}:${section}:`, extra)
  const [rss, rssSender, cpuReceiver, cpuSender, gcReceiver, gcSender] = ['rss', 'rss-sender', 'cpu-receiver', 'cpu-sender', 'gc-receiver', 'gc-sender'].map(field)
  return Object.fromEntries(Object.entries(pick(`${section}:`)).map(([k, mbps]) => [k, { mbps, receiverRssMiB: rss![k]!, senderRssMiB: rssSender![k]!, receiverCpuSecondsPerGiB: cpuReceiver![k]!, senderCpuSecondsPerGiB: cpuSender![k]!, receiverGcSecondsPerGiB: gcReceiver![k]!, senderGcSecondsPerGiB: gcSender![k]! }]))
}
const floodExternal = pick('flood-external:', extra)
const floodArrayBuffers = pick('flood-arraybuffers:', extra)
const floodWritten = pick('flood-written:', extra)
const floodWrites = pick('flood-writes:', extra)
// The largest transport write is a bound to check, so the worst round counts, not the median.
const floodMaxWrite = Object.fromEntries(Object.entries(extra).filter(([k]) => k.startsWith('flood-maxwrite:')).map(([k, v]) => [k.slice('flood-maxwrite:'.length), Math.max(...v)]))
const result: BenchResult = {
  machine: {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    note: (config.quick ? 'QUICK smoke run: tiny sizes, figures meaningless.' : `Medians of ${config.rounds} interleaved rounds.`) +
      (!backends.includes('sodium-native') ? '' : addonLoaded ? ' sodium-native rows use the native box-stream addon (native/).' : ' The native box-stream addon was not built: sodium-native rows seal and open frame by frame.'),
    runMinutes: (performance.now() - runStart) / 60_000
  },
  config: { ...config },
  backends,
  memory,
  tcp: tcpSection('tcp'),
  tcpConnect: tcpSection('tcp-connect'),
  tcpAccept: tcpSection('tcp-accept'),
  aggregate: Object.fromEntries(config.aggregateConnections.map((n) => [String(n), tcpSection(`agg-${n}`)])),
  backpressureIgnored: Object.fromEntries(Object.entries(floodExternal).map(([k, peakExternalMiB]) => [k, { peakExternalMiB, peakArrayBuffersMiB: floodArrayBuffers[k]!, writtenMiB: floodWritten[k]!, maxTransportWriteBytes: floodMaxWrite[k]!, transportWrites: floodWrites[k]! }])),
  handshakesMemory: pick('hs:'),
  handshakesMachines: pick('machines:'),
  connections: pick('conn:'),
  idleHeap: heap,
  browser: chromium === null ? null : {
    chromium,
    handshakesPerSecond: pick('browser-hs:'),
    concurrentHandshakesPerSecond: pick('browser-hs8:'),
    boxUnboxMBps: pick('browser-box:'),
    websocketMBps: pick('browser-ws:'),
    machineHandshakesPerSecond: pick('browser-machines:'),
    publicKeyOpsPerSecond: pick('browser-pk:'),
    handshakesVsNobleInterleaved: pick('browser-hsx:')
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
