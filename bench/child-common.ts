/**
 * What every benchmark child role shares: the JSON-lines reporting, CPU and GC accounting, the
 * listening and dialling with the bench's socket options, and the byte pattern both sides agree on.
 * Child processes only (see child.ts): importing this starts a GC observer.
 * @module
 */
import net from 'node:net'
import { createHash } from 'node:crypto'
import { PerformanceObserver } from 'node:perf_hooks'

/**
 * Prints one JSON line on stdout, the parent's only channel (bench/spawn.ts reads them).
 * @example
 * ```ts
 * say({ port: 4242 })
 * ```
 */
export const say = (obj: unknown): void => {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

/**
 * Peak resident set size of this process so far, MiB.
 * @example
 * ```ts
 * say({ result: { maxRssMiB: maxRssMiB() } })
 * ```
 */
export const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024

/**
 * CPU seconds (user + system) since `from`; robust where wall time suffers from a shared machine.
 * @example
 * ```ts
 * const cpu = process.cpuUsage()
 * work()
 * const seconds = cpuSince(cpu)
 * ```
 */
export const cpuSince = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1e6
}

let gcTotalMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcTotalMs += entry.duration
}).observe({ entryTypes: ['gc'] })

/**
 * Milliseconds spent in garbage collection so far (every kind: minor, major, incremental).
 * The observer reports asynchronously: yield once (setImmediate) before reading a final total.
 * @example
 * ```ts
 * const from = gcMs()
 * await transfer()
 * const gcSeconds = (gcMs() - from) / 1000
 * ```
 */
export const gcMs = (): number => gcTotalMs

/**
 * Ends the child with status 1 (the parent reports its stderr), never an unhandled rejection.
 * @example
 * ```ts
 * run().catch(crash)
 * ```
 */
export const crash = (err: unknown): void => {
  console.error(err)
  process.exit(1)
}

/**
 * A plain TCP server on 127.0.0.1 (random port, announced with `say({ port })`) that hands every
 * accepted socket to `onSocket`. Half-open allowed (box-stream has its own goodbye), no Nagle.
 * @example
 * ```ts
 * const server = listen(async (socket) => { await useIt(socket) })
 * ```
 */
export function listen(onSocket: (socket: net.Socket) => Promise<void>): net.Server {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => { onSocket(socket).catch(crash) })
  server.listen(0, '127.0.0.1', () => say({ port: (server.address() as net.AddressInfo).port }))
  return server
}

/**
 * Connects to 127.0.0.1:`port` with the same options as {@link listen}.
 * @example
 * ```ts
 * const socket = await dial(4242)
 * ```
 */
export function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true }, () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * The same pseudo-random pattern on both sides, so a receiver can check what it got.
 * @example
 * ```ts
 * const chunk = pattern(65536)
 * ```
 */
export function pattern(size: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (i * 131 + 7) & 0xff
  return b
}

/**
 * SHA-256 (hex) of `chunk` repeated until `total` bytes have been counted: what a receiver of
 * {@link pattern} writes should hash to.
 * @example
 * ```ts
 * const expected = repeatedHash(pattern(65536), 256 * 1024 * 1024)
 * ```
 */
export function repeatedHash(chunk: Buffer, total: number): string {
  const h = createHash('sha256')
  for (let sent = 0; sent < total; sent += chunk.length) h.update(chunk)
  return h.digest('hex')
}
