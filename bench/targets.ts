/**
 * The targets of the data-path work (issue 11), checked against one run's results.
 * @module
 */
import type { BenchResult } from './report.js'

const MiB = 1024 * 1024

/**
 * Every target as "met", "missed" (each with the measured figure) or "not measured" (the run has
 * no figure for it, e.g. a backend or section left out by the BENCH_* knobs).
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
  check('TCP bulk (SecretStream on a handed socket) >= 2.3× the reference', rate(ours?.mbps, r.tcp.reference?.mbps), (v) => v >= 2.3, x)
  check('TCP bulk where connect() owns the socket (createServer sends) >= 1.2× hyperswarm', rate(r.tcpConnect?.['ours:sodium-native']?.mbps, r.tcp.hyperswarm?.mbps), (v) => v >= 1.2, x)
  check('sender CPU <= 1.5 s/GiB', ours?.senderCpuSecondsPerGiB, (v) => v <= 1.5, (v) => `${v.toFixed(2)} s/GiB`)
  check('receiver CPU <= 1.5 s/GiB', ours?.receiverCpuSecondsPerGiB, (v) => v <= 1.5, (v) => `${v.toFixed(2)} s/GiB`)
  check('sender GC <= 0.05 s/GiB', ours?.senderGcSecondsPerGiB, (v) => v <= 0.05, (v) => `${v.toFixed(3)} s/GiB`)
  check('receiver GC <= 0.05 s/GiB', ours?.receiverGcSecondsPerGiB, (v) => v <= 0.05, (v) => `${v.toFixed(3)} s/GiB`)
  for (const n of ['4', '16']) {
    const rows = r.aggregate?.[n]
    check(`aggregate over ${n} concurrent connections >= hyperswarm's`, rate(rows?.['ours:sodium-native']?.mbps, rows?.hyperswarm?.mbps), (v) => v >= 1, x)
  }
  const flood = r.backpressureIgnored?.['ours:sodium-native']
  const floodMiB = flood ? `${(flood.writtenMiB).toFixed(0)} MiB` : 'the backlog'
  check(`a writer ignoring backpressure holds <= 1.1× what it queued (${floodMiB}, peak external memory)`, flood ? flood.peakExternalMiB / flood.writtenMiB : undefined, (v) => v <= 1.1, x)
  check('no transport write over 1 MiB under that backlog', flood?.maxTransportWriteBytes, (v) => v <= MiB, (v) => `largest ${(v / 1024).toFixed(1)} KiB`)
  check('handshakes in memory >= 1.5× the reference', rate(r.handshakesMemory['ours:sodium-native'], r.handshakesMemory.reference), (v) => v >= 1.5, x)
  check('TCP connections+handshakes/s >= 1.2× the reference', rate(r.connections['ours:sodium-native'], r.connections.reference), (v) => v >= 1.2, x)
  for (const size of ['4096', '65536']) {
    check(`noble box+unbox >= 60 MB/s at ${Number(size) / 1024} KiB writes`, r.memory[size]?.['ours:noble'], (v) => v >= 60, (v) => `${v.toFixed(0)} MB/s`)
  }
  const alternating = Object.values(r.browser?.handshakesVsNobleInterleaved ?? {})
  check('browser: handshakes >= 5× noble in the same page (fastest backend; alternating blocks)', alternating.length > 0 ? Math.max(...alternating) : undefined, (v) => v >= 5, x)
  check('idle connection heap <= 6.5 KiB', r.idleHeap['ours:sodium-native'] !== undefined ? r.idleHeap['ours:sodium-native']! / 1024 : undefined, (v) => v <= 6.5, (v) => `${v.toFixed(1)} KiB`)
  return out
}
