/** The three phases over a clean simulated network, for every combination of known keys. */
import test from 'tape'
import { Simulation, makePair, saw, errorOf, testKeys } from './helpers.js'
import { NoticePeer, displayFingerprint } from '../../lib/protocols/notice/index.js'

for (const [aKnowsB, bKnowsA] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  test(`agreement converges: initiator knows responder=${aKnowsB}, responder knows initiator=${bKnowsA}`, (t) => {
    const { a, b, keys } = makePair({ aKnowsB, bKnowsA })
    const sim = new Simulation(a, b).start()
    t.ok(sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure')), 'both sides reach secure')
    t.equal(errorOf(sim.a), null, 'no error at the initiator')
    t.equal(errorOf(sim.b), null, 'no error at the responder')
    const sa = sim.a.events.find((e) => e.type === 'secure')!
    const sb = sim.b.events.find((e) => e.type === 'secure')!
    if (sa.type !== 'secure' || sb.type !== 'secure') return t.end()
    t.deepEqual(Buffer.from(sa.remotePublicKey), Buffer.from(keys.b.publicKey), 'initiator holds the responder key')
    t.deepEqual(Buffer.from(sb.remotePublicKey), Buffer.from(keys.a.publicKey), 'responder holds the initiator key')
    t.equal(sa.learned, !aKnowsB, 'initiator learned the key only when it lacked it')
    t.equal(sb.learned, !bKnowsA, 'responder learned the key only when it lacked it')
    t.equal(sa.fingerprint, displayFingerprint(keys.b.publicKey), 'initiator shows the responder fingerprint')
    t.deepEqual(Buffer.from(sa.sessionId), Buffer.from(sb.sessionId), 'same session id')
    t.equal(saw(sim.a, 'peer-key'), !aKnowsB, 'peer-key event only when learned')
    // Box-stream after the switch, both ways.
    sim.apply(sim.a, a.write(Buffer.from('hello bob'), sim.now))
    sim.apply(sim.b, b.write(Buffer.from('hello alice'), sim.now))
    sim.run(() => sim.a.data.length > 0 && sim.b.data.length > 0)
    t.equal(Buffer.concat(sim.b.data).toString(), 'hello bob', 'responder reads initiator data')
    t.equal(Buffer.concat(sim.a.data).toString(), 'hello alice', 'initiator reads responder data')
    sim.apply(sim.a, a.end(sim.now))
    sim.apply(sim.b, b.end(sim.now))
    t.ok(sim.run(() => saw(sim.a, 'close') && saw(sim.b, 'close')), 'both close after goodbyes')
    t.equal(a.stage, 'closed')
    t.end()
  })
}

test('misconfiguration fails cleanly: two initiators; different notice limits', (t) => {
  const a = new NoticePeer({ role: 'initiator', keyPair: testKeys(1) })
  const b = new NoticePeer({ role: 'initiator', keyPair: testKeys(2) })
  const sim = new Simulation(a, b).start()
  sim.run(() => a.stage === 'failed' && b.stage === 'failed')
  t.equal(errorOf(sim.a)?.code, 'ERR_PROTOCOL', `two initiators: ${errorOf(sim.a)?.message}`)

  const c = new NoticePeer({ role: 'initiator', keyPair: testKeys(1), maxNoticeBytes: 200 })
  const d = new NoticePeer({ role: 'responder', keyPair: testKeys(2), maxNoticeBytes: 48 })
  const sim2 = new Simulation(c, d).start()
  sim2.run(() => c.stage === 'failed' && d.stage === 'failed')
  t.ok(/exceeds the 48-byte limit/.test(errorOf(sim2.b)?.message ?? ''), `different limits: ${errorOf(sim2.b)?.message}`)
  t.end()
})
