/**
 * Turns a benchmark result into the markdown table for the README and a hand-written SVG chart.
 * @module
 */

/**
 * One TCP transfer's figures (medians over rounds) in the results.
 * @example
 * ```ts
 * const row: TcpRow = result.tcp['ours:sodium-native']!
 * console.log(row.mbps, row.receiverCpuSecondsPerGiB)
 * ```
 */
export interface TcpRow {
  mbps: number
  receiverRssMiB: number
  senderRssMiB: number
  receiverCpuSecondsPerGiB: number
  senderCpuSecondsPerGiB: number
  receiverGcSecondsPerGiB?: number
  senderGcSecondsPerGiB?: number
}

/**
 * What a writer that ignores backpressure cost its process (bench/child-flood.ts), per stack.
 * @example
 * ```ts
 * const f: FloodRow = result.backpressureIgnored['ours:sodium-native']!
 * const held = f.peakExternalMiB / f.writtenMiB // the target: <= 1.1
 * ```
 */
export interface FloodRow {
  /** Median peak of process.memoryUsage().external above the pre-write baseline, MiB. */
  peakExternalMiB: number
  /** The same for process.memoryUsage().arrayBuffers. */
  peakArrayBuffersMiB: number
  writtenMiB: number
  /** The largest single socket.write over all rounds (a bound, so the worst round). */
  maxTransportWriteBytes: number
  transportWrites: number
}

/**
 * What `run.ts` measured; every figure is a median over rounds.
 * @example
 * ```ts
 * const result: BenchResult = JSON.parse(readFileSync('bench/results/results.json', 'utf8'))
 * ```
 */
export interface BenchResult {
  /** `runMinutes`: wall time of the whole run (absent in results from before it was recorded). */
  machine: { nproc: number; cpu: string; node: string; platform: string; date: string; note: string; runMinutes?: number }
  config: Record<string, unknown>
  backends: string[]
  /** MB/s of box+unbox, by write size, then by implementation (`ours:<backend>`, `pull-box-stream`). */
  memory: Record<string, Record<string, number>>
  /** TCP bulk transfer, by implementation (`ours:<backend>`, `reference`, `hyperswarm`, `plain`). */
  tcp: Record<string, TcpRow>
  /** TCP bulk where the library owns both sockets (`createServer` sends, `connect()` receives), by `ours:<backend>`. */
  tcpConnect?: Record<string, TcpRow>
  /** TCP bulk the other way round (`connect()` sends, `createServer` receives), by `ours:<backend>`. */
  tcpAccept?: Record<string, TcpRow>
  /** N connections at once (all senders in one process, all receivers in another), by N, then stack. */
  aggregate?: Record<string, Record<string, TcpRow>>
  /** A writer that ignores backpressure, by stack. */
  backpressureIgnored?: Record<string, FloodRow>
  /** Whole-stream handshakes per second over an in-memory pair. */
  handshakesMemory: Record<string, number>
  /** Our state machines alone, handshakes per second. */
  handshakesMachines: Record<string, number>
  /** TCP connections + handshakes + clean closes per second. */
  connections: Record<string, number>
  /** Heap bytes per idle open connection (server side, socket included). */
  idleHeap: Record<string, number>
  /** Headless Chromium, by backend in the page (bench/browser.ts); null when Chromium is not installed. */
  browser?: {
    chromium: string
    handshakesPerSecond: Record<string, number>
    /** 8 pairs handshaking at once, all counted. */
    concurrentHandshakesPerSecond?: Record<string, number>
    boxUnboxMBps: Record<string, number>
    websocketMBps: Record<string, number>
    /** The state machines alone. */
    machineHandshakesPerSecond?: Record<string, number>
    /** Only the Ed25519/X25519 operations of a handshake pair; `webcrypto` is the page's crypto.subtle. */
    publicKeyOpsPerSecond?: Record<string, number>
    /** Handshakes/s over noble's, both timed in one page in alternating blocks (not for noble). */
    handshakesVsNobleInterleaved?: Record<string, number>
  } | null
  samples: Record<string, number[]>
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : '–')

/** The figure cells of a TCP row, ratios against the peers' rows in `base` (`|`-led, `|`-ended). */
function tcpCells(t: TcpRow, base: Record<string, TcpRow>): string {
  return `| ${fmt(t.mbps)} | ${ratio(t.mbps, base.reference?.mbps)} | ${ratio(t.mbps, base.hyperswarm?.mbps)} | ${ratio(t.mbps, base.plain?.mbps)} | ${fmt(t.receiverCpuSecondsPerGiB, 2)} / ${fmt(t.senderCpuSecondsPerGiB, 2)} | ${fmt(t.receiverGcSecondsPerGiB, 3)} / ${fmt(t.senderGcSecondsPerGiB, 3)} | ${fmt(t.receiverRssMiB)} / ${fmt(t.senderRssMiB)} |`
}

/** Markdown: the machine, then one table per section, ours per backend with ratios to each peer. */
export function markdown(r: BenchResult): string {
  const ours = r.backends.map((b) => `ours:${b}`)
  // Variants of our rows (`ours:sodium-native/no-addon`, TCP only) follow the backends' rows.
  const ourRows = [...ours, ...Object.keys(r.tcp).filter((name) => name.startsWith('ours:') && !ours.includes(name))]
  const lines: string[] = []
  lines.push(`Measured ${r.machine.date} on ${r.machine.nproc} cores (${r.machine.cpu}), Node ${r.machine.node}, ${r.machine.platform}. ${r.machine.note}${r.machine.runMinutes === undefined ? '' : ` The run took ${fmt(r.machine.runMinutes, 1)} minutes.`}`)
  lines.push('')
  lines.push('**Box+unbox in memory, MB/s** (ratio vs pull-box-stream)')
  lines.push('')
  lines.push(`| write size | pull-box-stream | ${r.backends.join(' | ')} |`)
  lines.push(`|---|---|${r.backends.map(() => '---').join('|')}|`)
  for (const [size, row] of Object.entries(r.memory)) {
    const label = Number(size) >= 1048576 ? `${Number(size) / 1048576} MiB` : Number(size) >= 1024 ? `${Number(size) / 1024} KiB` : `${size} B`
    lines.push(`| ${label} | ${fmt(row['pull-box-stream'])} | ${ours.map((o) => `${fmt(row[o])} (${ratio(row[o], row['pull-box-stream'])})`).join(' | ')} |`)
  }
  lines.push('')
  const peers = ['reference', 'hyperswarm', 'plain'].filter((p) => r.tcp[p])
  const tcpHead = '| MB/s | vs reference | vs hyperswarm | vs plain TCP | CPU s per GiB receiver / sender | GC s per GiB receiver / sender | peak RSS receiver / sender (MiB) |'
  const tcpRule = '|---|---|---|---|---|---|---|'
  lines.push(`**TCP 127.0.0.1, two processes, ${fmt(Number(r.config.tcpBytes) / 1048576)} MiB in ${fmt(Number(r.config.writeBytes) / 1024)} KiB writes**`)
  lines.push('')
  lines.push(`| stack ${tcpHead}`)
  lines.push(`|---${tcpRule}`)
  for (const name of [...ourRows, ...peers]) {
    const t = r.tcp[name]
    if (t) lines.push(`| ${name} ${tcpCells(t, r.tcp)}`)
  }
  for (const [name, t] of Object.entries(r.tcpConnect ?? {})) lines.push(`| ${name}, connect() receives ${tcpCells(t, r.tcp)}`)
  for (const [name, t] of Object.entries(r.tcpAccept ?? {})) lines.push(`| ${name}, createServer receives ${tcpCells(t, r.tcp)}`)
  lines.push('')
  lines.push('`ours` rows: `SecretStream` on the sockets a `net.Server` accepts (the receiver) and a `net.connect` returns, with `ownReadBuffers`, `reuseInput` and `recycleWrites` set; `/no-addon`: the same with `SECRET_CHANNEL_NATIVE=0`, frames sealed and opened one by one through sodium-native. `connect() receives` / `createServer receives` rows: the library owns both sockets (both read into buffers they own), `createServer` sends and `connect()` receives, or the other way round; their ratios are against the peers\' rows above.')
  lines.push('')
  if (r.aggregate && Object.keys(r.aggregate).length) {
    lines.push(`**Aggregate over concurrent connections** (the same ${fmt(Number(r.config.tcpBytes) / 1048576)} MiB in total split across them, ${fmt(Number(r.config.writeBytes) / 1024)} KiB writes; all senders in one process, all receivers in another; MB/s is every byte over the span from the first to the last)`)
    lines.push('')
    lines.push(`| connections | stack ${tcpHead}`)
    lines.push(`|---|---${tcpRule}`)
    for (const [n, rows] of Object.entries(r.aggregate)) {
      for (const name of [...ourRows, ...peers]) {
        const t = rows[name]
        if (t) lines.push(`| ${n} | ${name} ${tcpCells(t, rows)}`)
      }
    }
    lines.push('')
  }
  const flood = r.backpressureIgnored ?? {}
  if (Object.keys(flood).length) {
    lines.push(`**A writer that ignores backpressure** (hands ${fmt(Number(r.config.floodBytes) / 1048576)} MiB over as fresh ${fmt(Number(r.config.writeBytes) / 1024)} KiB buffers at once, to a receiver reading normally; the sender's peak memory above its baseline, sampled every millisecond and at every transport write)`)
    lines.push('')
    lines.push('| stack | peak external (MiB) | × written | peak arrayBuffers (MiB) | largest transport write (KiB) | transport writes |')
    lines.push('|---|---|---|---|---|---|')
    for (const name of [...ourRows, ...peers]) {
      const f = flood[name]
      if (f) lines.push(`| ${name} | ${fmt(f.peakExternalMiB)} | ${fmt(f.peakExternalMiB / f.writtenMiB, 2)}× | ${fmt(f.peakArrayBuffersMiB)} | ${fmt(f.maxTransportWriteBytes / 1024, 1)} | ${fmt(f.transportWrites)} |`)
    }
    lines.push('')
  }
  lines.push('**Handshakes and connections**')
  lines.push('')
  lines.push('| stack | handshakes/s in memory (streams) | vs reference | vs hyperswarm | state machines only | TCP connections+handshakes/s | vs reference | vs hyperswarm | heap per idle connection (KiB) | beyond plain socket (KiB) |')
  lines.push('|---|---|---|---|---|---|---|---|---|---|')
  const plainHeap = r.idleHeap.plain
  for (const name of [...ours, 'reference', 'hyperswarm', 'plain']) {
    const hs = r.handshakesMemory[name]
    const c = r.connections[name]
    const heap = r.idleHeap[name]
    if (hs === undefined && c === undefined && heap === undefined) continue
    lines.push(`| ${name} | ${fmt(hs)} | ${name.startsWith('ours') ? ratio(hs, r.handshakesMemory.reference) : ''} | ${name.startsWith('ours') ? ratio(hs, r.handshakesMemory.hyperswarm) : ''} | ${fmt(r.handshakesMachines[name])} | ${fmt(c)} | ${name.startsWith('ours') ? ratio(c, r.connections.reference) : ''} | ${name.startsWith('ours') ? ratio(c, r.connections.hyperswarm) : ''} | ${fmt(heap === undefined ? undefined : heap / 1024, 1)} | ${name === 'plain' || heap === undefined || plainHeap === undefined ? '' : fmt((heap - plainHeap) / 1024, 1)} |`)
  }
  lines.push('')
  if (r.browser) {
    const b = r.browser
    lines.push(`**In headless Chromium ${b.chromium}** (the bundled package in a page; in-page peers over createDuplexPair; WebSocket to a Node server on the same machine)`)
    lines.push('')
    lines.push('| backend in the page | handshakes/s (warm, one pair at a time) | vs noble | vs noble, alternating in one page | 8 pairs at once, handshakes/s | vs noble | state machines only | public-key ops of a handshake pair /s | box+unbox MB/s (64 KiB writes) | WebSocket exchange MB/s (both directions) |')
    lines.push('|---|---|---|---|---|---|---|---|---|---|')
    const eight = b.concurrentHandshakesPerSecond ?? {}
    const alternating = b.handshakesVsNobleInterleaved ?? {}
    for (const name of Object.keys(b.handshakesPerSecond)) {
      lines.push(`| ${name} | ${fmt(b.handshakesPerSecond[name])} | ${ratio(b.handshakesPerSecond[name], b.handshakesPerSecond.noble)} | ${name === 'noble' ? '1.00×' : ratio(alternating[name], 1)} | ${fmt(eight[name])} | ${ratio(eight[name], eight.noble)} | ${fmt(b.machineHandshakesPerSecond?.[name])} | ${fmt(b.publicKeyOpsPerSecond?.[name])} | ${fmt(b.boxUnboxMBps[name], 1)} | ${fmt(b.websocketMBps[name], 1)} |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const COLORS: Record<string, string> = { 'ours:sodium-native': '#1f77b4', 'ours:node': '#2ca02c', 'ours:noble': '#9467bd', reference: '#d62728', 'pull-box-stream': '#d62728', hyperswarm: '#ff7f0e', plain: '#7f7f7f' }

/** A hand-written SVG: one panel of horizontal bars per headline figure. */
export function svg(r: BenchResult): string {
  const panels: Array<{ title: string; unit: string; bars: Array<[string, number]> }> = []
  for (const size of ['4096', '65536']) {
    const row = r.memory[size]
    if (row) panels.push({ title: `box+unbox in memory, ${Number(size) / 1024} KiB writes`, unit: 'MB/s', bars: Object.entries(row) })
  }
  panels.push({ title: 'TCP bulk, two processes', unit: 'MB/s', bars: [...Object.entries(r.tcp), ...Object.entries(r.tcpConnect ?? {}).map(([k, v]): [string, TcpRow] => [`${k} connect()`, v]), ...Object.entries(r.tcpAccept ?? {}).map(([k, v]): [string, TcpRow] => [`${k} createServer`, v])].map(([k, v]) => [k, v.mbps]) })
  for (const [n, rows] of Object.entries(r.aggregate ?? {})) panels.push({ title: `TCP aggregate over ${n} connections`, unit: 'MB/s', bars: Object.entries(rows).map(([k, v]) => [k, v.mbps]) })
  panels.push({ title: 'handshakes in memory', unit: '/s', bars: Object.entries(r.handshakesMemory) })
  panels.push({ title: 'TCP connections + handshakes', unit: '/s', bars: Object.entries(r.connections) })
  const width = 760
  const barH = 16
  const labelW = 200
  const out: string[] = []
  let y = 30
  for (const p of panels) {
    const max = Math.max(...p.bars.map(([, v]) => v), 1)
    out.push(`<text x="10" y="${y}" font-weight="bold">${esc(p.title)} (${p.unit})</text>`)
    y += 8
    for (const [name, v] of p.bars) {
      const w = Math.max(1, ((width - labelW - 90) * v) / max)
      out.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(name)}</text>`)
      out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${COLORS[name.split(' ')[0]!] ?? '#555'}"/>`)
      out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 12}">${fmt(v)}</text>`)
      y += barH
    }
    y += 22
  }
  const footer = `${r.machine.nproc} cores, ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.date}`
  out.push(`<text x="10" y="${y}" fill="#555">${esc(footer)}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 14}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${out.join('\n')}\n</svg>\n`
}
