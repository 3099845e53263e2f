/**
 * Load: many concurrent clients on 127.0.0.1 (raw net + SecretStream, nothing else), each doing
 * the handshake and exchanging LOAD_BYTES both ways in random write sizes, every byte hash-checked,
 * no error, memory bounded by the buffers rather than by the data.
 *
 * `npm test` runs a small instance (LOAD_CLIENTS=50, LOAD_BYTES=64 KiB); `npm run test:load` runs
 * the full one: 1,000 clients x 1 MiB each way.
 */
import test from 'tape'
import { createHash, randomBytes, randomInt } from 'node:crypto'
import type net from 'node:net'
import { once } from 'node:events'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { checkNoStrays, installGuards } from '../helpers/guards.js'
import { connect, listen } from '../helpers/tcp.js'
import { canReadIntoOwnBuffers } from '../../lib/platform/transport-node.js'
import { READ_SLAB_BUDGET_BYTES, ReadArena } from '../../lib/net/read-arena.js'

installGuards()

const CLIENTS = Number(process.env.LOAD_CLIENTS || 50)
const BYTES = Number(process.env.LOAD_BYTES || 64 * 1024)
const MAX_WRITE = 65_536
// Handshakes queue behind each other on one CPU (pure-JS curve arithmetic costs milliseconds), so
// the load test allows far more than the 10 s default; the deadline itself is tested elsewhere.
const HANDSHAKE_TIMEOUT = 300_000

const noop = (): void => {}
/** Called on every chunk read (the memory sampler hooks in here). */
let onRead: () => void = noop

/** Random bytes to slice writes from: cheap to produce, different at every offset. */
const pool = randomBytes(BYTES + MAX_WRITE)

interface Side {
  sent: string
  received: string
  receivedBytes: number
  ended: boolean
  error: unknown
}

/**
 * Writes BYTES in random sizes (respecting backpressure) and ends, once the stream is open and
 * `start` has settled; reads and hashes everything until the peer's goodbye.
 */
function exchange(stream: SecretStream, start: Promise<void>): Promise<Side> {
  const side: Side = { sent: '', received: '', receivedBytes: 0, ended: false, error: null }
  const inHash = createHash('sha256')
  stream.on('data', (d: unknown) => {
    onRead()
    inHash.update(d as Buffer)
    side.receivedBytes += (d as Buffer).length
  })
  stream.on('end', () => { side.ended = true })
  stream.on('error', (e) => { side.error = e })
  const closedP = once(stream, 'close').catch(() => {})
  const write = async (): Promise<void> => {
    await stream.opened
    await start
    const outHash = createHash('sha256')
    for (let left = BYTES; left > 0; ) {
      const size = Math.min(left, 1 + randomInt(MAX_WRITE))
      const at = randomInt(pool.length - size + 1)
      const chunk = pool.subarray(at, at + size)
      outHash.update(chunk)
      left -= size
      if (!stream.write(chunk)) await once(stream, 'drain')
    }
    side.sent = outHash.digest('hex')
    stream.end()
  }
  return Promise.all([write().catch((e) => { side.error ??= e }), closedP]).then(() => {
    side.received = inHash.digest('hex')
    return side
  })
}

/**
 * The two data paths: a plain SecretStream on each socket, and the one createServer and connect
 * use (reads switched to the stream's own read slabs at the first bulk read, frames opened in
 * place, recycled 256 KiB wire buffers behind a 256 KiB writable side). The latter may hold one
 * read slab, one wire buffer and its writable side per connection and direction: slabs come from
 * a 64 MiB process-wide budget (1 MiB each for the first 64 busy sockets, never below 128 KiB).
 */
const SOCKET_PATH: Partial<SecretStreamOptions> = { ownReadBuffers: true, reuseInput: true, recycleWrites: true }
/**
 * Each path runs as connections arrive (each starts its exchange once open), and again with every
 * connection busy at once (all handshakes first, then every exchange together),
 * where all of them hold a read slab at the same time and the budget sizes them.
 */
const PATHS: Array<{ name: string, options: Partial<SecretStreamOptions>, bytesPerConnection: number, shared: number, together: boolean }> = [
  { name: 'plain SecretStream', options: {}, bytesPerConnection: 384 * 1024, shared: 0, together: false },
  { name: 'plain SecretStream, every connection busy at once', options: {}, bytesPerConnection: 384 * 1024, shared: 0, together: true },
  { name: 'socket data path', options: SOCKET_PATH, bytesPerConnection: 2 * (128 + 256 + 264) * 1024, shared: READ_SLAB_BUDGET_BYTES, together: false },
  { name: 'socket data path, every connection busy at once', options: SOCKET_PATH, bytesPerConnection: 2 * (128 + 256 + 264) * 1024, shared: READ_SLAB_BUDGET_BYTES, together: true }
]

for (const path of PATHS) test(`load (${path.name}): ${CLIENTS} concurrent clients, ${BYTES} bytes each way in random write sizes, all hash-checked`, async (t) => {
  const started = Date.now()
  const serverSides = new Map<number, Promise<Side>>()
  const serverSockets: net.Socket[] = []
  // Every side waits for `start` before writing: at once, or once all 2 x CLIENTS streams are open.
  let opened = 0
  let go = (): void => {}
  const start = path.together ? new Promise<void>((resolve) => { go = resolve }) : Promise.resolve()
  const ready = (stream: SecretStream): SecretStream => {
    stream.opened.then(() => { if (++opened === 2 * CLIENTS) go() }, () => go())
    return stream
  }
  const l = await listen((raw: net.Socket) => {
    serverSockets.push(raw)
    const stream = new SecretStream(raw, { ...path.options, isInitiator: false, keyPair: serverKeys, appKey, handshakeTimeout: HANDSHAKE_TIMEOUT })
    serverSides.set(raw.remotePort!, exchange(ready(stream), start))
  }, 4096)
  let peak = 0
  let arenas = 0
  const base = process.memoryUsage()
  const baseline = base.heapUsed + base.arrayBuffers
  let sampledAt = 0
  const sample = (): void => {
    sampledAt = Date.now()
    const m = process.memoryUsage()
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - baseline)
    arenas = Math.max(arenas, ReadArena.open)
  }
  // A timer alone misses the peak: with every connection busy at once, the streams' work runs
  // for seconds between two turns of the event loop. Reads sample too, every 20 ms at most.
  const sampler = setInterval(sample, 50)
  onRead = (): void => {
    if (Date.now() - sampledAt >= 20) sample()
  }
  const clientSides = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const raw = await connect(l.port)
    const stream = new SecretStream(raw, { ...path.options, isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, handshakeTimeout: HANDSHAKE_TIMEOUT })
    return { port: raw.localPort!, side: await exchange(ready(stream), start) }
  }))
  clearInterval(sampler)
  onRead = noop
  const problems: string[] = []
  let delivered = 0
  for (const { port, side: c } of clientSides) {
    const s = await serverSides.get(port)
    if (!s) {
      problems.push(`client ${port}: no server side`)
      continue
    }
    if (c.error || s.error) problems.push(`${port}: errors ${String(c.error)} / ${String(s.error)}`)
    if (!c.ended || !s.ended) problems.push(`${port}: no clean end`)
    if (c.sent !== s.received || s.sent !== c.received) problems.push(`${port}: hash mismatch`)
    if (c.receivedBytes !== BYTES || s.receivedBytes !== BYTES) problems.push(`${port}: ${c.receivedBytes}/${s.receivedBytes} bytes`)
    delivered += c.receivedBytes + s.receivedBytes
  }
  await l.close()
  const secs = (Date.now() - started) / 1000
  t.deepEqual(problems.slice(0, 5), [], `${problems.length} connections with problems`)
  t.equal(delivered, CLIENTS * BYTES * 2, `100% of ${delivered} bytes delivered and hash-checked`)
  // Buffers are bounded per connection (high-water marks plus one batch of frames), never by the data.
  const bound = 64 * 1024 * 1024 + path.shared + CLIENTS * path.bytesPerConnection
  t.ok(peak < bound, `peak extra heap + buffers ${(peak / 1048576).toFixed(0)} MiB < ${(bound / 1048576).toFixed(0)} MiB (data exchanged: ${(delivered / 1048576).toFixed(0)} MiB)`)
  // A socket switched to our own read buffers can no longer be offered the switch.
  const switched = serverSockets.filter((raw) => !canReadIntoOwnBuffers(raw)).length
  t.comment(`${CLIENTS} clients, ${(delivered / 1048576).toFixed(0)} MiB in ${secs.toFixed(1)} s (${(delivered / 1048576 / secs).toFixed(1)} MiB/s, crypto ${getCryptoBackend().name}), peak extra memory ${(peak / 1048576).toFixed(0)} MiB, ${switched} server sockets reading into our own slabs, at most ${arenas} at the same time`)
  await checkNoStrays(t)
})
