/**
 * `SecretStream`'s `ownReadBuffers` option (lib/platform/transport-node.ts): once bulk data
 * arrives, a `net.Socket` the stream is handed is switched to reading into 1 MiB slabs the stream
 * owns, as connect()'s own socket reads; an idle or chatty connection is never switched. The
 * bytes arrive intact and in order, with backpressure, on both sides; sockets that cannot be
 * switched (TLS, an encoding set, not a socket at all) are left as they are and still work.
 */
import test from 'tape'
import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import { PassThrough } from 'node:stream'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { canReadIntoOwnBuffers, readIntoOwnBuffers } from '../../lib/platform/transport-node.js'
import { SecretChannelError } from '../../lib/errors.js'
import { readAll } from '../helpers/net.js'
import { socketPair } from '../helpers/tcp.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
/** ReadArena's slab size: a chunk read into our own buffers is a view of one. */
const SLAB_BYTES = 1024 * 1024
const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()

/** A connected pair of plain sockets on 127.0.0.1: [dialled, accepted, stop the server]. */
async function sockets(): Promise<[net.Socket, net.Socket, () => void]> {
  const { dialled, accepted, stop } = await socketPair()
  return [dialled, accepted, stop]
}

function streams(dialled: net.Socket, accepted: net.Socket, options: Partial<SecretStreamOptions> = {}): [SecretStream, SecretStream] {
  const client = new SecretStream(dialled, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, recycleWrites: true, ...options })
  const server = new SecretStream(accepted, { isInitiator: false, keyPair: serverKeys, appKey, recycleWrites: true, ...options })
  return [client, server]
}

/** Bytes of `socket`'s reads that landed in one of our 1 MiB slabs. */
function countSlabBytes(socket: net.Socket): () => number {
  let n = 0
  socket.on('data', (chunk: Buffer) => { if (chunk.buffer.byteLength === SLAB_BYTES) n += chunk.length })
  return () => n
}

test('own-read-buffers: handed sockets read into our slabs; 4 MiB each way arrive intact, a slow reader included', async (t) => {
  const [dialled, accepted, stop] = await sockets()
  const [client, server] = streams(dialled, accepted, { ownReadBuffers: true })
  const closed = Promise.all([once(client, 'close'), once(server, 'close')])
  const serverSlabBytes = countSlabBytes(accepted)
  const clientSlabBytes = countSlabBytes(dialled)
  await Promise.all([client.opened, server.opened])
  const up = randomBytes(4 * 1024 * 1024)
  const down = randomBytes(4 * 1024 * 1024)
  // The server echoes the hash of what it got after sending its own 4 MiB, reading slowly at first
  // so the client's writes meet backpressure (the socket is paused and resumed in slab mode).
  const serverGot = createHash('sha256')
  let slowReads = 0
  const serverDone = new Promise<void>((resolve) => {
    server.on('data', (chunk: Buffer) => {
      serverGot.update(chunk)
      if (slowReads++ < 20) {
        server.pause()
        setTimeout(() => server.resume(), 5)
      }
    })
    server.on('end', () => resolve())
  })
  const clientGot = readAll(client)
  const write = async (stream: SecretStream, data: Buffer): Promise<void> => {
    for (let at = 0; at < data.length;) {
      // Uneven writes, so frames straddle reads.
      const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 30000))
      if (!stream.write(data.subarray(at, at + n))) await once(stream, 'drain')
      at += n
    }
    stream.end()
  }
  await Promise.all([write(client, up), write(server, down), serverDone])
  t.ok((await clientGot).equals(down), 'the client received the server\'s 4 MiB in order')
  t.equal(serverGot.digest('hex'), createHash('sha256').update(up).digest('hex'), 'the server received the client\'s 4 MiB in order')
  t.ok(serverSlabBytes() > up.length * 0.9, `the accepted socket read into our slabs (${serverSlabBytes()} bytes; Node's own reads are 64 KiB buffers)`)
  t.ok(clientSlabBytes() > down.length * 0.9, `so did the dialled one (${clientSlabBytes()} bytes)`)
  await closed
  stop()
})

test('own-read-buffers: without the option a handed socket keeps Node\'s own buffers', async (t) => {
  const [dialled, accepted, stop] = await sockets()
  const [client, server] = streams(dialled, accepted)
  const closed = Promise.all([once(client, 'close'), once(server, 'close')])
  const serverSlabBytes = countSlabBytes(accepted)
  await Promise.all([client.opened, server.opened])
  const got = readAll(server)
  client.end(randomBytes(200_000))
  t.equal((await got).length, 200_000, 'the bytes arrived')
  t.equal(serverSlabBytes(), 0, 'none of them in our slabs')
  server.end()
  client.resume()
  await closed
  stop()
})

test('own-read-buffers: a connection that only exchanges small messages keeps Node\'s buffers', async (t) => {
  const [dialled, accepted, stop] = await sockets()
  const [client, server] = streams(dialled, accepted, { ownReadBuffers: true })
  const closed = Promise.all([once(client, 'close'), once(server, 'close')])
  const serverSlabBytes = countSlabBytes(accepted)
  await Promise.all([client.opened, server.opened])
  const got = readAll(server)
  for (let i = 0; i < 200; i++) {
    client.write(randomBytes(100))
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  client.end()
  t.equal((await got).length, 20_000, 'every message arrived')
  t.equal(serverSlabBytes(), 0, 'no read went to our slabs')
  t.ok(canReadIntoOwnBuffers(accepted), 'the socket was never switched (an idle connection holds no read slab)')
  server.end()
  client.resume()
  await closed
  stop()
})

test('own-read-buffers: a socket still connecting can be handed over', async (t) => {
  const server = net.createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  server.on('connection', (socket: net.Socket) => {
    const stream = new SecretStream(socket, { isInitiator: false, keyPair: serverKeys, appKey })
    stream.on('error', () => {})
    stream.pipe(stream)
  })
  const dialled = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  t.ok(dialled.connecting, 'the socket is still connecting when it is handed over')
  t.ok(canReadIntoOwnBuffers(dialled), 'it may be switched later')
  const slabBytes = countSlabBytes(dialled)
  const client = new SecretStream(dialled, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ownReadBuffers: true })
  const payload = randomBytes(300_000)
  const echoed = readAll(client)
  client.end(payload)
  t.ok((await echoed).equals(payload), 'the echo came back intact')
  t.ok(slabBytes() > 0, `read into our slabs (${slabBytes()} bytes)`)
  server.close()
})

test('own-read-buffers: sockets that cannot be switched are left as they are', async (t) => {
  t.equal(canReadIntoOwnBuffers(new PassThrough()), false, 'a duplex that is not a socket cannot be switched')
  t.equal(readIntoOwnBuffers(new PassThrough()), false, 'and is not')
  t.equal(readIntoOwnBuffers({}), false, 'any other object')
  const secure = new tls.TLSSocket(new net.Socket())
  t.equal(canReadIntoOwnBuffers(secure), false, 'a TLS socket cannot be switched (it decrypts in its own layer)')
  t.equal(readIntoOwnBuffers(secure), false, 'and is not')
  secure.destroy()

  const [dialled, accepted, stop] = await sockets()
  accepted.setEncoding('latin1')
  t.equal(readIntoOwnBuffers(accepted), false, 'a socket with an encoding set')
  const [sender, buffered, stop2] = await sockets()
  sender.write('early bytes')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(buffered.readableLength > 0, 'bytes were buffered before the hand-over')
  t.equal(readIntoOwnBuffers(buffered), false, 'a socket with bytes buffered (they would be reordered)')
  const again = new net.Socket()
  t.equal(readIntoOwnBuffers(again), true, 'a socket without a handle yet')
  t.equal(readIntoOwnBuffers(again), false, 'a socket already reading into our buffers is not switched twice')
  t.equal(canReadIntoOwnBuffers(again), false, 'nor offered to be')
  again.destroy()
  for (const s of [dialled, accepted, sender, buffered]) s.destroy()
  stop()
  stop2()
})

test('own-read-buffers: a socket that had bytes buffered when handed over switches once they are read', async (t) => {
  const [dialled, accepted, stop] = await sockets()
  // The client starts its handshake before the server's stream exists: its hello waits in the socket.
  const client = new SecretStream(dialled, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ownReadBuffers: true })
  // Nobody listens to the accepted socket yet: Node buffers what it reads.
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(accepted.readableLength > 0, 'the client\'s hello is buffered in the accepted socket')
  const slabBytes = countSlabBytes(accepted)
  const server = new SecretStream(accepted, { isInitiator: false, keyPair: serverKeys, appKey, ownReadBuffers: true })
  server.pipe(server)
  const payload = randomBytes(100_000)
  const echoed = readAll(client)
  client.end(payload)
  t.ok((await echoed).equals(payload), 'the echo came back intact')
  t.ok(slabBytes() > 0, `later bulk reads went to our slabs (${slabBytes()} bytes)`)
  stop()
})

test('own-read-buffers: the option must be a boolean', (t) => {
  const socket = new net.Socket()
  try {
    new SecretStream(socket, { isInitiator: false, keyPair: serverKeys, appKey, ownReadBuffers: 'yes' as unknown as boolean })
    t.fail('no error')
  } catch (err) {
    t.ok(err instanceof SecretChannelError && err.code === 'ERR_INVALID_ARGUMENT', 'ERR_INVALID_ARGUMENT')
    // The same words as createServer's and connect()'s check of the option.
    t.match((err as Error).message, /ownReadBuffers must be true or false/, 'the message names the option')
  }
  socket.destroy()
  t.end()
})
