/**
 * The bulk transfers where the library owns both sockets, in both directions: `createServer`
 * sends and `connect()` receives (connect-sender / connect-receiver), or `connect()` sends and
 * `createServer` receives (dial-sender / accept-receiver). Both read their sockets into buffers
 * they own from the first bulk read on (SecretStream's `ownReadBuffers`, which gives the socket
 * Node's `onread` fields). (`SecretStream` on a socket it is handed is the plain `bulk-server` role.)
 * Child roles, run by child.ts.
 * @module
 */
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { connect } from '../lib/net/connect.js'
import { createServer } from '../lib/net/server.js'
import { appKey, clientKeys, serverKeys, streamxChannel } from './peers.js'
import { cpuSince, crash, gcMs, maxRssMiB, pattern, repeatedHash, say } from './child-common.js'

const GiB = 2 ** 30

/** A stream from `createServer` or `connect()`, as the measurements use it. */
type LibraryStream = Awaited<ReturnType<typeof connect>>

/**
 * Sends `bytes` in `writeBytes` writes over `stream`, respecting backpressure, then ends it;
 * reports this process's CPU and GC per GiB and (verify) the hash of what was sent.
 */
async function sendMeasured(stream: LibraryStream, bytes: number, writeBytes: number, verify: boolean): Promise<void> {
  // The other TCP runs set noDelay on both sockets; the same here, through the stream's socket manners.
  stream.setNoDelay(true)
  const chunk = pattern(writeBytes)
  const expected = verify ? repeatedHash(chunk, bytes) : null
  const cpu = process.cpuUsage()
  const gcFrom = gcMs()
  await streamxChannel(stream as unknown as NodeJS.ReadWriteStream).sendAll(chunk, bytes) // streamx implements the Node stream methods used
  await new Promise((resolve) => setImmediate(resolve)) // let the GC observer's entries arrive
  say({ result: { maxRssMiB: maxRssMiB(), cpuSecondsPerGiB: cpuSince(cpu) / (bytes / GiB), gcSecondsPerGiB: (gcMs() - gcFrom) / 1000 / (bytes / GiB), sha256: expected } })
}

/**
 * Receives from `stream` until the peer's clean end; reports MB/s from the first byte to the end,
 * CPU and GC per GiB from now on, and (verify) the hash of what arrived.
 */
async function receiveMeasured(stream: LibraryStream, bytes: number, verify: boolean): Promise<void> {
  stream.setNoDelay(true)
  const cpu = process.cpuUsage()
  const gcFrom = gcMs()
  const hash = verify ? createHash('sha256') : null
  let received = 0
  let first = 0
  await streamxChannel(stream as unknown as NodeJS.ReadWriteStream).receiveAll((chunk) => {
    if (received === 0) first = performance.now()
    received += chunk.length
    hash?.update(chunk)
  })
  const seconds = (performance.now() - first) / 1000
  say({ result: { received, mbps: received / 1e6 / seconds, seconds, cpuSecondsPerGiB: cpuSince(cpu) / (received / GiB), gcSecondsPerGiB: (gcMs() - gcFrom) / 1000 / (received / GiB), maxRssMiB: maxRssMiB(), sha256: hash?.digest('hex') ?? null, ok: received === bytes } })
}

/**
 * Listens with `createServer` on 127.0.0.1 (announces `{ port }`) and runs `work` on the first
 * authenticated stream, then stops listening. The process stays until the parent ends it.
 */
function serveOnce(work: (stream: LibraryStream) => Promise<void>): void {
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
    work(stream).then(() => server.close()).catch(crash)
  })
  server.on('handshakeError', crash)
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    say({ port: typeof address === 'object' && address ? address.port : 0 })
  })
}

/** `connect()` to 127.0.0.1:`port` as the client the bench's server knows. */
const dialLibrary = (port: number): Promise<LibraryStream> =>
  connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })

/**
 * Listens with `createServer` and sends `bytes` in `writeBytes` writes, respecting backpressure,
 * to the first peer; reports its CPU and GC per GiB.
 * @example
 * ```ts
 * connectSender(256 * 2 ** 20, 65536, false) // node dist/bench/child.js connect-sender ours …
 * ```
 */
export function connectSender(bytes: number, writeBytes: number, verify: boolean): void {
  serveOnce((stream) => sendMeasured(stream, bytes, writeBytes, verify))
}

/**
 * Dials 127.0.0.1:`port` with `connect()` and receives until the clean end; reports MB/s from
 * the first byte to the end, and CPU and GC per GiB from the open stream on.
 * @example
 * ```ts
 * await connectReceiver(4242, 256 * 2 ** 20, false) // node dist/bench/child.js connect-receiver ours …
 * ```
 */
export async function connectReceiver(port: number, bytes: number, verify: boolean): Promise<void> {
  await receiveMeasured(await dialLibrary(port), bytes, verify)
  // Stay until the parent ends us: the sender may still be reporting.
}

/**
 * Listens with `createServer` and receives `bytes` from the first peer until its clean end;
 * reports MB/s from the first byte, CPU and GC per GiB.
 * @example
 * ```ts
 * acceptReceiver(256 * 2 ** 20, false) // node dist/bench/child.js accept-receiver ours …
 * ```
 */
export function acceptReceiver(bytes: number, verify: boolean): void {
  serveOnce((stream) => receiveMeasured(stream, bytes, verify))
}

/**
 * Dials 127.0.0.1:`port` with `connect()` and sends `bytes` in `writeBytes` writes, respecting
 * backpressure; reports its CPU and GC per GiB.
 * @example
 * ```ts
 * await dialSender(4242, 256 * 2 ** 20, 65536, false) // node dist/bench/child.js dial-sender ours …
 * ```
 */
export async function dialSender(port: number, bytes: number, writeBytes: number, verify: boolean): Promise<void> {
  await sendMeasured(await dialLibrary(port), bytes, writeBytes, verify)
  // Stay until the receiver has everything; the parent ends us.
}
