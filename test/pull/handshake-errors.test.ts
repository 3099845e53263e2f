/**
 * What goes wrong, and how it is reported: authorize decisions, wrong app key, wrong server key,
 * tampered and truncated handshake messages, timeouts, and low-order points. Every failure is a
 * SecretChannelError with the right code, on that connection only.
 */
import test from 'tape'
import { createHmac } from 'node:crypto'
import * as ours from '../../lib/streams/pull.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { generateKeyPair } from '../../lib/keys.js'
import { bufferKeys, freshPeers } from './interop.js'
import { connectPair, deferred, failure, payload, pull, refShs, type AuthCb, type Authorize, type End, type PlainStream, type ShsApi, type Source, type SourceCallback } from './helpers.js'

const OURS = ours as unknown as ShsApi
const REF = refShs as ShsApi

/** Runs a handshake with a fault-injecting through on the client → server or server → client path. */
function faulty(
  clientLib: ShsApi,
  serverLib: ShsApi,
  peers = freshPeers(),
  opts: { up?: (read: Source<Buffer>) => Source<Buffer>; down?: (read: Source<Buffer>) => Source<Buffer>; authorize?: Authorize; dial?: Buffer; serverAppKey?: Buffer; serverTimeout?: number } = {}
): { client: Promise<PlainStream>; server: Promise<PlainStream> } {
  const c = deferred<PlainStream>()
  const s = deferred<PlainStream>()
  const authorize = opts.authorize ?? ((_p: Buffer, cb: AuthCb) => cb(null, true))
  const cs = clientLib.createClient(peers.client, peers.appKey)(opts.dial ?? peers.server.publicKey, c.cb)
  const ss = serverLib.createServer(peers.server, authorize, opts.serverAppKey ?? peers.appKey, opts.serverTimeout)(s.cb)
  const id = (read: Source<Buffer>): Source<Buffer> => read
  pull(cs.source, (opts.up ?? id), ss.sink)
  pull(ss.source, (opts.down ?? id), cs.sink)
  return { client: c.promise, server: s.promise }
}

/** A through that flips one bit at absolute byte `offset` of the stream. */
function flipAt(offset: number, bit = 1): (read: Source<Buffer>) => Source<Buffer> {
  let seen = 0
  return (read: Source<Buffer>) => (abort: End, cb: SourceCallback<Buffer>) =>
    read(abort, (end: End, data?: Buffer) => {
      if (data === undefined) return cb(end)
      if (end) return cb(end)
      if (offset >= seen && offset < seen + data.length) {
        data = Buffer.from(data)
        data[offset - seen]! ^= bit
      }
      seen += data.length
      cb(null, data)
    })
}

test('authorize: refuse by falsy value, by cb(), by error; accept sync, async and by promise', async (t) => {
  for (const [name, authorize] of [
    ['cb(null, false)', (_p: Buffer, cb: AuthCb) => cb(null, false)],
    ['cb()', (_p: Buffer, cb: AuthCb) => cb()],
    ['cb(err)', (_p: Buffer, cb: AuthCb) => cb(new Error('db down'))],
    ['throws', () => { throw new Error('bug') }],
    ['promise of false', async (_p: Buffer) => false]
  ] as const) {
    for (const clientLib of [OURS, REF]) {
      const { client, server } = faulty(clientLib, OURS, freshPeers(), { authorize })
      const [ce, se] = await Promise.all([failure(client), failure(server)])
      t.ok(isSecretChannelError(se, 'ERR_UNAUTHORIZED'), `${name}: our server refuses with ERR_UNAUTHORIZED (${clientLib === OURS ? 'our' : 'reference'} client)`)
      if (name === 'cb(err)') t.equal(se?.cause?.message, 'db down', 'the authorize error is the cause')
      if (clientLib === OURS) t.ok(isSecretChannelError(ce, 'ERR_UNAUTHORIZED'), `${name}: our client sees ERR_UNAUTHORIZED`)
      else t.ok(ce instanceof Error, `${name}: the reference client fails too`)
    }
  }
  const refused = faulty(OURS, REF, freshPeers(), { authorize: (_p: Buffer, cb: AuthCb) => cb(null, false) })
  t.ok(isSecretChannelError(await failure(refused.client), 'ERR_UNAUTHORIZED'), 'refused by the reference server: ERR_UNAUTHORIZED')
  await failure(refused.server)

  const peers = freshPeers()
  const seen: Buffer[] = []
  const auth = { name: 'alice' }
  const slow = faulty(REF, OURS, peers, { authorize: (p: Buffer, cb: AuthCb) => { seen.push(p); setTimeout(() => cb(null, auth), 20) } })
  const [, s1] = await Promise.all([slow.client, slow.server])
  t.ok(seen[0]?.equals(peers.client.publicKey), 'authorize is given the proven client key')
  t.equal(s1.auth, auth, 'async cb: the value is stream.auth')
  const promised = faulty(OURS, OURS, freshPeers(), { authorize: async (_p: Buffer) => 'ok' })
  const [c2, s2] = await Promise.all([promised.client, promised.server])
  t.equal(s2.auth, 'ok', 'a one-argument async authorize accepts by its value')
  t.equal(c2.auth, undefined, 'the client has no auth')
})

test('wrong app key: ERR_WRONG_APP_KEY on the side that can tell, a typed error on the other', async (t) => {
  for (const [clientLib, serverLib, label] of [[OURS, REF, 'ours → ref'], [REF, OURS, 'ref → ours'], [OURS, OURS, 'ours → ours']] as const) {
    const { client, server } = faulty(clientLib, serverLib, freshPeers(), { serverAppKey: payload(32) })
    const [ce, se] = await Promise.all([failure(client), failure(server)])
    if (clientLib === OURS) t.ok(isSecretChannelError(ce, 'ERR_WRONG_APP_KEY'), `${label}: client ERR_WRONG_APP_KEY (${ce?.message})`)
    else t.ok(ce instanceof Error, `${label}: reference client fails`)
    if (serverLib === OURS) t.ok(isSecretChannelError(se, 'ERR_WRONG_APP_KEY'), `${label}: server ERR_WRONG_APP_KEY`)
    else t.ok(se instanceof Error, `${label}: reference server fails`)
  }
})

test('wrong server key: the server cannot open msg3 (ERR_SERVER_KEY_MISMATCH); a forged msg4 too', async (t) => {
  const dial = bufferKeys().publicKey
  for (const clientLib of [OURS, REF]) {
    const { client, server } = faulty(clientLib, OURS, freshPeers(), { dial })
    const [ce, se] = await Promise.all([failure(client), failure(server)])
    t.ok(isSecretChannelError(se, 'ERR_SERVER_KEY_MISMATCH'), `our server: ERR_SERVER_KEY_MISMATCH (${clientLib === OURS ? 'our' : 'reference'} client)`)
    if (clientLib === OURS) t.ok(isSecretChannelError(ce, 'ERR_UNAUTHORIZED'), 'our client: hung up on, which SHS1 reports as ERR_UNAUTHORIZED')
    else t.ok(ce instanceof Error, 'the reference client fails')
  }
  const viaRef = faulty(OURS, REF, freshPeers(), { dial })
  t.ok(isSecretChannelError(await failure(viaRef.client), 'ERR_UNAUTHORIZED'), 'dialing the reference server with a wrong key: ERR_UNAUTHORIZED')
  await failure(viaRef.server)
  // msg4 starts at byte 64 of the server → client direction.
  const forged = faulty(OURS, REF, freshPeers(), { down: flipAt(64 + 40) })
  t.ok(isSecretChannelError(await failure(forged.client), 'ERR_SERVER_KEY_MISMATCH'), 'a msg4 that does not verify: ERR_SERVER_KEY_MISMATCH')
  await failure(forged.server)
})

test('a flipped bit in any handshake byte fails both ends with typed errors, no process crash', async (t) => {
  const expected: Record<string, string> = { msg1: 'ERR_WRONG_APP_KEY', msg2: 'ERR_WRONG_APP_KEY', msg3: 'ERR_SERVER_KEY_MISMATCH', msg4: 'ERR_SERVER_KEY_MISMATCH' }
  const problems: string[] = []
  const cases: Array<[string, 'up' | 'down', number]> = []
  for (let i = 0; i < 64; i++) cases.push(['msg1', 'up', i], ['msg2', 'down', i])
  for (let i = 0; i < 112; i++) cases.push(['msg3', 'up', 64 + i])
  for (let i = 0; i < 80; i++) cases.push(['msg4', 'down', 64 + i])
  const peers = freshPeers()
  for (const [msg, dir, at] of cases) {
    const { client, server } = faulty(OURS, OURS, peers, { [dir]: flipAt(at, 1 << (at % 8)) })
    const [ce, se] = await Promise.all([failure(client), failure(server)])
    // msg4 is the server's last word: the server has already succeeded when the client detects it.
    if (!isSecretChannelError(ce) || (msg !== 'msg4' && !isSecretChannelError(se))) problems.push(`${msg}@${at}: untyped or no error`)
    const detector = msg === 'msg1' || msg === 'msg3' ? se : ce
    if (detector?.code !== expected[msg]) problems.push(`${msg}@${at}: ${detector?.code}`)
    // A bit in the signature part of msg3 that still opens cannot happen: the box covers it.
  }
  t.deepEqual(problems, [], `all ${cases.length} single-bit faults detected with the expected code`)
})

test('a transport that ends mid-handshake is ERR_TRUNCATED (or the hang-up code at a message boundary)', async (t) => {
  const peers = freshPeers()
  const problems: string[] = []
  // Server side: the client sends k bytes of msg1 and ends.
  const msg1 = await captureClientHello(peers)
  for (let k = 0; k < 64; k++) {
    const s = deferred<PlainStream>()
    const shake = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
    pull(pull.values(k ? [msg1.subarray(0, k)] : []), shake.sink)
    pull(shake.source, pull.collect(() => {}))
    const err = await failure(s.promise)
    if (!isSecretChannelError(err, 'ERR_TRUNCATED')) problems.push(`server, ${k} bytes: ${err?.code}`)
  }
  // Client side: the server answers k bytes of a real msg2 and ends.
  const msg2 = await captureServerHello(peers)
  for (let k = 0; k < 64; k++) {
    const c = deferred<PlainStream>()
    const shake = ours.createClient(peers.client, peers.appKey)(peers.server.publicKey, c.cb)
    pull(pull.values(k ? [msg2.subarray(0, k)] : []), shake.sink)
    pull(shake.source, pull.collect(() => {}))
    const err = await failure(c.promise)
    const want = k === 0 ? 'ERR_WRONG_APP_KEY' : 'ERR_TRUNCATED'
    if (!isSecretChannelError(err, want)) problems.push(`client, ${k} bytes: ${err?.code}`)
  }
  t.deepEqual(problems, [], 'every cut reported with a typed error')
})

/** Our client's hello for `peers` (the bytes it sends first). */
async function captureClientHello(peers: ReturnType<typeof freshPeers>): Promise<Buffer> {
  const shake = ours.createClient(peers.client, peers.appKey, 50)(peers.server.publicKey, () => {})
  return new Promise((resolve) => shake.source(null, (_e: End, data?: Buffer) => { resolve(data!); shake.source(true, () => {}) }))
}

/** A real server hello for `peers` (our server's answer to our client's hello). */
async function captureServerHello(peers: ReturnType<typeof freshPeers>): Promise<Buffer> {
  const msg1 = await captureClientHello(peers)
  const shake = ours.createServer(peers.server, () => {}, peers.appKey, 50)(() => {})
  let sent = false
  // msg1, then a transport that stays open (an ended one would fail the handshake before msg2 is read).
  shake.sink((abort: End, cb: SourceCallback<Buffer>) => { if (abort) return cb(abort); if (!sent) { sent = true; cb(null, msg1) } })
  return new Promise((resolve) => shake.source(null, (_e: End, data?: Buffer) => { resolve(data!); shake.source(true, () => {}) }))
}

test('timeout: a silent peer gives ERR_HANDSHAKE_TIMEOUT after the given milliseconds', async (t) => {
  const peers = freshPeers()
  const silent = (_abort: End, cb: SourceCallback<Buffer>): void => { if (_abort) cb(_abort) } // never answers a read
  const c = deferred<PlainStream>()
  const started = Date.now()
  const cs = ours.createClient(peers.client, peers.appKey, 150)(peers.server.publicKey, c.cb)
  cs.sink(silent)
  pull(cs.source, pull.drain(() => {}, () => {}))
  const ce = await failure(c.promise)
  const took = Date.now() - started
  t.ok(isSecretChannelError(ce, 'ERR_HANDSHAKE_TIMEOUT'), `client: ${ce?.message}`)
  t.ok(took >= 140 && took < 1000, `after about 150 ms (${took} ms)`)
  const s = deferred<PlainStream>()
  const ss = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey, 100)(s.cb)
  ss.sink(silent)
  t.ok(isSecretChannelError(await failure(s.promise), 'ERR_HANDSHAKE_TIMEOUT'), 'server: ERR_HANDSHAKE_TIMEOUT')
  // An authorize that never answers is also bounded by the deadline.
  const hang = faulty(OURS, OURS, freshPeers(), { authorize: (_p: Buffer, _cb: AuthCb) => {}, serverTimeout: 200 })
  const [hangServer, hangClient] = await Promise.all([failure(hang.server), failure(hang.client)])
  t.ok(isSecretChannelError(hangServer, 'ERR_HANDSHAKE_TIMEOUT'), `an authorize that never answers times out (${hangServer?.message})`)
  t.ok(isSecretChannelError(hangClient, 'ERR_UNAUTHORIZED'), 'and the client is hung up on before the server proves itself')
})

/** Low-order X25519 points: 0, 1, the two points of order 8, and p-1 (order 2). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map((h) => Buffer.from(h, 'hex'))

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha512', key).update(data).digest().subarray(0, 32)

test('a hello with a low-order ephemeral key and a valid HMAC: ERR_PROTOCOL on that stream only', async (t) => {
  // (Never sent to the reference: its process dies on this.)
  const peers = freshPeers()
  for (const point of LOW_ORDER) {
    const hello = Buffer.concat([hmac(peers.appKey, point), point])
    const s = deferred<PlainStream>()
    const shake = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
    const sent: Buffer[] = []
    let sourceEnd: End = null
    pull(pull.values([hello]), shake.sink)
    pull(shake.source, pull.drain((b: Buffer) => sent.push(b), (e: End) => { sourceEnd = e }))
    const err = await failure(s.promise)
    t.ok(isSecretChannelError(err, 'ERR_PROTOCOL'), `server, ${point.toString('hex').slice(0, 8)}…: ${err?.message}`)
    t.equal(sent.length, 0, 'the server sends nothing back')
    t.ok(isSecretChannelError(sourceEnd, 'ERR_PROTOCOL'), 'its ciphertext source ends with the same error')
  }
  // The same from the server side: a low-order server ephemeral in msg2.
  for (const point of LOW_ORDER) {
    const c = deferred<PlainStream>()
    const shake = ours.createClient(peers.client, peers.appKey)(peers.server.publicKey, c.cb)
    pull(pull.values([Buffer.concat([hmac(peers.appKey, point), point])]), shake.sink)
    pull(shake.source, pull.drain(() => {}, () => {}))
    t.ok(isSecretChannelError(await failure(c.promise), 'ERR_PROTOCOL'), `client refuses a low-order server ephemeral ${point.toString('hex').slice(0, 8)}…`)
  }
  // And the process is still fine: a normal connection right after works.
  const { client, server, close } = await connectPair(OURS, REF, 'memory', freshPeers())
  t.ok(client.remote && server.remote, 'a normal connection still works afterwards')
  await close()
})

test('a server key that is not a valid point fails through the callback, not by a crash', async (t) => {
  const peers = freshPeers()
  const c = deferred<PlainStream>()
  const shake = ours.createClient(peers.client, peers.appKey)(LOW_ORDER[1]!, c.cb)
  pull(pull.values([]), shake.sink)
  pull(shake.source, pull.drain(() => t.fail('nothing may be sent'), () => {}))
  t.ok(isSecretChannelError(await failure(c.promise), 'ERR_INVALID_ARGUMENT'), 'ERR_INVALID_ARGUMENT via cb')
  t.throws(() => ours.createClient(peers.client, peers.appKey)(Buffer.alloc(31), () => {}), /32-byte server public key/, 'a short key throws at once, as the reference does')
  void generateKeyPair
})

test('msg3 with a low-order or off-curve client key (the Cremers–Jackson forgery): ERR_PROTOCOL, authorize never asked', async (t) => {
  const crypto = getCryptoBackend()
  const identity = Buffer.alloc(32)
  identity[0] = 1 // the Ed25519 identity point, of order 1
  const offCurve = Buffer.alloc(32)
  offCurve[0] = 2 // y = 2 has no x on the curve
  // With A = identity, the "signature" (R = identity, S = 0) passes a cofactorless check for any message.
  const forgedSignature = Buffer.concat([identity, Buffer.alloc(32)])
  for (const [label, clientKey] of [['low-order (identity)', identity], ['not on the curve', offCurve]] as const) {
    const peers = freshPeers()
    let asked = false
    const s = deferred<PlainStream>()
    const shake = ours.createServer(peers.server, (_p: Buffer, cb: AuthCb) => { asked = true; cb(null, true) }, peers.appKey)(s.cb)
    const sent: Buffer[] = []
    shake.source(null, function next(end: End, data?: Buffer): void {
      if (end) return
      sent.push(data!)
      shake.source(null, next)
    })
    // A hand-made client: hello, then a msg3 boxed with the right key3 around the forged H.
    const a = payload(32)
    const ap = crypto.scalarMultBase(a)
    const inbox: Buffer[] = [Buffer.concat([crypto.auth(ap, peers.appKey), ap])]
    let waiting: ((b: Buffer) => void) | null = null
    shake.sink((abort: End, cb: SourceCallback<Buffer>) => {
      if (abort) return cb(abort)
      if (inbox.length) return cb(null, inbox.shift())
      waiting = (b) => cb(null, b)
    })
    // A few turns of the event loop: with an asynchronous backend (WebCrypto) the answer takes several.
    for (let turn = 0; turn < 200 && (sent.length === 0 || !waiting); turn++) await new Promise((r) => setTimeout(r, 1))
    t.equal(sent.length, 1, `${label}: the server answered the hello`)
    const bp = sent[0]!.subarray(32, 64)
    const ab = crypto.scalarMult(a, bp)!
    const aB = crypto.scalarMult(a, crypto.signPublicKeyToCurve(peers.server.publicKey)!)!
    const key3 = crypto.sha256(Buffer.concat([peers.appKey, ab, aB]))
    const msg3 = Buffer.alloc(112)
    msg3.set(Buffer.concat([forgedSignature, clientKey]), 16)
    crypto.secretboxSealDetached(msg3.subarray(16), msg3.subarray(0, 16), new Uint8Array(24), key3)
    const deliver: (b: Buffer) => void = waiting!
    deliver(msg3)
    const err = await failure(s.promise)
    t.ok(isSecretChannelError(err, 'ERR_PROTOCOL'), `${label}: ${err?.message}`)
    t.notOk(asked, `${label}: authorize was never asked`)
    t.equal(sent.length, 1, `${label}: no msg4 was sent`)
  }
})
