/**
 * Benchmark sizes, all overridable by environment variables so the same harness serves the full
 * run (`npm run bench`) and the smoke test in the suite (`BENCH_QUICK=1`, tiny sizes).
 *
 * | variable              | full        | quick   | meaning                                           |
 * |-----------------------|-------------|---------|---------------------------------------------------|
 * | BENCH_ROUNDS          | 5           | 1       | interleaved rounds; figures are medians over them |
 * | BENCH_MEMORY_MS       | 300         | 5       | time per in-memory box+unbox measurement          |
 * | BENCH_TCP_BYTES       | 256 MiB     | 1 MiB   | bytes per TCP bulk transfer                       |
 * | BENCH_WRITE_BYTES     | 64 KiB      | 64 KiB  | write size of the TCP bulk transfer               |
 * | BENCH_HANDSHAKE_MS    | 1000        | 1       | time per in-memory handshake measurement          |
 * | BENCH_CONNECTIONS     | 200         | 4       | TCP connections+handshakes per measurement        |
 * | BENCH_IDLE            | 1000        | 10      | idle connections for the heap measurement         |
 * | BENCH_BACKENDS        | all loading | same    | comma list of our crypto backends to measure      |
 * | BENCH_AGG_CONNECTIONS | 4,16        | 4,16    | concurrent connections of the aggregate transfers |
 * | BENCH_FLOOD_BYTES     | 200 MiB     | 2 MiB   | what the writer ignoring backpressure hands over  |
 * | BENCH_EXTRA_BACKENDS  | sodium-native | all loading | our backends in the aggregate, connect() and backpressure sections (`all`: every one measured) |
 * | BENCH_OUT             | bench/results | same  | where JSON, SVG and the markdown table go         |
 * | BENCH_VERIFY          | 0           | 1       | receivers hash the stream and the sender's hash is checked |
 * @module
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const quick = process.env.BENCH_QUICK === '1'
const num = (name: string, full: number, small: number): number => {
  const v = process.env[name]
  return v !== undefined && v !== '' ? Number(v) : quick ? small : full
}

function list(v: string | undefined): string[] {
  return (v || '').split(',').map((s) => s.trim()).filter(Boolean)
}

/** The repository root (dist/bench/config.js -> ../..). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Resolved benchmark configuration. */
export const config = {
  quick,
  rounds: num('BENCH_ROUNDS', 5, 1),
  memoryMs: num('BENCH_MEMORY_MS', 300, 5),
  memorySizes: [64, 1024, 4096, 65536, 1048576],
  tcpBytes: num('BENCH_TCP_BYTES', 256 * 1024 * 1024, 1024 * 1024),
  writeBytes: num('BENCH_WRITE_BYTES', 64 * 1024, 64 * 1024),
  handshakeMs: num('BENCH_HANDSHAKE_MS', 1000, 1),
  connections: num('BENCH_CONNECTIONS', 200, 4),
  idle: num('BENCH_IDLE', 1000, 10),
  verify: process.env.BENCH_VERIFY ? process.env.BENCH_VERIFY === '1' : quick,
  out: process.env.BENCH_OUT || join(ROOT, 'bench', 'results'),
  backends: list(process.env.BENCH_BACKENDS),
  aggregateConnections: list(process.env.BENCH_AGG_CONNECTIONS || '4,16').map(Number),
  floodBytes: num('BENCH_FLOOD_BYTES', 200 * 1024 * 1024, 2 * 1024 * 1024),
  // The targets of these sections are about sodium-native, and the pure-JS backends move 256 MiB
  // at a few dozen MB/s: all of them would add minutes per round to the full run.
  extraBackends: list(process.env.BENCH_EXTRA_BACKENDS || (quick ? 'all' : 'sodium-native'))
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
