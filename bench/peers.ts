/**
 * The stacks under test, behind one small interface so every benchmark treats them alike:
 * ours (`SecretStream`, per crypto backend), the reference (secret-handshake + pull-box-stream,
 * over TCP through stream-to-pull-stream), @hyperswarm/secret-stream (Noise XX + secretstream),
 * and plain TCP as the ceiling.
 * @module
 */
import { createRequire } from 'node:module'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { Socket } from 'node:net'
import { SecretStream } from '../lib/streams/secret-stream.js'
import { createDuplexPair } from '../lib/streams/memory-pair.js'
import { generateKeyPair } from '../lib/keys.js'

const require = createRequire(import.meta.url)
// Untyped CommonJS packages (the reference implementations we measure against).
const pull = require('pull-stream')
const toPull = require('stream-to-pull-stream')
const shs = require('secret-handshake')
const HyperSecretStream = require('@hyperswarm/secret-stream')

/** Names of the peer stacks (ours is named by its backend: `ours:<backend>`). */
export type PeerName = 'reference' | 'hyperswarm' | 'plain'

export const appKey = Buffer.alloc(32, 0x2a)
export const serverKeys = generateKeyPair(Buffer.alloc(32, 1))
export const clientKeys = generateKeyPair(Buffer.alloc(32, 2))
const hyperServerKeys = HyperSecretStream.keyPair(Buffer.alloc(32, 1))
const hyperClientKeys = HyperSecretStream.keyPair(Buffer.alloc(32, 2))

/** An open channel, reduced to what the benchmarks need. */
export interface Channel {
  /** Sends `total` bytes in writes of `size` (the same buffer each time), respecting backpressure, then ends. */
  sendAll(chunk: Buffer, total: number): Promise<void>
  /**
   * Hands `chunk` over at once, whatever the backpressure (a writer that never looks at write()'s
   * return nor waits for 'drain'); `null` ends the stream after everything handed over.
   */
  push(chunk: Buffer | null): void
  /** Calls `onData` for every received chunk; resolves at the clean end of the peer's stream. */
  receiveAll(onData: (chunk: Uint8Array) => void): Promise<void>
  /** Ends our side cleanly and resolves once the channel is fully closed. */
  close(): Promise<void>
}

/** Wraps a connected transport socket on one side. */
export type Wrap = (socket: Socket, isInitiator: boolean) => Promise<Channel>

async function sendStreamx(stream: NodeJS.ReadWriteStream, chunk: Buffer, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!stream.write(chunk)) await once(stream, 'drain')
  }
  stream.end()
}

function receiveStreamx(stream: NodeJS.ReadWriteStream, onData: (chunk: Uint8Array) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', onData)
    stream.once('end', resolve)
    stream.once('error', reject)
  })
}

/**
 * A {@link Channel} over any Node-style duplex with `write`/`'drain'`/`'data'`/`'end'` (streamx
 * streams and sockets alike).
 * @example
 * ```ts
 * const channel = streamxChannel(await connect(options) as unknown as NodeJS.ReadWriteStream)
 * await channel.receiveAll((chunk) => count(chunk))
 * ```
 */
export function streamxChannel(stream: NodeJS.ReadWriteStream): Channel {
  return {
    sendAll: (chunk, total) => sendStreamx(stream, chunk, total),
    push: (chunk) => {
      if (chunk) stream.write(chunk)
      else stream.end()
    },
    receiveAll: (onData) => receiveStreamx(stream, onData),
    close: () => new Promise((resolve) => {
      stream.once('close', resolve)
      stream.on('error', () => resolve())
      stream.on('end', () => stream.end())
      stream.resume()
      stream.end()
    })
  }
}

/** Ours, over a socket: the process-wide crypto backend (set by SECRET_CHANNEL_CRYPTO). */
// As createServer and connect do for sockets: a socket reads into buffers the stream owns and opens
// in place, and its written buffers are the stream's to reuse.
export const wrapOurs: Wrap = async (socket, isInitiator) => {
  const highWaterMark = process.env.BENCH_HWM ? Number(process.env.BENCH_HWM) : undefined
  const socketOptions = { highWaterMark, ownReadBuffers: true, reuseInput: true, recycleWrites: true }
  const stream = new SecretStream(socket, isInitiator
    ? { isInitiator, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ...socketOptions }
    : { isInitiator, keyPair: serverKeys, appKey, ...socketOptions })
  await stream.opened
  return streamxChannel(stream as unknown as NodeJS.ReadWriteStream) // streamx implements the Node stream methods used here
}

/** @hyperswarm/secret-stream over a socket. */
export const wrapHyperswarm: Wrap = async (socket, isInitiator) => {
  const stream = new HyperSecretStream(isInitiator, socket, { keyPair: isInitiator ? hyperClientKeys : hyperServerKeys })
  await stream.opened
  return streamxChannel(stream)
}

/** Plain TCP: the ceiling. */
export const wrapPlain: Wrap = async (socket) => streamxChannel(socket)

/**
 * A pull-stream source that never refuses a chunk: what a pull-stream application that ignores
 * backpressure does (pull-pushable's shape). Everything pushed waits here until the sink reads it.
 */
function queueSource(sink: unknown): (chunk: Buffer | null) => void {
  const queue: Buffer[] = []
  let ended = false
  let started = false
  let waiting: ((end: unknown, data?: Buffer) => void) | null = null
  const source = (abort: unknown, cb: (end: unknown, data?: Buffer) => void): void => {
    if (abort) return cb(abort)
    const next = queue.shift()
    if (next) return cb(null, next)
    if (ended) return cb(true)
    waiting = cb
  }
  return (chunk) => {
    if (chunk) queue.push(chunk)
    else ended = true
    if (!started) {
      started = true
      pull(source, sink)
    } else if (waiting) {
      const cb = waiting
      waiting = null
      source(null, cb)
    }
  }
}

function pullChannel(stream: { source: unknown; sink: unknown }): Channel {
  let push: ((chunk: Buffer | null) => void) | null = null
  return {
    push: (chunk) => (push ??= queueSource(stream.sink))(chunk),
    sendAll: (chunk, total) => new Promise((resolve) => {
      let sent = 0
      const source = (abort: unknown, cb: (end: unknown, data?: Buffer) => void): void => {
        if (abort) return cb(abort)
        if (sent >= total) {
          // Everything was handed to the box stream (which encrypts synchronously as it pulls).
          resolve()
          return cb(true)
        }
        sent += chunk.length
        cb(null, chunk)
      }
      pull(source, stream.sink)
    }),
    receiveAll: (onData) => new Promise((resolve, reject) => {
      pull(stream.source, pull.drain(onData, (err: unknown) => (err && err !== true ? reject(err) : resolve())))
    }),
    close: () => new Promise((resolve) => {
      pull(pull.empty(), stream.sink)
      pull(stream.source, pull.drain(() => {}, () => resolve()))
    })
  }
}

/** The reference: secret-handshake@1.1.21 (box-stream by pull-box-stream) over stream-to-pull-stream. */
export const wrapReference: Wrap = (socket, isInitiator) => new Promise((resolve, reject) => {
  const done = (err: unknown, stream: { source: unknown; sink: unknown }): void => (err ? reject(err) : resolve(pullChannel(stream)))
  const shake = isInitiator
    ? shs.createClient(clientKeys, appKey, 10_000)(serverKeys.publicKey, done)
    : shs.createServer(serverKeys, (_pub: unknown, cb: (err: null, ok: boolean) => void) => cb(null, true), appKey, 10_000)(done)
  const raw = toPull.duplex(socket)
  pull(raw, shake, raw)
})

/** The wrapper for an implementation name: `ours` or a peer. */
export function wrapFor(impl: string): Wrap {
  if (impl === 'ours') return wrapOurs
  if (impl === 'reference') return wrapReference
  if (impl === 'hyperswarm') return wrapHyperswarm
  if (impl === 'plain') return wrapPlain
  throw new Error(`unknown implementation ${impl}`)
}

/**
 * One handshake between two fresh in-memory endpoints. Resolves with the milliseconds from
 * creating both ends until both are open; tearing them down afterwards is not counted.
 */
export async function memoryHandshake(impl: string): Promise<number> {
  const start = performance.now()
  if (impl === 'ours') {
    const [a, b] = createDuplexPair()
    const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
    const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
    await Promise.all([client.opened, server.opened])
    const elapsed = performance.now() - start
    client.destroy()
    server.destroy()
    return elapsed
  }
  if (impl === 'hyperswarm') {
    const client = new HyperSecretStream(true, null, { keyPair: hyperClientKeys })
    const server = new HyperSecretStream(false, null, { keyPair: hyperServerKeys })
    client.rawStream.pipe(server.rawStream).pipe(client.rawStream)
    await Promise.all([client.opened, server.opened])
    const elapsed = performance.now() - start
    client.destroy()
    server.destroy()
    return elapsed
  }
  if (impl === 'reference') {
    await new Promise<void>((resolve, reject) => {
      let open = 0
      const done = (err: unknown): void => {
        if (err) return reject(err)
        if (++open === 2) resolve()
      }
      const client = shs.createClient(clientKeys, appKey, 10_000)(serverKeys.publicKey, done)
      const server = shs.createServer(serverKeys, (_pub: unknown, cb: (err: null, ok: boolean) => void) => cb(null, true), appKey, 10_000)(done)
      pull(client, server, client)
    })
    return performance.now() - start
  }
  throw new Error(`no in-memory handshake for ${impl}`)
}
