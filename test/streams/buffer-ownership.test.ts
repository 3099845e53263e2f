/**
 * Buffer ownership end to end: plaintext handed to the application is never overwritten while it
 * may be held (the test holds every 'data' chunk, uncopied, to the end), over TCP where
 * createServer/connect open frames in place inside the socket's reads, and over an in-memory pair,
 * where the wire buffers belong to the sender and must not be written by the receiver.
 */
import test from 'tape'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type ServerStream } from '../../lib/net/index.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { closeServer, listenLocal } from '../helpers/net.js'

/** Random writes of 1 byte to 70 KiB. */
function writes(total: number): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < total;) {
    const n = Math.min(total - at, 1 + Math.floor(Math.random() * 70_000))
    out.push(randomBytes(n))
    at += n
  }
  return out
}

/** Every 'data' chunk, held as given (no copy) until the end. */
function hold(stream: NodeJS.EventEmitter): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const views: Buffer[] = []
    stream.on('data', (v: Buffer) => views.push(v))
    stream.once('end', () => resolve(views))
    stream.once('error', reject)
  })
}

test('TCP (in-place opening): views held by the application stay intact, both directions', async (t) => {
  const server = createServer({ keyPair: serverKeys, appKey })
  const accepted = once(server, 'connection') as Promise<[ServerStream]>
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const [stream] = await accepted
  const up = writes(3 * 1024 * 1024)
  const down = writes(2 * 1024 * 1024)
  const atServer = hold(stream)
  const atClient = hold(client)
  for (const w of up) client.write(w)
  client.end()
  for (const w of down) stream.write(w)
  stream.end()
  const [s, c] = await Promise.all([atServer, atClient])
  t.ok(Buffer.concat(s).equals(Buffer.concat(up)), `server: ${s.length} held views still equal the ${Buffer.concat(up).length} bytes sent`)
  t.ok(Buffer.concat(c).equals(Buffer.concat(down)), `client: ${c.length} held views still equal the ${Buffer.concat(down).length} bytes sent`)
  await closeServer(server)
})

test('in-memory pair: the receiver never writes into the sender\'s wire buffers; held views stay intact', async (t) => {
  const [a, b] = createDuplexPair()
  const delivered: Array<[Buffer, Buffer]> = []
  const write = a.write.bind(a)
  a.write = ((data: Buffer) => { delivered.push([data, Buffer.from(data)]); return write(data) }) as typeof a.write
  const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  const got = hold(server)
  const up = writes(1024 * 1024)
  for (const w of up) client.write(w)
  client.end()
  const views = await got
  t.ok(Buffer.concat(views).equals(Buffer.concat(up)), 'held views equal what was sent')
  t.ok(delivered.every(([sent, copy]) => sent.equals(copy)), `all ${delivered.length} wire buffers are unchanged after decoding`)
  server.end()
})

test('TCP, three connections sharing the recycled wire buffers, slow readers: every byte intact', async (t) => {
  const server = createServer({ keyPair: serverKeys, appKey })
  const port = await listenLocal(server)
  const streams: ServerStream[] = []
  server.on('connection', (s: ServerStream) => streams.push(s))
  const clients = await Promise.all([0, 1, 2].map(() => connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })))
  while (streams.length < 3) await new Promise((resolve) => setTimeout(resolve, 5))
  const payloads = clients.map(() => writes(2 * 1024 * 1024))
  const received = streams.map((s) => new Promise<Buffer>((resolve, reject) => {
    const views: Buffer[] = []
    // A reader that pauses now and then, so writes queue up while buffers are recycled.
    s.on('data', (v: Buffer) => {
      views.push(v)
      if (views.length % 7 === 0) {
        s.pause()
        setTimeout(() => s.resume(), 2)
      }
    })
    s.once('end', () => resolve(Buffer.concat(views)))
    s.once('error', reject)
  }))
  clients.forEach((c, i) => {
    for (const w of payloads[i]!) c.write(w)
    c.end()
  })
  // Which server stream belongs to which client is not known; compare as a set of hashes.
  const got = (await Promise.all(received)).map((b) => b.toString('base64').length + ':' + b.subarray(0, 64).toString('hex'))
  const want = payloads.map((p) => Buffer.concat(p)).map((b) => b.toString('base64').length + ':' + b.subarray(0, 64).toString('hex'))
  t.deepEqual(got.sort(), want.sort(), 'every connection received exactly its bytes')
  const full = await Promise.all(received)
  t.ok(full.every((b) => payloads.some((p) => Buffer.concat(p).equals(b))), 'byte for byte')
  for (const s of streams) s.end()
  await closeServer(server)
})

test('TCP, a writer far ahead of a paused reader: wire buffers in the socket queue are not recycled early', async (t) => {
  const server = createServer({ keyPair: serverKeys, appKey })
  const accepted = once(server, 'connection') as Promise<[ServerStream]>
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const [stream] = await accepted
  stream.pause()
  const payload = writes(16 * 1024 * 1024)
  for (const w of payload) client.write(w) // ignores write()'s return: the socket queues
  client.end()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const got = hold(stream)
  stream.resume()
  t.ok(Buffer.concat(await got).equals(Buffer.concat(payload)), '16 MiB arrive intact')
  stream.end()
  await closeServer(server)
})
