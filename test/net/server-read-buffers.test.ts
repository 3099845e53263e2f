/**
 * createServer reads each accepted socket into buffers the library owns, as connect() does for
 * its own socket (SecretStream's `ownReadBuffers`, lib/platform/transport-node.ts): the bytes
 * arrive intact, the socket is the one Node accepted (connection accounting, diagnostics
 * channels and sockets handed over by hand all see it), and where the switch cannot be made, or
 * with `ownReadBuffers: false`, Node's own buffers serve as before.
 */
import test from 'tape'
import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import diagnostics from 'node:diagnostics_channel'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer, type SecretServer, type ServerOptions, type ServerStream } from '../../lib/net/index.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { closeServer, listenLocal, readAll } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
/** ReadArena's slab size: a chunk opened in place in our own read buffer is a view of one. */
const SLAB_BYTES = 1024 * 1024

const connections = (server: net.Server): Promise<number> =>
  new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))))

/** An echo server from createServer that counts the bytes it handed out from our 1 MiB read slabs. */
function countingEchoServer(options: ServerOptions): { server: SecretServer, inReadSlabs: () => number } {
  let inReadSlabs = 0
  const server = createServer(options, (stream) => {
    stream.on('data', (chunk: Buffer) => { if (chunk.buffer.byteLength === SLAB_BYTES) inReadSlabs += chunk.length })
    stream.pipe(stream)
  })
  return { server, inReadSlabs: () => inReadSlabs }
}

/** Sends 300,000 random bytes and the goodbye; true when exactly they come back. */
async function echoes(client: NodeJS.EventEmitter & { end(data: Buffer): unknown }): Promise<boolean> {
  const payload = randomBytes(300_000)
  const echoed = readAll(client)
  client.end(payload)
  return (await echoed).equals(payload)
}

test('server-read-buffers: a createServer stream reads into our own buffers, and 4 MiB arrive intact', async (t) => {
  const serverKeys = generateKeyPair()
  let inReadSlabs = 0
  let received: Promise<string> | null = null
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
    const hash = createHash('sha256')
    received = new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (chunk.buffer.byteLength === SLAB_BYTES) inReadSlabs += chunk.length
        hash.update(chunk)
      })
      stream.on('end', () => {
        stream.end()
        resolve(hash.digest('hex'))
      })
    })
  })
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const data = randomBytes(4 * 1024 * 1024)
  // Uneven writes, so frames straddle reads.
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 20000))
    if (!client.write(data.subarray(at, at + n))) await once(client, 'drain')
    at += n
  }
  client.end()
  client.resume()
  await once(client, 'close')
  t.equal(await received, createHash('sha256').update(data).digest('hex'), 'the server received every byte in order')
  // Frames that straddle two reads are gathered elsewhere (a 64 KiB slab), the rest opened in place.
  t.ok(inReadSlabs > data.length / 2, `most bytes were opened in place in our 1 MiB read slabs (${inReadSlabs} of ${data.length}; Node's own reads are 64 KiB buffers)`)
  await closeServer(server)
})

test('server-read-buffers: getConnections, maxConnections and close() are unchanged', async (t) => {
  const serverKeys = generateKeyPair()
  const open: ServerStream[] = []
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
    open.push(stream)
    stream.on('end', () => stream.end())
    stream.resume()
  })
  server.maxConnections = 1
  const port = await listenLocal(server)
  const first = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  t.equal(await connections(server), 1, 'one connection counted while it is open')

  // Over maxConnections: net.Server drops the socket before any handshake ('drop').
  const dropped = once(server, 'drop')
  const second = net.connect({ host: '127.0.0.1', port })
  second.on('error', () => {})
  await dropped
  second.destroy()
  t.pass('a second connection is dropped while the first counts against maxConnections')

  let closed = false
  const serverClosed = closeServer(server).then(() => { closed = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.notOk(closed, 'close() waits for the open connection')
  first.end()
  first.resume()
  await once(first, 'close')
  await serverClosed
  t.ok(closed, 'close() completes once that connection has ended')
  t.equal(await connections(server), 0, 'no connection counted afterwards')
  t.equal(open.length, 1, 'exactly one stream was handed out')
})

test('server-read-buffers: a socket handed over by hand is used as it is, and reads into our buffers too', async (t) => {
  const serverKeys = generateKeyPair()
  let seen: ServerStream | null = null
  const { server, inReadSlabs } = countingEchoServer({ keyPair: serverKeys, appKey })
  server.on('connection', (stream: ServerStream) => { seen = stream })
  // A plain net.Server accepts; its socket goes to the secret server by hand.
  let handed: net.Socket | null = null
  const plain = net.createServer({ allowHalfOpen: true }, (socket) => {
    handed = socket
    server.emit('connection', socket)
  })
  const port = await listenLocal(plain)
  const client = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  t.ok(await echoes(client), 'the handshake and the echo ran over the handed socket')
  t.equal((seen as ServerStream | null)?.rawStream, handed, 'the stream sits on that very socket')
  t.ok(inReadSlabs() > 0, `it read into our slabs (${inReadSlabs()} bytes)`)
  await closeServer(plain)
})

test('server-read-buffers: a net.server.socket diagnostics subscriber sees the socket the stream uses', async (t) => {
  const serverKeys = generateKeyPair()
  const announced: net.Socket[] = []
  const onSocket = (message: unknown): void => { announced.push((message as { socket: net.Socket }).socket) }
  diagnostics.subscribe('net.server.socket', onSocket)
  let seen: ServerStream | null = null
  const { server } = countingEchoServer({ keyPair: serverKeys, appKey })
  server.on('connection', (stream: ServerStream) => { seen = stream })
  try {
    const port = await listenLocal(server)
    const client = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
    t.ok(await echoes(client), 'the echo came back intact')
    t.ok(seen !== null && announced.includes((seen as ServerStream).rawStream as net.Socket), 'the announced socket is the stream\'s transport')
  } finally {
    diagnostics.unsubscribe('net.server.socket', onSocket)
    await closeServer(server)
  }
})

test('server-read-buffers: where the switch cannot be made, the accepted socket keeps Node\'s buffers and works as before', async (t) => {
  const serverKeys = generateKeyPair()
  // Hide the handle method the switch needs, as a Node without it would: TCP handles' own prototype.
  const probeServer = net.createServer((s) => s.destroy())
  const probePort = await listenLocal(probeServer)
  const probe = net.connect({ host: '127.0.0.1', port: probePort })
  await once(probe, 'connect')
  const handleProto = Object.getPrototypeOf((probe as unknown as { _handle: object })._handle) as object
  probe.destroy()
  await closeServer(probeServer)
  const original = Object.getOwnPropertyDescriptor(handleProto, 'useUserBuffer')
  Object.defineProperty(handleProto, 'useUserBuffer', { configurable: true, writable: true, value: undefined })
  try {
    const { server, inReadSlabs } = countingEchoServer({ keyPair: serverKeys, appKey })
    const port = await listenLocal(server)
    // Not connect(): it reads its own socket through the same handle method.
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    const client = new SecretStream(socket, { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
    t.ok(await echoes(client), 'the echo came back intact')
    t.equal(inReadSlabs(), 0, 'and the server read it from Node\'s own buffers')
    await closeServer(server)
  } finally {
    if (original) Object.defineProperty(handleProto, 'useUserBuffer', original)
    else delete (handleProto as { useUserBuffer?: unknown }).useUserBuffer
  }
})

test('server-read-buffers: ownReadBuffers: false keeps Node\'s read buffers', async (t) => {
  const serverKeys = generateKeyPair()
  t.throws(() => createServer({ keyPair: serverKeys, appKey, ownReadBuffers: 'yes' as unknown as boolean }), /ownReadBuffers must be true or false/, 'a non-boolean is refused when the server is made')
  const { server, inReadSlabs } = countingEchoServer({ keyPair: serverKeys, appKey, ownReadBuffers: false })
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  t.ok(await echoes(client), 'the echo came back intact')
  t.equal(inReadSlabs(), 0, 'the server read from Node\'s own buffers')
  await closeServer(server)
})
