/**
 * Ephemeral keys and intermediate secrets are zeroed after success, after a failure in each phase,
 * after a refusal and after destroy(); box-stream keys are zeroed after the goodbye, a failure or
 * destroy(). Also: caller-owned buffers (Node Buffers in particular) are never mutated.
 */
import test from 'tape'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { allZero, attempt, clientAt, fixture, serverAt, type ClientStage, type ServerStage } from '../fuzz/harness.js'

const f = fixture()
const garbage = new Uint8Array(200).fill(0x5a)

/** The secrets list really holds the ephemeral secret (so "all zero" means something). */
function holdsEphemeral(secrets: readonly Uint8Array[], ephemeral: Uint8Array): boolean {
  return secrets.some((s) => Buffer.from(s).equals(Buffer.from(ephemeral)))
}

test('after a successful handshake every secret buffer of both machines is zero', (t) => {
  const c = clientAt(f, 'hello')
  const s = serverAt(f, 'await-hello')
  t.ok(holdsEphemeral(c.secretBuffersForTesting(), f.clientEphemeral), 'the client tracks its ephemeral secret')
  t.ok(holdsEphemeral(s.secretBuffersForTesting(), f.serverEphemeral), 'the server tracks its ephemeral secret')
  s.receiveHello(c.createHello())
  c.receiveHello(s.createHello())
  s.receiveAuth(c.createAuth())
  const { message } = s.createAccept()
  c.receiveAccept(message)
  const cs = c.secretBuffersForTesting()
  const ss = s.secretBuffersForTesting()
  t.ok(cs.length >= 8 && ss.length >= 8, `${cs.length} client and ${ss.length} server secrets tracked (ephemeral, ab, aB, Ab, key3, key4, inputs)`)
  t.ok(allZero(cs), 'client secrets zero')
  t.ok(allZero(ss), 'server secrets zero')
  t.end()
})

const clientFailures: Array<[ClientStage, (c: ClientHandshake) => unknown]> = [
  ['await-hello', (c) => c.receiveHello(garbage.subarray(0, 64))],
  ['await-accept', (c) => c.receiveAccept(garbage.subarray(0, 80))],
  ['auth', (c) => c.receiveAccept(garbage)], // out of turn
  ['hello', (c) => c.destroy()],
  ['auth', (c) => c.destroy()],
  ['await-accept', (c) => c.destroy()]
]

for (const [stage, fail] of clientFailures) {
  test(`client: after ${fail.toString().replace(/^\(c\) => c\./, '')} in phase ${stage}, every secret is zero`, (t) => {
    const c = clientAt(f, stage)
    t.notOk(allZero(c.secretBuffersForTesting()), 'secrets present before')
    attempt(() => fail(c))
    t.equal(c.phase, 'failed')
    t.ok(allZero(c.secretBuffersForTesting()), 'secrets zero after')
    t.end()
  })
}

const serverFailures: Array<[ServerStage, (s: ServerHandshake) => unknown]> = [
  ['await-hello', (s) => s.receiveHello(garbage.subarray(0, 64))],
  ['await-auth', (s) => s.receiveAuth(garbage.subarray(0, 112))],
  ['authorize', (s) => s.reject()],
  ['hello', (s) => s.receiveAuth(garbage)], // out of turn
  ['hello', (s) => s.destroy()],
  ['await-auth', (s) => s.destroy()],
  ['authorize', (s) => s.destroy()]
]

for (const [stage, fail] of serverFailures) {
  test(`server: after ${fail.toString().replace(/^\(s\) => s\./, '')} in phase ${stage}, every secret is zero`, (t) => {
    const s = serverAt(f, stage)
    t.notOk(allZero(s.secretBuffersForTesting()), 'secrets present before')
    attempt(() => fail(s))
    t.equal(s.phase, 'failed')
    t.ok(allZero(s.secretBuffersForTesting()), 'secrets zero after')
    t.end()
  })
}

/** The private key copy of a box-stream endpoint (tests may look inside). */
const keyOf = (x: BoxEncoder | BoxDecoder): Uint8Array => (x as unknown as { key: Uint8Array }).key

test('box-stream keys are zeroed after the goodbye, after a failure and after destroy()', (t) => {
  const { encryptKey: key, encryptNonce: nonce } = f.clientSession
  const enc = new BoxEncoder(key, nonce, f.crypto)
  const wire = Buffer.concat([enc.encode(new Uint8Array(10)), enc.goodbye()])
  t.ok(allZero([keyOf(enc)]), 'encoder key zero after goodbye')
  const dec = new BoxDecoder(key, nonce, f.crypto)
  dec.push(wire, () => {})
  t.ok(dec.ended && allZero([keyOf(dec)]), 'decoder key zero after the goodbye')
  const bad = new BoxDecoder(key, nonce, f.crypto)
  t.notOk(attempt(() => bad.push(garbage, () => {})).ok, 'garbage fails')
  t.ok(allZero([keyOf(bad)]), 'decoder key zero after a failure')
  const cut = new BoxDecoder(key, nonce, f.crypto)
  t.notOk(attempt(() => cut.end()).ok, 'end without goodbye fails')
  t.ok(allZero([keyOf(cut)]), 'decoder key zero after truncation')
  const d2 = new BoxDecoder(key, nonce, f.crypto)
  d2.destroy()
  const e2 = new BoxEncoder(key, nonce, f.crypto)
  e2.destroy()
  t.ok(allZero([keyOf(d2), keyOf(e2)]), 'both zero after destroy()')
  t.end()
})

test('regression: Node Buffers passed in are copied, never mutated or wiped (Buffer#slice is a view)', (t) => {
  const key = Buffer.from(f.clientSession.encryptKey)
  const nonce = Buffer.from(f.clientSession.encryptNonce)
  const keyBefore = Buffer.from(key)
  const nonceBefore = Buffer.from(nonce)
  const enc = new BoxEncoder(key, nonce, f.crypto)
  const dec = new BoxDecoder(key, nonce, f.crypto)
  const out: Buffer[] = []
  dec.push(Buffer.concat([enc.encode(Buffer.from('one')), enc.encode(Buffer.from('two')), enc.goodbye()]), (p) => out.push(p))
  t.equal(Buffer.concat(out).toString(), 'onetwo', 'an encoder and a decoder built from the same Buffer nonce stay in step')
  t.ok(key.equals(keyBefore), 'the caller key is not wiped by goodbye')
  t.ok(nonce.equals(nonceBefore), 'the caller nonce is not incremented')
  const eph = Buffer.from(f.clientEphemeral)
  const c = new ClientHandshake({ appKey: Buffer.from(f.appKey), keyPair: f.client, serverPublicKey: Buffer.from(f.server.publicKey), ephemeralSecretKey: eph, crypto: f.crypto })
  c.destroy()
  t.ok(eph.equals(Buffer.from(f.clientEphemeral)), 'the caller ephemeral secret is not wiped by the machine')
  t.end()
})
