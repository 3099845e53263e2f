/**
 * Shared test plumbing for the pull-stream drop-in: the reference packages, random payloads cut
 * into random writes, hashing sinks, and the two transports (in-memory pull pipe, TCP).
 */
import { createHash, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import net from 'node:net'
import type { Duplex, Source } from '../../lib/streams/pull.js'
export type { Duplex, End, Source, SourceCallback } from '../../lib/streams/pull/types.js'

const require = createRequire(import.meta.url)

/** The reference packages and pull-stream helpers (CommonJS, untyped). */
export const pull = require('pull-stream')
export const refShs = require('secret-handshake')
export const refBox = require('pull-box-stream')
export const toPull = require('stream-to-pull-stream')

/** A tiny seeded PRNG (xorshift32), so a failing size pattern can be replayed. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

/** SHA-256 of some bytes, hex. */
export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/**
 * A source that writes `payload` in random-sized pieces (sometimes empty, sometimes far over
 * 4096 bytes), as Buffers.
 */
export function randomWrites(payload: Buffer, seed: number, maxWrite = 20000): Source<Buffer> {
  const rnd = prng(seed)
  const pieces: Buffer[] = []
  for (let at = 0; at < payload.length; ) {
    const r = rnd()
    const size = r < 0.05 ? 0 : r < 0.3 ? 1 + Math.floor(rnd() * 40) : Math.floor(rnd() * maxWrite)
    pieces.push(payload.subarray(at, at + size))
    at += size
  }
  return pull.values(pieces)
}

/** What a sink received: hash, byte count, chunk count, or the error it ended with. */
export interface Received {
  err: Error | null
  hash: string
  bytes: number
  chunks: number
}

/** A sink that hashes everything it reads; resolves when the source ends. */
export function hashSink(): { sink: (read: Source<Buffer>) => void; done: Promise<Received> } {
  let resolve!: (r: Received) => void
  const done = new Promise<Received>((r) => (resolve = r))
  const hash = createHash('sha256')
  let bytes = 0
  let chunks = 0
  const sink = (read: Source<Buffer>): void => {
    pull(
      read,
      pull.drain(
        (chunk: Buffer) => {
          hash.update(chunk)
          bytes += chunk.length
          chunks++
        },
        (err: Error | true | null) => resolve({ err: err && err !== true ? err : null, hash: hash.digest('hex'), bytes, chunks })
      )
    )
  }
  return { sink, done }
}

/** A plaintext pull duplex as both libraries hand it out. */
export interface PlainStream {
  source: Source<Buffer>
  sink: (read: Source<Buffer>) => void
  remote: Buffer
  auth?: unknown
  crypto: { encryptKey: Buffer; decryptKey: Buffer; encryptNonce: Buffer; decryptNonce: Buffer }
}

/** A handshake result as a promise. */
export function deferred<T>(): { promise: Promise<T>; cb: (err: Error | null, value?: T) => void } {
  let cb!: (err: Error | null, value?: T) => void
  const promise = new Promise<T>((resolve, reject) => {
    cb = (err, value) => (err ? reject(err) : resolve(value as T))
  })
  return { promise, cb }
}

/** What a handshake rejects with: an Error, a SecretChannelError with a `code` and maybe a `cause`. */
export type Caught = Error & { code?: string; cause?: Error }

/** Catches a promise's rejection as a value, for asserting on errors. */
export async function failure(p: Promise<unknown>): Promise<Caught | null> {
  try {
    await p
  } catch (err) {
    return err as Caught
  }
  return null
}

/** Sends `payload` over `stream` in random writes and hashes what comes back. */
export function sendAndReceive(stream: PlainStream, payload: Buffer, seed: number): Promise<Received> {
  const h = hashSink()
  h.sink(stream.source)
  pull(randomWrites(payload, seed), stream.sink)
  return h.done
}

/** Connects two ciphertext duplexes in memory. */
function pipeInMemory(a: Duplex<Buffer, Buffer>, b: Duplex<Buffer, Buffer>): void {
  pull(a, b, a)
}

/** A TCP pair on 127.0.0.1: each side's socket as a pull duplex. Half-open so goodbyes can cross. */
async function tcpPair(): Promise<{ client: Duplex<Buffer, Buffer>; server: Duplex<Buffer, Buffer>; close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true })
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const serverSocket = await accepted
  const close = async (): Promise<void> => {
    socket.destroy()
    serverSocket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return { client: toPull.duplex(socket), server: toPull.duplex(serverSocket), close }
}

/** Connects a ciphertext duplex to a socket duplex. */
export function pipeToSocket(shake: Duplex<Buffer, Buffer>, socket: Duplex<Buffer, Buffer>): void {
  pull(socket.source, shake.sink)
  pull(shake.source, socket.sink)
}

/** A random payload of `n` bytes. */
export const payload = (n: number): Buffer => randomBytes(n)

/** Either library's handshake API (createClient / createServer with the reference's shapes). */
export interface ShsApi {
  createClient: (keys: Peers['client'] | null, appKey: Buffer | string, timeout?: number) => (pub: Buffer, cb: (err: Error | null, s?: PlainStream) => void) => Duplex<Buffer, Buffer>
  createServer: (keys: Peers['server'], authorize: Authorize, appKey: Buffer | string, timeout?: number) => (cb: (err: Error | null, s?: PlainStream) => void) => Duplex<Buffer, Buffer>
}

/** The callback `authorize` answers with: an error, or a truthy value to admit the peer. */
export type AuthCb = (err?: Error | null, auth?: unknown) => void

/** A server's `authorize(publicKey, cb)`, in both libraries' shape (ours also takes a one-argument async one). */
export type Authorize = ((pub: Buffer, cb: AuthCb) => void) | ((pub: Buffer) => Promise<unknown>)

/** The keys both ends use in a connection test; the reference wants Buffers. */
export interface Peers {
  appKey: Buffer
  client: { publicKey: Buffer; secretKey: Buffer }
  server: { publicKey: Buffer; secretKey: Buffer }
}

/**
 * Runs one handshake between `clientLib` and `serverLib` over `transport`; resolves with both
 * plaintext streams (or rejects with the first error) and a `close` for the transport.
 */
export async function connectPair(
  clientLib: ShsApi,
  serverLib: ShsApi,
  transport: 'memory' | 'tcp',
  peers: Peers,
  authorize: Authorize = (_pub: Buffer, cb: AuthCb) => cb(null, true)
): Promise<{ client: PlainStream; server: PlainStream; close: () => Promise<void> }> {
  const c = deferred<PlainStream>()
  const s = deferred<PlainStream>()
  const clientShake = clientLib.createClient(peers.client, peers.appKey)(peers.server.publicKey, c.cb)
  const serverShake = serverLib.createServer(peers.server, authorize, peers.appKey)(s.cb)
  let close = async (): Promise<void> => {}
  if (transport === 'memory') {
    pipeInMemory(clientShake, serverShake)
  } else {
    const sockets = await tcpPair()
    pipeToSocket(clientShake, sockets.client)
    pipeToSocket(serverShake, sockets.server)
    close = sockets.close
  }
  try {
    const [client, server] = await Promise.all([c.promise, s.promise])
    return { client, server, close }
  } catch (err) {
    await close()
    throw err
  }
}
