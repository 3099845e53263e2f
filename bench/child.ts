/**
 * A benchmark child process: one side of a TCP measurement, so sender and receiver never share
 * an event loop or a CPU's worth of JavaScript. Prints JSON lines on stdout:
 * `{"port":…}` once listening, `{"ready":true}` when a client's work is set up, `{"result":…}` at the end.
 *
 * ```
 * node dist/bench/child.js bulk-server  <impl> <bytes> <verify>
 * node dist/bench/child.js bulk-client  <impl> <port> <bytes> <writeBytes> <verify>
 * node dist/bench/child.js conn-server  <impl>
 * node dist/bench/child.js conn-client  <impl> <port> <count>
 * node dist/bench/child.js idle-server  <impl> <count>         (needs --expose-gc; "measure" on stdin)
 * node dist/bench/child.js idle-client  <impl> <port> <count>
 * ```
 * `impl` is ours | reference | hyperswarm | plain; our backend comes from SECRET_CHANNEL_CRYPTO.
 * @module
 */
import net from 'node:net'
import { createHash } from 'node:crypto'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { wrapFor, type Channel } from './peers.js'

const [role, impl, ...args] = process.argv.slice(2)
// Exit normally when the parent ends us, so --cpu-prof (BENCH_NODE_FLAGS) can write its profile.
process.on('SIGTERM', () => process.exit(0))
const wrap = wrapFor(impl!)
const say = (obj: unknown): void => {
  process.stdout.write(JSON.stringify(obj) + '\n')
}
const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024
/** CPU seconds (user + system) since `from`; robust where wall time suffers from a shared machine. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1e6
}

/** Milliseconds spent in garbage collection so far (every kind: minor, major, incremental). */
let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

/** A failed async step ends the child with status 1 (the parent reports it), never an unhandled rejection. */
const crash = (err: unknown): void => {
  console.error(err)
  process.exit(1)
}

function listen(onSocket: (socket: net.Socket) => Promise<void>): net.Server {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => { onSocket(socket).catch(crash) })
  server.listen(0, '127.0.0.1', () => say({ port: (server.address() as net.AddressInfo).port }))
  return server
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true }, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** The same pseudo-random 64 KiB pattern on both sides, so a receiver can check what it got. */
function pattern(size: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (i * 131 + 7) & 0xff
  return b
}

async function bulkServer(bytes: number, verify: boolean): Promise<void> {
  const server = listen(async (socket) => {
    const channel = await wrap(socket, false)
    let received = 0
    let first = 0
    const cpu = process.cpuUsage()
    const gcFrom = gcMs
    const hash = verify ? createHash('sha256') : null
    await channel.receiveAll((chunk) => {
      if (received === 0) first = performance.now()
      received += chunk.length
      hash?.update(chunk)
    })
    const seconds = (performance.now() - first) / 1000
    say({ result: { received, mbps: received / 1e6 / seconds, seconds, cpuSecondsPerGiB: cpuSince(cpu) / (received / 2 ** 30), gcSecondsPerGiB: (gcMs - gcFrom) / 1000 / (received / 2 ** 30), maxRssMiB: maxRssMiB(), sha256: hash?.digest('hex') ?? null, ok: received === bytes } })
    server.close()
    socket.destroy()
    setTimeout(() => process.exit(0), 50)
  })
}

async function bulkClient(port: number, bytes: number, writeBytes: number, verify: boolean): Promise<void> {
  const socket = await dial(port)
  const channel = await wrap(socket, true)
  const chunk = pattern(writeBytes)
  let expected: string | null = null
  if (verify) {
    const h = createHash('sha256')
    for (let sent = 0; sent < bytes; sent += writeBytes) h.update(chunk)
    expected = h.digest('hex')
  }
  const cpu = process.cpuUsage()
  const gcFrom = gcMs
  await channel.sendAll(chunk, bytes)
  // The GC observer reports asynchronously: let pending entries arrive before reading the total.
  await new Promise((resolve) => setImmediate(resolve))
  say({ result: { maxRssMiB: maxRssMiB(), cpuSecondsPerGiB: cpuSince(cpu) / (bytes / 2 ** 30), gcSecondsPerGiB: (gcMs - gcFrom) / 1000 / (bytes / 2 ** 30), sha256: expected } })
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
  case 'bulk-server': await bulkServer(n(0), args[1] === '1'); break
  case 'bulk-client': await bulkClient(n(0), n(1), n(2), args[3] === '1'); break
  case 'conn-server': connServer(); break
  case 'conn-client': await connClient(n(0), n(1)); break
  case 'idle-server': idleServer(n(0)); break
  case 'idle-client': await idleClient(n(0), n(1)); break
  default: throw new Error(`unknown role ${role}`)
}
