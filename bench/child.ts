/**
 * A benchmark child process: one side of a TCP measurement, so sender and receiver never share
 * an event loop or a CPU's worth of JavaScript. Prints JSON lines on stdout:
 * `{"port":…}` once listening, `{"ready":true}` when a client's work is set up, `{"result":…}` at the end.
 *
 * ```
 * node dist/bench/child.js bulk-server     <impl> <conns> <bytesPerConn> <verify>
 * node dist/bench/child.js bulk-client     <impl> <port> <conns> <bytesPerConn> <writeBytes> <verify>
 * node dist/bench/child.js connect-sender  ours <bytes> <writeBytes> <verify>     (createServer sends)
 * node dist/bench/child.js connect-receiver ours <port> <bytes> <verify>          (connect() receives)
 * node dist/bench/child.js accept-receiver ours <bytes> <verify>                  (createServer receives)
 * node dist/bench/child.js dial-sender     ours <port> <bytes> <writeBytes> <verify>  (connect() sends)
 * node dist/bench/child.js flood-client    <impl> <port> <bytes> <writeBytes> <verify>  ("report" on stdin)
 * node dist/bench/child.js conn-server     <impl>
 * node dist/bench/child.js conn-client     <impl> <port> <count>
 * node dist/bench/child.js idle-server     <impl> <count>         (needs --expose-gc; "measure" on stdin)
 * node dist/bench/child.js idle-client     <impl> <port> <count>
 * ```
 * `impl` is ours | reference | hyperswarm | plain; our backend comes from SECRET_CHANNEL_CRYPTO.
 * The bulk roles carry `conns` connections at once (1 for the single-connection figure, 4 or 16
 * for the aggregate): the receiver's MB/s is all bytes over the span from the first byte on any
 * connection to the clean end of the last one.
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { wrapFor, type Channel } from './peers.js'
import { acceptReceiver, connectReceiver, connectSender, dialSender } from './child-connect.js'
import { floodClient } from './child-flood.js'
import { cpuSince, crash, dial, gcMs, listen, maxRssMiB, pattern, repeatedHash, say } from './child-common.js'

const [role, impl, ...args] = process.argv.slice(2)
// Exit normally when the parent ends us, so --cpu-prof (BENCH_NODE_FLAGS) can write its profile.
process.on('SIGTERM', () => process.exit(0))
// The roles that finish their work stay until the parent ends them; should the parent die instead,
// its end of our stdin closes and we go too, so no run leaves processes behind. (The roles that
// wait for a cue on stdin, "measure" and "report", read it as well: every listener sees the data.)
process.stdin.on('end', () => process.exit(0)).resume()
const wrap = wrapFor(impl!)
const GiB = 2 ** 30

function bulkServer(conns: number, bytesPerConn: number, verify: boolean): void {
  let opened = 0
  let ended = 0
  let received = 0
  let first = 0
  let cpu: NodeJS.CpuUsage | null = null
  let gcFrom = 0
  const counts: number[] = []
  const hashes: string[] = []
  const server = listen(async (socket) => {
    const channel = await wrap(socket, false)
    // Accounting starts once every connection is open: the senders only start then (bulk-client
    // waits for all its handshakes), so handshakes stay out of the per-GiB figures.
    if (++opened === conns) {
      cpu = process.cpuUsage()
      gcFrom = gcMs()
    }
    let mine = 0
    const hash: Hash | null = verify ? createHash('sha256') : null
    await channel.receiveAll((chunk) => {
      if (received === 0) first = performance.now()
      received += chunk.length
      mine += chunk.length
      hash?.update(chunk)
    })
    counts.push(mine)
    if (hash) hashes.push(hash.digest('hex'))
    // Sockets stay open: a peer that saw us vanish mid-run could fail before it reports.
    if (++ended < conns) return
    const seconds = (performance.now() - first) / 1000
    // Every connection carries the same byte stream, so one hash stands for all when they agree.
    const sha256 = verify ? (hashes.every((h) => h === hashes[0]) ? hashes[0] : 'connections differ') : null
    const cpuSeconds = cpu ? cpuSince(cpu) : NaN
    say({ result: { received, mbps: received / 1e6 / seconds, seconds, cpuSecondsPerGiB: cpuSeconds / (received / GiB), gcSecondsPerGiB: (gcMs() - gcFrom) / 1000 / (received / GiB), maxRssMiB: maxRssMiB(), sha256, ok: counts.every((c) => c === bytesPerConn) } })
    server.close()
    // Stay until the parent ends us (after the sender has reported too).
  })
}

async function bulkClient(port: number, conns: number, bytesPerConn: number, writeBytes: number, verify: boolean): Promise<void> {
  // Every handshake first, then every transfer at once: the aggregate measures the data path only.
  const channels = await Promise.all(Array.from({ length: conns }, async () => wrap(await dial(port), true)))
  const chunk = pattern(writeBytes)
  const expected = verify ? repeatedHash(chunk, bytesPerConn) : null
  const cpu = process.cpuUsage()
  const gcFrom = gcMs()
  await Promise.all(channels.map((c) => c.sendAll(chunk, bytesPerConn)))
  // The GC observer reports asynchronously: let pending entries arrive before reading the total.
  await new Promise((resolve) => setImmediate(resolve))
  const total = conns * bytesPerConn
  say({ result: { maxRssMiB: maxRssMiB(), cpuSecondsPerGiB: cpuSince(cpu) / (total / GiB), gcSecondsPerGiB: (gcMs() - gcFrom) / 1000 / (total / GiB), sha256: expected } })
  // Stay until the receiver has everything; the parent ends us.
}

function connServer(): void {
  listen(async (socket) => {
    socket.on('error', () => {})
    try {
      const channel = await wrap(socket, false)
      await channel.close()
    } catch {
      socket.destroy()
    }
  })
}

async function connClient(port: number, count: number): Promise<void> {
  const concurrency = 4
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++
      const socket = await dial(port)
      const channel: Channel = await wrap(socket, true)
      await channel.close()
      socket.destroy()
    }
  }))
  const seconds = (performance.now() - start) / 1000
  say({ result: { count, perSecond: count / seconds, seconds } })
  process.exit(0)
}

function idleServer(count: number): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('idle-server needs --expose-gc')
  const channels: Channel[] = []
  let baseline = 0
  listen(async (socket) => {
    socket.on('error', () => {})
    channels.push(await wrap(socket, false))
  })
  gc()
  baseline = process.memoryUsage().heapUsed
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', () => {
    (async () => {
    // The server side may finish its last handshakes just after the client's.
    for (let i = 0; i < 200 && channels.length < count; i++) await new Promise((r) => setTimeout(r, 10))
    gc()
    gc()
    const heapUsed = process.memoryUsage().heapUsed
    say({ result: { open: channels.length, heapBytesPerConnection: (heapUsed - baseline) / Math.max(1, channels.length), maxRssMiB: maxRssMiB() } })
    process.exit(0)
    })().catch(crash)
  })
}

async function idleClient(port: number, count: number): Promise<void> {
  const keep: Channel[] = []
  const batch = 50
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i)
    keep.push(...await Promise.all(Array.from({ length: n }, async () => wrap(await dial(port), true))))
  }
  say({ ready: keep.length })
}

const n = (i: number): number => Number(args[i])
switch (role) {
  case 'bulk-server': bulkServer(n(0), n(1), args[2] === '1'); break
  case 'bulk-client': await bulkClient(n(0), n(1), n(2), n(3), args[4] === '1'); break
  case 'connect-sender': connectSender(n(0), n(1), args[2] === '1'); break
  case 'connect-receiver': await connectReceiver(n(0), n(1), args[2] === '1'); break
  case 'accept-receiver': acceptReceiver(n(0), args[1] === '1'); break
  case 'dial-sender': await dialSender(n(0), n(1), n(2), args[3] === '1'); break
  case 'flood-client': await floodClient(wrap, n(0), n(1), n(2), args[3] === '1'); break
  case 'conn-server': connServer(); break
  case 'conn-client': await connClient(n(0), n(1)); break
  case 'idle-server': idleServer(n(0)); break
  case 'idle-client': await idleClient(n(0), n(1)); break
  default: throw new Error(`unknown role ${role}`)
}
