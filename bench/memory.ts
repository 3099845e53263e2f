/**
 * Section 1 and 3a: in-memory figures, measured in this process.
 * - box+unbox throughput at several write sizes: our sans-I/O codec (encode one write, feed the
 *   wire bytes to the decoder) vs pull-box-stream's box → unbox pull pipeline;
 * - handshakes per second over an in-memory pair, whole streams on both sides, vs the peers;
 *   plus our state machines alone (the crypto cost with no stream around it).
 * @module
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { BoxDecoder, BoxEncoder } from '../lib/boxstream/index.js'
import { ClientHandshake, ServerHandshake } from '../lib/handshake/index.js'
import type { CryptoBackend } from '../lib/crypto/index.js'
import { appKey, clientKeys, memoryHandshake, serverKeys } from './peers.js'

const require = createRequire(import.meta.url)
const pull = require('pull-stream') // untyped CommonJS
const boxes = require('pull-box-stream')

const key = Buffer.alloc(32, 3)
const nonce = Buffer.alloc(24, 4)

/** MB/s (10^6 bytes) of our codec, box then unbox, `size`-byte writes for about `ms` milliseconds. */
export function oursBoxUnbox(crypto: CryptoBackend, size: number, ms: number): number {
  const enc = new BoxEncoder(key, nonce, crypto)
  const dec = new BoxDecoder(key, nonce, crypto)
  const chunk = Buffer.alloc(size, 0x5a)
  let received = 0
  const onPlain = (p: Uint8Array): void => {
    received += p.length
  }
  const start = performance.now()
  const deadline = start + ms
  let sent = 0
  do {
    dec.pushCoalesced(enc.encode(chunk), onPlain)
    sent += size
  } while (performance.now() < deadline)
  const elapsed = performance.now() - start
  if (received !== sent) throw new Error(`box+unbox lost bytes: ${received} of ${sent}`)
  return received / 1e6 / (elapsed / 1000)
}

/** MB/s of pull-box-stream, box → unbox in one pull pipeline, for about `ms` milliseconds. */
export function referenceBoxUnbox(size: number, ms: number): Promise<number> {
  const chunk = Buffer.alloc(size, 0x5a)
  let sent = 0
  let received = 0
  const start = performance.now()
  const deadline = start + ms
  const source = (abort: unknown, cb: (end: unknown, data?: Buffer) => void): void => {
    if (abort) return cb(abort)
    if (sent > 0 && performance.now() >= deadline) return cb(true)
    sent += size
    cb(null, chunk)
  }
  return new Promise((resolve, reject) => {
    pull(source, boxes.createBoxStream(key, nonce), boxes.createUnboxStream(key, nonce), pull.drain((p: Buffer) => {
      received += p.length
    }, (err: unknown) => {
      if (err && err !== true) return reject(err)
      if (received !== sent) return reject(new Error(`pull-box-stream lost bytes: ${received} of ${sent}`))
      resolve(received / 1e6 / ((performance.now() - start) / 1000))
    }))
  })
}

/**
 * Handshakes per second between two in-memory endpoints of `impl`, one after another, for about
 * `ms`: handshakes divided by the time spent handshaking (teardown excluded, for every stack alike).
 */
export async function memoryHandshakes(impl: string, ms: number): Promise<number> {
  const start = performance.now()
  let n = 0
  let busy = 0
  do {
    busy += await memoryHandshake(impl)
    n++
  } while (performance.now() - start < ms)
  return n / (busy / 1000)
}

/** Handshakes per second of our two state machines alone (no streams), with `crypto`. */
export function machineHandshakes(crypto: CryptoBackend, ms: number): number {
  const start = performance.now()
  let n = 0
  do {
    const client = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey, crypto })
    const server = new ServerHandshake({ appKey, keyPair: serverKeys, crypto })
    server.receiveHello(client.createHello())
    client.receiveHello(server.createHello())
    server.receiveAuth(client.createAuth())
    client.receiveAccept(server.createAccept().message)
    n++
  } while (performance.now() - start < ms)
  return n / ((performance.now() - start) / 1000)
}
