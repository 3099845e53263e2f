/** fromWebStreams: a secret channel over WHATWG stream pairs, in memory and over a real TCP socket (Duplex.toWeb). */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { Duplex } from 'node:stream'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createServer } from '../../lib/net/index.js'
import { fromWebStreams } from '../../lib/transports/web-streams.js'
import { ErrorCodes, type SecretChannelError } from '../../lib/errors.js'
import { closeServer, listenLocal, readAll } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Two web-stream pairs wired crosswise through TransformStreams. */
function webPair(): [{ readable: ReadableStream; writable: WritableStream }, { readable: ReadableStream; writable: WritableStream }] {
  const ab = new TransformStream()
  const ba = new TransformStream()
  return [{ readable: ba.readable, writable: ab.writable }, { readable: ab.readable, writable: ba.writable }]
}

test('two SecretStreams over an in-memory web-stream pair: ids, 2 MiB each way, clean ends', async (t) => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const [a, b] = webPair()
  const client = new SecretStream(fromWebStreams(a), { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(fromWebStreams(b), { isInitiator: false, keyPair: serverKeys, appKey })
  await Promise.all([client.opened, server.opened])
  t.ok(Buffer.from(server.remotePublicKey!).equals(clientKeys.publicKey), 'the server sees the client id')
  const up = randomBytes(2 * 1024 * 1024)
  const down = randomBytes(2 * 1024 * 1024 + 5)
  const atServer = readAll(server)
  const atClient = readAll(client)
  client.end(up)
  server.end(down)
  t.equal(sha(await atServer), sha(up), 'client → server intact')
  t.equal(sha(await atClient), sha(down), 'server → client intact')
})

test('a web-stream client (Duplex.toWeb on a TCP socket) talks to the TCP createServer', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const port = await listenLocal(server)
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const client = new SecretStream(fromWebStreams(Duplex.toWeb(socket)), { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const data = randomBytes(500_000)
  const echoed = readAll(client)
  client.end(data)
  t.equal(sha(await echoed), sha(data), 'echoed intact')
  await closeServer(server)
})

test('a readable that ends before the goodbye is ERR_TRUNCATED; a failing readable is ERR_TRANSPORT', async (t) => {
  const serverKeys = generateKeyPair()
  const [a, b] = webPair()
  const client = new SecretStream(fromWebStreams(a), { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(fromWebStreams(b), { isInitiator: false, keyPair: serverKeys, appKey })
  await Promise.all([client.opened, server.opened])
  const cut = new Promise<SecretChannelError>((resolve) => server.once('error', (e) => resolve(e as SecretChannelError)))
  client.on('error', () => {})
  // Close the client's writable underneath the channel: the server's readable ends without a goodbye.
  await (client.rawStream as unknown as { writer: WritableStreamDefaultWriter }).writer.close() // WebStreamDuplex's private writer
  t.equal((await cut).code, ErrorCodes.TRUNCATED, 'ERR_TRUNCATED')

  const failing = new ReadableStream({ pull(controller) { controller.error(new Error('boom')) } })
  const s = new SecretStream(fromWebStreams({ readable: failing, writable: new WritableStream() }), { isInitiator: false, keyPair: serverKeys, appKey })
  s.on('error', () => {})
  const err = await s.opened.then(() => null, (e: SecretChannelError) => e)
  t.equal(err?.code, ErrorCodes.TRANSPORT, 'ERR_TRANSPORT')
  t.equal(((err?.cause as SecretChannelError)?.cause as Error)?.message, 'boom', 'the web stream error is kept in the cause chain')
})

test('an empty chunk from the readable does not stall the duplex; empty writes are not passed on', async (t) => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]
  const readable = new ReadableStream({ pull(controller) { const c = chunks.shift(); if (c) controller.enqueue(c); else controller.close() } })
  const written: number[] = []
  const writable = new WritableStream({ write(chunk: Uint8Array) { written.push(chunk.length) } })
  const raw = fromWebStreams({ readable, writable })
  const got = await readAll(raw)
  t.deepEqual(Array.from(got), [1, 2, 3], 'every byte after the empty chunk arrived, then the end')
  raw.write(new Uint8Array(0))
  raw.write(new Uint8Array([9]))
  await new Promise<void>((resolve) => raw.end(resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.deepEqual(written, [1], 'only the non-empty write reached the writable')
})
