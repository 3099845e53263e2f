/** SecretStream: open, echo, goodbye, splitting and the typed failures, over memory and TCP. */
import test from 'tape'
import { pipeline } from 'node:stream/promises'
import { Readable, Writable } from 'node:stream'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { generateKeyPair, formatId } from '../../lib/keys.js'
import { ErrorCodes } from '../../lib/errors.js'
import { appKey, clientKeys, collect, firstError, memoryChannel, randomWrites, serverKeys, sha256, tcpChannel } from '../helpers/channel.js'

test('memory: both sides open, learn each other, and exchange data with goodbyes', async (t) => {
  const { client, server } = memoryChannel()
  let connects = 0
  client.on('connect', () => connects++)
  server.on('connect', () => connects++)
  await Promise.all([client.opened, server.opened])
  t.equal(connects, 2, "'connect' fires on both sides")
  t.equal(formatId(server.remotePublicKey!), formatId(clientKeys.publicKey), 'server learns the client key')
  t.equal(formatId(client.remotePublicKey!), formatId(serverKeys.publicKey), 'client knows the server key')
  const serverGot = collect(server)
  const clientGot = collect(client)
  client.write('hello ')
  client.write(Buffer.from('world'))
  client.end()
  t.equal((await serverGot).toString(), 'hello world', 'server receives the plaintext and a clean end')
  server.end('bye')
  t.equal((await clientGot).toString(), 'bye', 'client receives the reply and a clean end')
})

test('memory: 4095/4096/4097-byte, empty and large writes arrive intact', async (t) => {
  const { client, server } = memoryChannel()
  const writes = [Buffer.alloc(0), Buffer.alloc(4095, 1), Buffer.alloc(4096, 2), Buffer.alloc(4097, 3), Buffer.alloc(0), Buffer.alloc(300_000, 4)]
  const got = collect(server)
  for (const w of writes) client.write(w)
  client.end()
  const all = await got
  t.equal(all.length, 4095 + 4096 + 4097 + 300_000, 'every byte arrived')
  t.equal(sha256(all), sha256(Buffer.concat(writes)), 'in order')
  server.end()
})

test('memory: the transport delivering one byte at a time still works', async (t) => {
  const [a, b] = createDuplexPair()
  // Re-chunk everything a writes into single bytes before b sees it.
  a._write = (data: Buffer, cb: (err: Error | null) => void) => {
    for (let i = 0; i < data.length; i++) b.push(data.subarray(i, i + 1))
    cb(null)
  }
  const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  const got = collect(server)
  client.end(Buffer.alloc(5000, 9))
  const all = await got
  t.equal(all.length, 5000, 'all 5000 bytes, reassembled across 1-byte chunks')
  t.ok(all.every((x) => x === 9), 'content intact')
  server.end()
})

test('tcp: random write sizes up to several MiB both ways, checked by hash', async (t) => {
  const { client, server, close } = await tcpChannel()
  const up = randomWrites(3 * 1024 * 1024 + 17, 70_000)
  const down = randomWrites(1024 * 1024 + 5, 9000)
  const serverGot = collect(server)
  const clientGot = collect(client)
  for (const w of up) client.write(w)
  client.end()
  for (const w of down) server.write(w)
  server.end()
  t.equal(sha256(await serverGot), sha256(Buffer.concat(up)), 'client -> server intact')
  t.equal(sha256(await clientGot), sha256(Buffer.concat(down)), 'server -> client intact')
  await close()
})

test('tcp: works with stream.pipeline and for await', async (t) => {
  const { client, server, close } = await tcpChannel()
  const echo = (async () => {
    for await (const chunk of server) server.write(chunk)
    server.end()
  })()
  const received: Buffer[] = []
  await pipeline(Readable.from([Buffer.from('a'), Buffer.from('bc'), Buffer.from('def')]), client)
  for await (const chunk of client) received.push(chunk as Buffer)
  await echo
  t.equal(Buffer.concat(received).toString(), 'abcdef', 'echoed through pipeline + for await')
  const sink = await tcpChannel()
  const out: Buffer[] = []
  const done = pipeline(sink.server, new Writable({ write(c, _e, cb) { out.push(c); cb() } }))
  sink.client.end('piped')
  await done
  t.equal(Buffer.concat(out).toString(), 'piped', 'pipeline into a Node Writable ends cleanly on goodbye')
  sink.server.end()
  await Promise.all([close(), sink.close()])
})

test('wrong app key: both sides fail with ERR_WRONG_APP_KEY / a hang-up, nothing opens', async (t) => {
  const { client, server } = memoryChannel({ appKey: Buffer.alloc(32, 8) })
  const [ce, se] = await Promise.all([firstError(client), firstError(server)])
  t.equal(se?.code, ErrorCodes.WRONG_APP_KEY, 'server: ERR_WRONG_APP_KEY')
  t.ok(ce && ce.code, `client gets a typed error (${ce?.code})`)
  await client.opened.then(() => t.fail('must not open'), () => t.pass('opened rejects'))
})

test('wrong server key: server says ERR_SERVER_KEY_MISMATCH, client is refused', async (t) => {
  const other = generateKeyPair()
  const { client, server } = memoryChannel({ remotePublicKey: other.publicKey })
  const [ce, se] = await Promise.all([firstError(client), firstError(server)])
  t.equal(se?.code, ErrorCodes.SERVER_KEY_MISMATCH, 'server cannot open msg3')
  t.equal(ce?.code, ErrorCodes.UNAUTHORIZED, 'client sees the hang-up after its auth')
  t.match(ce?.message ?? '', /client auth|server accept/, 'message names the phase')
})

test('authorize: refusal, throw, async acceptance with a value', async (t) => {
  {
    const { client, server } = memoryChannel({}, { authorize: () => false })
    const [ce, se] = await Promise.all([firstError(client), firstError(server)])
    t.equal(se?.code, ErrorCodes.UNAUTHORIZED, 'server: ERR_UNAUTHORIZED')
    t.equal(ce?.code, ErrorCodes.UNAUTHORIZED, 'client: refused')
  }
  {
    const boom = new Error('db down')
    const { client, server } = memoryChannel({}, { authorize: () => { throw boom } })
    const [, se] = await Promise.all([firstError(client), firstError(server)])
    t.equal(se?.code, ErrorCodes.UNAUTHORIZED, 'a throwing authorize refuses')
    t.equal(se?.cause, boom, 'and keeps the cause')
  }
  {
    let seen: Buffer | null = null
    const { client, server } = memoryChannel({}, { authorize: async (key) => { seen = key; await new Promise((r) => setTimeout(r, 20)); return { name: 'alice' } } })
    await Promise.all([client.opened, server.opened])
    t.deepEqual(server.auth, { name: 'alice' }, 'auth value exposed on the stream')
    t.ok(seen && Buffer.from(seen).equals(Buffer.from(clientKeys.publicKey)), 'authorize got the client key')
    client.destroy()
    server.destroy()
  }
})

test('truncation: a transport that ends without the goodbye is ERR_TRUNCATED, never a clean end', async (t) => {
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  const err = firstError(server)
  let ended = false
  server.on('end', () => { ended = true })
  server.resume()
  client.write('partial')
  // Cut the transport under the client without a goodbye.
  setTimeout(() => client.rawStream.end(), 10)
  const e = await err
  t.equal(e?.code, ErrorCodes.TRUNCATED, 'ERR_TRUNCATED')
  t.notOk(ended, "no clean 'end'")
  client.destroy()
})

test('destroy(err) sends no goodbye; the peer sees a truncation', async (t) => {
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  server.resume()
  const err = firstError(server)
  client.on('error', () => {})
  client.destroy(new Error('local failure'))
  const e = await err
  t.equal(e?.code, ErrorCodes.TRUNCATED, 'peer: ERR_TRUNCATED')
})

test('handshake timeout and AbortSignal', async (t) => {
  const [a] = createDuplexPair()
  const started = Date.now()
  const lonely = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, handshakeTimeout: 100 })
  const e = await firstError(lonely)
  t.equal(e?.code, ErrorCodes.HANDSHAKE_TIMEOUT, 'ERR_HANDSHAKE_TIMEOUT')
  t.ok(Date.now() - started >= 95, 'after the deadline')
  const [c] = createDuplexPair()
  const ac = new AbortController()
  const aborted = new SecretStream(c, { isInitiator: false, keyPair: serverKeys, appKey, signal: ac.signal })
  const reason = new Error('shutting down')
  ac.abort(reason)
  const e2 = await firstError(aborted)
  t.equal(e2?.code, ErrorCodes.ABORTED, 'ERR_ABORTED')
  t.equal(e2?.cause, reason, 'cause is the abort reason')
})

test('bad options throw ERR_INVALID_ARGUMENT synchronously', (t) => {
  const [a] = createDuplexPair()
  const bad = (opts: SecretStreamOptions): unknown => { try { new SecretStream(a, opts); return null } catch (e) { return (e as Error & { code?: string }).code } }
  t.equal(bad({ isInitiator: true, keyPair: clientKeys, appKey }), ErrorCodes.INVALID_ARGUMENT, 'initiator without remotePublicKey')
  t.equal(bad({ isInitiator: false, keyPair: clientKeys, appKey: Buffer.alloc(31) }), ErrorCodes.INVALID_ARGUMENT, 'short app key')
  t.equal(bad({ isInitiator: false, keyPair: { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }, appKey }), ErrorCodes.INVALID_ARGUMENT, 'mismatched key pair')
  t.equal(bad({ isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: Buffer.alloc(32) }), ErrorCodes.INVALID_ARGUMENT, 'low-order server key')
  t.end()
})
