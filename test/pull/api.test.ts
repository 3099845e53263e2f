/**
 * The drop-in's shape: the same exports, call forms and stream object as secret-handshake@1.1.21
 * and pull-box-stream@1.0.13, reachable as `secret-channel/pull`.
 */
import test from 'tape'
import * as ours from '../../lib/streams/pull.js'
import { generateKeyPair } from '../../lib/keys.js'
import { freshPeers } from './interop.js'
import { connectPair, deferred, payload, pull, refBox, refShs, sendAndReceive, sha256, type AuthCb, type End, type PlainStream, type ShsApi, type SourceCallback } from './helpers.js'

const OURS = ours as unknown as ShsApi
const REF = refShs as ShsApi

test('the package subpath secret-channel/pull exports the reference names', async (t) => {
  // A computed specifier so tsc does not need dist/ to exist when it compiles this file.
  const specifier = ['secret-channel', 'pull'].join('/')
  const viaPackage = await import(specifier)
  t.equal(viaPackage.createClient, ours.createClient, 'secret-channel/pull resolves to this module')
  for (const name of ['createClient', 'createServer', 'client', 'server', 'toKeys']) {
    t.equal(typeof (ours as Record<string, unknown>)[name], typeof refShs[name], `secret-handshake's ${name}`)
  }
  for (const name of ['createBoxStream', 'createUnboxStream', 'createEncryptStream', 'createDecryptStream']) {
    t.equal(typeof (ours as Record<string, unknown>)[name], typeof refBox[name], `pull-box-stream's ${name}`)
  }
  t.equal(ours.client, ours.createClient, 'client is createClient')
  t.equal(ours.server, ours.createServer, 'server is createServer')
  t.equal(ours.DEFAULT_TIMEOUT_MS, 5000, 'the default handshake timeout is 5000 ms, as in the reference')
})

test('the stream object has the reference fields with the same meaning', async (t) => {
  const peers = freshPeers()
  const mine = await connectPair(OURS, OURS, 'memory', peers, (_p: Buffer, cb: AuthCb) => cb(null, { level: 1 }))
  const theirs = await connectPair(REF, REF, 'memory', peers, (_p: Buffer, cb: AuthCb) => cb(null, { level: 1 }))
  for (const side of ['client', 'server'] as const) {
    t.deepEqual(Object.keys(mine[side]).sort(), Object.keys(theirs[side]).sort(), `${side}: same keys as the reference`)
    t.deepEqual(Object.keys(mine[side].crypto).sort(), Object.keys(theirs[side].crypto).sort(), `${side}: same crypto keys`)
    t.ok(Buffer.isBuffer(mine[side].remote) && mine[side].remote.length === 32, `${side}: remote is a 32-byte Buffer`)
    const c = mine[side].crypto
    t.deepEqual([c.encryptKey.length, c.decryptKey.length, c.encryptNonce.length, c.decryptNonce.length], [32, 32, 24, 24], `${side}: key and nonce sizes`)
  }
  t.deepEqual(mine.server.auth, { level: 1 }, 'server: auth is what authorize gave')
  t.equal(mine.client.auth, undefined, 'client: auth is undefined, as in the reference')
  t.ok(mine.client.crypto.decryptKey.equals(mine.server.crypto.encryptKey), 'server → client keys pair up')
  t.ok(mine.client.crypto.decryptNonce.equals(mine.server.crypto.encryptNonce), 'server → client nonces pair up')
  const hi = await Promise.all([sendAndReceive(mine.client, Buffer.from('ping'), 1), sendAndReceive(mine.server, Buffer.from('pong'), 2)])
  t.deepEqual(hi.map((r) => r.hash), [sha256(Buffer.from('pong')), sha256(Buffer.from('ping'))], 'plaintext flows both ways')
  await Promise.all([sendAndReceive(theirs.client, Buffer.alloc(0), 1), sendAndReceive(theirs.server, Buffer.alloc(0), 1)])
})

test('seed: the client key pair comes from the seed (keys may be null), with either server', async (t) => {
  const seed = payload(32)
  const expected = generateKeyPair(seed).publicKey
  for (const [label, serverLib] of [['our server', OURS], ['reference server', REF]] as const) {
    const peers = freshPeers()
    const c = deferred<PlainStream>()
    const s = deferred<PlainStream>()
    const cs = ours.createClient(null, peers.appKey)(peers.server.publicKey, seed, c.cb)
    const ss = serverLib.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
    pull(cs, ss, cs)
    const [, server] = await Promise.all([c.promise, s.promise])
    t.ok(Buffer.from(expected).equals(server.remote), `${label} sees the seed's public key`)
  }
  const peers = freshPeers()
  const c = deferred<PlainStream>()
  const s = deferred<PlainStream>()
  const cs = refShs.createClient(null, peers.appKey)(peers.server.publicKey, seed, c.cb)
  const ss = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
  pull(cs, ss, cs)
  const [, server] = await Promise.all([c.promise, s.promise])
  t.ok(Buffer.from(expected).equals(server.remote), 'the reference client with a seed reaches our server as the same key')
})

test('app key as base64 text, keys as a 32-byte seed; bad arguments throw at once', async (t) => {
  const peers = freshPeers()
  const serverSeed = payload(32)
  const serverKeys = ours.toKeys(serverSeed)
  const c = deferred<PlainStream>()
  const s = deferred<PlainStream>()
  const cs = ours.createClient(peers.client, peers.appKey.toString('base64'))(Buffer.from(serverKeys.publicKey), c.cb)
  const ss = ours.createServer(serverSeed, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey.toString('base64'))(s.cb)
  pull(cs, ss, cs)
  await Promise.all([c.promise, s.promise])
  t.pass('base64 app key and seed keys connect')
  t.throws(() => ours.createClient(peers.client, payload(31)), /appKey/, 'a 31-byte app key throws')
  t.throws(() => ours.createServer(peers.server, 'nope' as unknown as ours.PullAuthorize /* not a function, on purpose */, peers.appKey), /authorize/, 'authorize must be a function')
  t.throws(() => ours.createClient(null, peers.appKey)(peers.server.publicKey, () => {}), /seed/, 'no keys and no seed throws')
  t.throws(() => ours.createClient({ publicKey: payload(32), secretKey: payload(64) }, peers.appKey), /secretKey/, 'mismatched key halves throw')
  t.throws(() => (ours.createClient(peers.client, peers.appKey) as unknown as (pub: Buffer) => void)(peers.server.publicKey), /callback/, 'a missing callback throws')
})

test('backpressure: plaintext is pulled from the application only as the transport reads', async (t) => {
  const peers = freshPeers()
  const c = deferred<PlainStream>()
  const cs = ours.createClient(peers.client, peers.appKey)(peers.server.publicKey, c.cb)
  const s = deferred<PlainStream>()
  const ss = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
  // Client → server is wired normally; server → client too, but the client's outgoing
  // ciphertext is read by hand so we can count.
  pull(ss.source, cs.sink)
  const up: Buffer[] = []
  const readUp = (): Promise<Buffer | null> => new Promise((resolve) => cs.source(null, (end: End, data?: Buffer) => resolve(end ? null : data!)))
  const feed = async (): Promise<void> => {
    // Deliver the client's handshake messages (msg1, msg3) to the server as it asks.
    const pending: Buffer[] = []
    let waiting: ((b: Buffer) => void) | null = null
    ss.sink((abort: End, cb: SourceCallback<Buffer>) => {
      if (abort) return cb(abort)
      if (pending.length) return cb(null, pending.shift())
      waiting = (b) => cb(null, b)
    })
    for (let i = 0; i < 2; i++) {
      const b = (await readUp())!
      if (waiting) { const w: (b: Buffer) => void = waiting; waiting = null; w(b) } else pending.push(b)
    }
  }
  await feed()
  const client = await c.promise
  let pulled = 0
  client.sink((abort: End, cb: SourceCallback<Buffer>) => {
    if (abort) return cb(abort)
    pulled++
    cb(null, Buffer.alloc(100, pulled))
  })
  await new Promise((r) => setTimeout(r, 20))
  t.equal(pulled, 0, 'nothing is pulled before the transport reads')
  for (let i = 0; i < 3; i++) up.push((await readUp())!)
  t.equal(pulled, 3, 'three transport reads pull three application chunks')
  t.deepEqual(up.map((b) => b.length), [134, 134, 134], 'each becomes one 134-byte frame')
  cs.source(true, () => {})
  void s
})
