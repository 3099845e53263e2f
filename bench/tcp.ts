/**
 * Sections 2, 3b and 4: TCP on 127.0.0.1 with sender and receiver in separate child processes
 * (see child.ts), so a figure is never two event loops sharing one.
 * @module
 */
import { Child, envFor, type ChildResult } from './spawn.js'

/**
 * One TCP transfer's figures: MB/s at the receiver (first byte to clean end), CPU and GC seconds
 * per GiB and peak RSS on each side.
 * @example
 * ```ts
 * const { mbps, receiverCpu }: TcpFigures = await bulk('hyperswarm', null, 2 ** 28, 65536, false)
 * ```
 */
export interface TcpFigures {
  mbps: number
  receiverRssMiB: number
  senderRssMiB: number
  receiverCpu: number
  senderCpu: number
  receiverGc: number
  senderGc: number
}

const figures = (received: ChildResult, sent: ChildResult): TcpFigures => ({
  mbps: received.mbps,
  receiverRssMiB: received.maxRssMiB,
  senderRssMiB: sent.maxRssMiB,
  receiverCpu: received.cpuSecondsPerGiB,
  senderCpu: sent.cpuSecondsPerGiB,
  receiverGc: received.gcSecondsPerGiB,
  senderGc: sent.gcSecondsPerGiB
})

/** Both sides' results of a transfer, checked: every byte arrived and (verify) hashes as sent. */
async function finish(what: string, bytes: number, receiver: Child, sender: Child, verify: boolean): Promise<[ChildResult, ChildResult]> {
  const [received, sent] = await Promise.all([receiver.get('result'), sender.get('result')])
  if (!received.ok) throw new Error(`${what}: received ${received.received} of ${bytes} bytes`)
  if (verify && received.sha256 !== sent.sha256) throw new Error(`${what}: the received stream's hash differs from the sent one`)
  return [received, sent]
}

/**
 * Starts the listening child (`listener`, which reports its port; `listenerFlags` for its Node),
 * then the child that dials it (`dialer(port)`), both on `backend`, and hands them to `measure`;
 * both are ended afterwards, whatever happens.
 */
async function listenThenDial<T>(backend: string | null, listener: string[], dialer: (port: number) => string[], measure: (listening: Child, dialling: Child) => Promise<T>, listenerFlags: string[] = []): Promise<T> {
  const listening = new Child(listener, envFor(backend), listenerFlags)
  let dialling: Child | null = null
  try {
    const port = await listening.get<number>('port')
    dialling = new Child(dialer(port), envFor(backend))
    return await measure(listening, dialling)
  } finally {
    dialling?.kill()
    listening.kill()
  }
}

/**
 * A bulk transfer over `conns` connections at once (1: the single-connection figure), all senders
 * in one process and all receivers in another; `bytes` in total, split evenly (whole writes).
 * The receiving side wraps the sockets its `net.Server` accepts: `SecretStream` on handed sockets.
 * @example
 * ```ts
 * const one = await bulk('ours', 'sodium-native', 2 ** 28, 65536, false)
 * const four = await bulk('ours', 'sodium-native', 2 ** 28, 65536, false, 4)
 * ```
 */
export function bulk(impl: string, backend: string | null, bytes: number, writeBytes: number, verify: boolean, conns = 1): Promise<TcpFigures> {
  const perConn = Math.max(1, Math.floor(bytes / conns / writeBytes)) * writeBytes
  const v = verify ? '1' : '0'
  return listenThenDial(backend, ['bulk-server', impl, String(conns), String(perConn), v],
    (port) => ['bulk-client', impl, String(port), String(conns), String(perConn), String(writeBytes), v],
    async (server, client) => figures(...await finish(`${impl} x${conns}`, perConn * conns, server, client, verify)))
}

/**
 * The bulk transfer where the library owns both ends: `createServer` sends, `connect()` receives
 * (bench/child-connect.ts), our `backend`.
 * @example
 * ```ts
 * const { mbps } = await bulkConnect('sodium-native', 2 ** 28, 65536, false)
 * ```
 */
export function bulkConnect(backend: string, bytes: number, writeBytes: number, verify: boolean): Promise<TcpFigures> {
  const v = verify ? '1' : '0'
  return listenThenDial(backend, ['connect-sender', 'ours', String(bytes), String(writeBytes), v],
    (port) => ['connect-receiver', 'ours', String(port), String(bytes), v],
    async (sender, receiver) => figures(...await finish('connect()', bytes, receiver, sender, verify)))
}

/**
 * The bulk transfer the other way round: `connect()` sends, `createServer` receives (it reads each
 * accepted socket into buffers it owns; bench/child-connect.ts), our `backend`.
 * @example
 * ```ts
 * const { mbps, receiverCpu } = await bulkAccept('sodium-native', 2 ** 28, 65536, false)
 * ```
 */
export function bulkAccept(backend: string, bytes: number, writeBytes: number, verify: boolean): Promise<TcpFigures> {
  const v = verify ? '1' : '0'
  return listenThenDial(backend, ['accept-receiver', 'ours', String(bytes), v],
    (port) => ['dial-sender', 'ours', String(port), String(bytes), String(writeBytes), v],
    async (receiver, sender) => figures(...await finish('createServer receives', bytes, receiver, sender, verify)))
}

/**
 * What a writer that ignores backpressure costs its own process (bench/child-flood.ts).
 * @example
 * ```ts
 * const f: FloodFigures = await flood('ours', 'sodium-native', 200 * 2 ** 20, 65536, false)
 * console.log(f.peakExternalMiB / f.writtenMiB, f.maxTransportWriteBytes)
 * ```
 */
export interface FloodFigures {
  /** Peak of process.memoryUsage().external above its value before the writes, MiB. */
  peakExternalMiB: number
  /** The same for process.memoryUsage().arrayBuffers. */
  peakArrayBuffersMiB: number
  /** Bytes the application wrote, MiB. */
  writtenMiB: number
  /** Largest single `socket.write` the stack made. */
  maxTransportWriteBytes: number
  /** How many `socket.write` calls it made (handshake included). */
  transportWrites: number
}

/**
 * A sender that hands over `bytes` in fresh `writeBytes` buffers without waiting for anything, to
 * a receiver that reads normally; the sender's peak memory and largest transport write.
 * @example
 * ```ts
 * const f = await flood('hyperswarm', null, 200 * 2 ** 20, 65536, false)
 * ```
 */
export function flood(impl: string, backend: string | null, bytes: number, writeBytes: number, verify: boolean): Promise<FloodFigures> {
  const total = Math.max(1, Math.floor(bytes / writeBytes)) * writeBytes
  const v = verify ? '1' : '0'
  return listenThenDial(backend, ['bulk-server', impl, '1', String(total), v],
    (port) => ['flood-client', impl, String(port), String(total), String(writeBytes), v],
    async (server, client) => {
      const received = await server.get('result')
      // The receiver has every byte, so nothing is queued at the sender any more: stop sampling.
      client.tell('report')
      const sent = await client.get('result')
      if (!received.ok) throw new Error(`${impl} flood: received ${received.received} of ${total} bytes`)
      if (verify && received.sha256 !== sent.sha256) throw new Error(`${impl} flood: the received stream's hash differs from the sent one`)
      return { peakExternalMiB: sent.peakExternalMiB, peakArrayBuffersMiB: sent.peakArrayBuffersMiB, writtenMiB: sent.writtenMiB, maxTransportWriteBytes: sent.maxTransportWriteBytes, transportWrites: sent.transportWrites }
    })
}

/**
 * Connections + handshakes + clean closes per second, 4 at a time, client and server in separate processes.
 * @example
 * ```ts
 * const perSecond = await connections('reference', null, 200)
 * ```
 */
export function connections(impl: string, backend: string | null, count: number): Promise<number> {
  return listenThenDial(backend, ['conn-server', impl], (port) => ['conn-client', impl, String(port), String(count)],
    async (_server, client) => (await client.get('result')).perSecond)
}

/**
 * Heap bytes per idle open connection on the server side (socket included), after a full GC.
 * @example
 * ```ts
 * const bytesEach = await idleHeap('ours', 'sodium-native', 1000)
 * ```
 */
export function idleHeap(impl: string, backend: string | null, count: number): Promise<number> {
  return listenThenDial(backend, ['idle-server', impl, String(count)], (port) => ['idle-client', impl, String(port), String(count)],
    async (server, client) => {
      await client.get('ready')
      server.tell('measure')
      const result = await server.get('result')
      if (result.open !== count) throw new Error(`${impl}: only ${result.open} of ${count} connections opened`)
      return result.heapBytesPerConnection
    }, ['--expose-gc'])
}
