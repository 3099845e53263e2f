/** createServer + connect carry bytes both ways over TCP and Unix sockets, and hand out only authenticated streams. */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable, Writable } from 'node:stream'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer, type ServerStream } from '../../lib/net/index.js'
import { createDuplexPair, SecretStream } from '../../lib/index.js'
import { closeServer, listenLocal, readAll } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY

test('echo over TCP: ids, auth value, bytes both ways, clean goodbyes', async (t) => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const seen: ServerStream[] = []
  const server = createServer({ keyPair: serverKeys, appKey, authorize: (key) => key.equals(clientKeys.publicKey) && { role: 'friend' } }, (stream) => {
    seen.push(stream)
    stream.pipe(stream)
  })
  const port = await listenLocal(server)
  const stream = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  t.ok(Buffer.from(stream.remotePublicKey as Uint8Array).equals(serverKeys.publicKey), 'client sees the server key')
  const payload = randomBytes(200_000)
  const echoed = readAll(stream)
  stream.write(payload)
  stream.end()
  t.ok((await echoed).equals(payload), 'the payload came back intact and the goodbye ended the stream')
  t.equal(seen.length, 1, 'one connection event')
  t.ok(Buffer.from(seen[0]!.remotePublicKey as Uint8Array).equals(clientKeys.publicKey), 'server sees the client key')
  t.deepEqual(seen[0]!.auth, { role: 'friend' }, 'the authorize value is exposed as stream.auth')
  t.equal(seen[0]!.remoteAddress, '127.0.0.1', 'the server stream reports the peer address')
  await closeServer(server)
})

test('works with stream.pipeline in both directions (8 MiB checked by hash)', async (t) => {
  const serverKeys = generateKeyPair()
  let serverDigest: Promise<string> | null = null
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
    const hash = createHash('sha256')
    serverDigest = (async () => {
      await pipeline(stream, new Writable({ write(chunk: Buffer, _enc, cb) { hash.update(chunk); cb() } }))
      const digest = hash.digest('hex')
      stream.end(Buffer.from(digest))
      return digest
    })()
  })
  const port = await listenLocal(server)
  const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const data = randomBytes(8 * 1024 * 1024)
  const answer = readAll(stream)
  // Random write sizes, including some over the 4096-byte frame limit.
  const pieces: Buffer[] = []
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 20_000))
    pieces.push(data.subarray(at, at + n))
    at += n
  }
  await pipeline(Readable.from(pieces), stream)
  const expected = createHash('sha256').update(data).digest('hex')
  t.equal((await answer).toString(), expected, 'the server hashed exactly what was sent')
  t.equal(await serverDigest, expected)
  await closeServer(server)
})

test('listens on a Unix socket path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-channel-sock-'))
  const path = join(dir, 'sock')
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const stream = await connect({ path, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const echoed = readAll(stream)
  stream.end(Buffer.from('over a unix socket'))
  t.equal((await echoed).toString(), 'over a unix socket')
  await closeServer(server)
  rmSync(dir, { recursive: true, force: true })
})

test('server.emit("connection", duplex) runs the handshake over any transport', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const [a, b] = createDuplexPair()
  server.emit('connection', b)
  const client = new SecretStream(a, { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const echoed = readAll(client)
  client.end(Buffer.from('in memory'))
  t.equal((await echoed).toString(), 'in memory')
  server.close()
})
