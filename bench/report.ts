/**
 * Turns a benchmark result into the markdown table for the README and a hand-written SVG chart.
 * @module
 */

/** What `run.ts` measured; every figure is a median over rounds. */
export interface BenchResult {
  machine: { nproc: number; cpu: string; node: string; platform: string; date: string; note: string }
  config: Record<string, unknown>
  backends: string[]
  /** MB/s of box+unbox, by write size, then by implementation (`ours:<backend>`, `pull-box-stream`). */
  memory: Record<string, Record<string, number>>
  /** TCP bulk transfer, by implementation (`ours:<backend>`, `reference`, `hyperswarm`, `plain`). */
  tcp: Record<string, { mbps: number; receiverRssMiB: number; senderRssMiB: number; receiverCpuSecondsPerGiB: number; senderCpuSecondsPerGiB: number; receiverGcSecondsPerGiB?: number; senderGcSecondsPerGiB?: number }>
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
    boxUnboxMBps: Record<string, number>
    websocketMBps: Record<string, number>
    /** The state machines alone. */
    machineHandshakesPerSecond?: Record<string, number>
    /** Only the Ed25519/X25519 operations of a handshake pair; `webcrypto` is the page's crypto.subtle. */
    publicKeyOpsPerSecond?: Record<string, number>
  } | null
  samples: Record<string, number[]>
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : '–')

/** Markdown: the machine, then one table per section, ours per backend with ratios to each peer. */
export function markdown(r: BenchResult): string {
  const ours = r.backends.map((b) => `ours:${b}`)
  const lines: string[] = []
  lines.push(`Measured ${r.machine.date} on ${r.machine.nproc} cores (${r.machine.cpu}), Node ${r.machine.node}, ${r.machine.platform}. ${r.machine.note}`)
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
  lines.push(`**TCP 127.0.0.1, two processes, ${fmt(Number(r.config.tcpBytes) / 1048576)} MiB in ${fmt(Number(r.config.writeBytes) / 1024)} KiB writes**`)
  lines.push('')
  lines.push(`| stack | MB/s | vs reference | vs hyperswarm | vs plain TCP | CPU s per GiB receiver / sender | GC s per GiB receiver / sender | peak RSS receiver / sender (MiB) |`)
  lines.push('|---|---|---|---|---|---|---|---|')
  for (const name of [...ours, ...peers]) {
    const t = r.tcp[name]
    if (!t) continue
    lines.push(`| ${name} | ${fmt(t.mbps)} | ${ratio(t.mbps, r.tcp.reference?.mbps)} | ${ratio(t.mbps, r.tcp.hyperswarm?.mbps)} | ${ratio(t.mbps, r.tcp.plain?.mbps)} | ${fmt(t.receiverCpuSecondsPerGiB, 2)} / ${fmt(t.senderCpuSecondsPerGiB, 2)} | ${fmt(t.receiverGcSecondsPerGiB, 3)} / ${fmt(t.senderGcSecondsPerGiB, 3)} | ${fmt(t.receiverRssMiB)} / ${fmt(t.senderRssMiB)} |`)
  }
  lines.push('')
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
    lines.push('| backend in the page | handshakes/s (warm) | vs noble | state machines only | public-key ops of a handshake pair /s | box+unbox MB/s (64 KiB writes) | WebSocket exchange MB/s (both directions) |')
    lines.push('|---|---|---|---|---|---|---|')
    for (const name of Object.keys(b.handshakesPerSecond)) {
      lines.push(`| ${name} | ${fmt(b.handshakesPerSecond[name])} | ${ratio(b.handshakesPerSecond[name], b.handshakesPerSecond.noble)} | ${fmt(b.machineHandshakesPerSecond?.[name])} | ${fmt(b.publicKeyOpsPerSecond?.[name])} | ${fmt(b.boxUnboxMBps[name], 1)} | ${fmt(b.websocketMBps[name], 1)} |`)
    }
    const web = b.publicKeyOpsPerSecond?.webcrypto
    if (web !== undefined) lines.push(`| WebCrypto (crypto.subtle, not a backend: public-key ops only, one await each) | | | | ${fmt(web)} | | |`)
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
  panels.push({ title: 'TCP bulk, two processes', unit: 'MB/s', bars: Object.entries(r.tcp).map(([k, v]) => [k, v.mbps]) })
  panels.push({ title: 'handshakes in memory', unit: '/s', bars: Object.entries(r.handshakesMemory) })
  panels.push({ title: 'TCP connections + handshakes', unit: '/s', bars: Object.entries(r.connections) })
  const width = 760
  const barH = 16
  const labelW = 170
  const out: string[] = []
  let y = 30
  for (const p of panels) {
    const max = Math.max(...p.bars.map(([, v]) => v), 1)
    out.push(`<text x="10" y="${y}" font-weight="bold">${esc(p.title)} (${p.unit})</text>`)
    y += 8
    for (const [name, v] of p.bars) {
      const w = Math.max(1, ((width - labelW - 90) * v) / max)
      out.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${esc(name)}</text>`)
      out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${COLORS[name] ?? '#555'}"/>`)
      out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 12}">${fmt(v)}</text>`)
      y += barH
    }
    y += 22
  }
  const footer = `${r.machine.nproc} cores, ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.date}`
  out.push(`<text x="10" y="${y}" fill="#555">${esc(footer)}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 14}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${out.join('\n')}\n</svg>\n`
}

/**
 * The targets of the data-path work, each as "met", "missed" (with the measured figure) or "not
 * measured" (this harness has no measurement for it).
 * @example
 * ```ts
 * console.log(targets(result).join('\n'))
 * ```
 */
export function targets(r: BenchResult): string[] {
  const out: string[] = ['Targets (sodium-native unless noted):']
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, shown: (v: number) => string): void => {
    if (value === undefined || !Number.isFinite(value)) out.push(`  not measured  ${name}`)
    else out.push(`  ${ok(value) ? 'met   ' : 'missed'}        ${name}: ${shown(value)}`)
  }
  const ours = r.tcp['ours:sodium-native']
  const x = (v: number): string => `${v.toFixed(2)}×`
  const rate = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b ? a / b : undefined)
  check('TCP bulk (SecretStream on a handed socket) >= 1.1× hyperswarm', rate(ours?.mbps, r.tcp.hyperswarm?.mbps), (v) => v >= 1.1, x)
  check('TCP bulk >= 2.3× the reference', rate(ours?.mbps, r.tcp.reference?.mbps), (v) => v >= 2.3, x)
  out.push('  not measured  TCP bulk where connect() owns the socket >= 1.2× hyperswarm (no separate connect() run in this harness)')
  check('sender CPU <= 1.5 s/GiB', ours?.senderCpuSecondsPerGiB, (v) => v <= 1.5, (v) => `${v.toFixed(2)} s/GiB`)
  check('receiver CPU <= 1.5 s/GiB', ours?.receiverCpuSecondsPerGiB, (v) => v <= 1.5, (v) => `${v.toFixed(2)} s/GiB`)
  check('sender GC <= 0.05 s/GiB', ours?.senderGcSecondsPerGiB, (v) => v <= 0.05, (v) => `${v.toFixed(3)} s/GiB`)
  check('receiver GC <= 0.05 s/GiB', ours?.receiverGcSecondsPerGiB, (v) => v <= 0.05, (v) => `${v.toFixed(3)} s/GiB`)
  out.push('  not measured  aggregate over 4 and 16 concurrent connections >= hyperswarm')
  out.push('  not measured  a writer ignoring backpressure (200 MiB) holds <= 1.1× (no transport write over 1 MiB is a test: test/streams/write-cap.test.ts)')
  check('handshakes in memory >= 1.5× the reference', rate(r.handshakesMemory['ours:sodium-native'], r.handshakesMemory.reference), (v) => v >= 1.5, x)
  check('TCP connections+handshakes/s >= 1.2× the reference', rate(r.connections['ours:sodium-native'], r.connections.reference), (v) => v >= 1.2, x)
  for (const size of ['4096', '65536']) {
    check(`noble box+unbox >= 60 MB/s at ${Number(size) / 1024} KiB writes`, r.memory[size]?.['ours:noble'], (v) => v >= 60, (v) => `${v.toFixed(0)} MB/s`)
  }
  check('idle connection heap <= 6.5 KiB', r.idleHeap['ours:sodium-native'] !== undefined ? r.idleHeap['ours:sodium-native']! / 1024 : undefined, (v) => v <= 6.5, (v) => `${v.toFixed(1)} KiB`)
  return out
}
