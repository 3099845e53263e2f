/**
 * The benchmark harness runs end to end with tiny sizes (BENCH_QUICK=1) and writes well-formed
 * results: correctness only, never a timing assertion. The TCP transfers verify the received
 * bytes by hash (BENCH_VERIFY is on in quick mode), so a broken stack fails here.
 */
import test from 'tape'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../..', import.meta.url))

test('npm run bench, quick: every section for every backend and peer, JSON + SVG + table, every target judged', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'secret-channel-bench-'))
  try {
    const run = spawnSync(process.execPath, [join(root, 'dist', 'bench', 'run.js')], {
      cwd: root,
      env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out, BENCH_SILENT: '1', SECRET_CHANNEL_CRYPTO: '' },
      encoding: 'utf8',
      timeout: 120_000
    })
    t.equal(run.status, 0, `the harness exits cleanly${run.status ? `: ${run.stderr}` : ''}`)
    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
    const ours = result.backends.map((b: string) => `ours:${b}`)
    t.deepEqual(result.backends, ['sodium-native', 'node', 'noble'], 'every backend measured')
    const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0
    for (const size of ['64', '1024', '4096', '65536', '1048576']) {
      t.ok([...ours, 'pull-box-stream'].every((k) => positive(result.memory[size]?.[k])), `box+unbox at ${size} B for all stacks`)
    }
    t.ok([...ours, 'reference', 'hyperswarm', 'plain'].every((k) => positive(result.tcp[k]?.mbps) && positive(result.tcp[k]?.receiverRssMiB)), 'TCP bulk (hash-checked) for all stacks, with peak RSS')
    t.ok(ours.every((k: string) => positive(result.tcpConnect[k]?.mbps) && positive(result.tcpConnect[k]?.receiverCpuSecondsPerGiB)), 'TCP bulk (hash-checked) where connect() receives and createServer sends, for every backend')
    t.ok(ours.every((k: string) => positive(result.tcpAccept[k]?.mbps) && positive(result.tcpAccept[k]?.receiverCpuSecondsPerGiB)), 'TCP bulk (hash-checked) where createServer receives and connect() sends, for every backend')
    for (const n of ['4', '16']) {
      t.ok([...ours, 'reference', 'hyperswarm', 'plain'].every((k) => positive(result.aggregate[n]?.[k]?.mbps) && positive(result.aggregate[n]?.[k]?.senderCpuSecondsPerGiB)), `aggregate over ${n} connections (hash-checked) for all stacks`)
    }
    const flood = result.backpressureIgnored
    t.ok([...ours, 'reference', 'hyperswarm', 'plain'].every((k) => positive(flood[k]?.writtenMiB) && Number.isFinite(flood[k]?.peakExternalMiB) && positive(flood[k]?.maxTransportWriteBytes)), 'a writer ignoring backpressure (hash-checked) for all stacks: peak memory and largest transport write')
    t.equal(flood.plain?.maxTransportWriteBytes, 64 * 1024, 'the transport-write recorder sees plain TCP\'s own 64 KiB writes')
    t.ok([...ours, 'reference', 'hyperswarm'].every((k) => positive(result.handshakesMemory[k])), 'in-memory handshakes for all stacks')
    t.ok(ours.every((k: string) => positive(result.handshakesMachines[k])), 'state-machine handshakes for every backend')
    t.ok([...ours, 'reference', 'hyperswarm', 'plain'].every((k) => positive(result.connections[k])), 'TCP connection rate for all stacks')
    t.ok([...ours, 'reference', 'hyperswarm', 'plain'].every((k) => positive(result.idleHeap[k])), 'idle heap per connection for all stacks')
    t.ok(['noble', 'wasm', 'webcrypto', 'webcrypto+wasm'].every((b) => positive(result.browser?.handshakesPerSecond[b]) && positive(result.browser?.concurrentHandshakesPerSecond[b]) && positive(result.browser?.boxUnboxMBps[b]) && positive(result.browser?.websocketMBps[b])), 'browser figures (headless Chromium) for noble, wasm and webcrypto (with noble or wasm), one pair and 8 pairs at once')
    const chart = readFileSync(join(out, 'results.svg'), 'utf8')
    t.ok(chart.startsWith('<svg') && chart.trimEnd().endsWith('</svg>'), 'an SVG chart')
    const table = readFileSync(join(out, 'table.md'), 'utf8')
    t.ok(table.includes('| ours:sodium-native |') && table.includes('| reference |'), 'a markdown table naming ours and the reference')
    t.ok(table.includes('connect() receives') && table.includes('| 16 | hyperswarm |') && table.includes('ignores backpressure'), 'the table has the connect(), aggregate and backpressure sections')
    const goals = table.slice(table.indexOf('Targets'))
    for (const goal of ['connect() owns the socket', 'aggregate over 4 concurrent', 'aggregate over 16 concurrent', 'holds <= 1.1×', 'no transport write over 1 MiB', 'handed socket) >= 1.1× hyperswarm', '2.3× the reference', 'sender CPU', 'receiver CPU', 'sender GC', 'receiver GC', 'handshakes in memory', 'TCP connections+handshakes/s', 'noble box+unbox >= 60 MB/s at 4 KiB', 'noble box+unbox >= 60 MB/s at 64 KiB', 'idle connection heap']) {
      t.ok(new RegExp(`^  (met|missed) +.*${goal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm').test(goals), `target measured and judged: ${goal}`)
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
  t.end()
})
