/** Re-keying an open session: phase 3 alone, data keeps flowing, both directions switch to new keys. */
import test from 'tape'
import { Simulation, makePair, saw, errorOf } from './helpers.js'
import { NoticePeer } from '../../lib/protocols/notice/index.js'
import { isSecretChannelError } from '../../lib/errors.js'

function openSession(net = {}): { sim: Simulation; a: NoticePeer; b: NoticePeer } {
  const { a, b } = makePair({ timeoutMs: 120_000, maxRetransmits: 20 })
  const sim = new Simulation(a, b, net).start()
  sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure'))
  return { sim, a, b }
}

/** The box-stream key our side currently sends with (a private field, read for the test). */
function sendKey(peer: NoticePeer): string {
  return Buffer.from((peer as unknown as { encoder: { key: Uint8Array } }).encoder.key).toString('hex')
}

test('re-key while data flows: data before, during and after arrives in order under new keys', (t) => {
  const { sim, a, b } = openSession()
  const oldSid = Buffer.from(a.sessionId!)
  const oldKeyA = sendKey(a)
  const oldKeyB = sendKey(b)
  sim.apply(sim.a, a.write(Buffer.from('before '), sim.now))
  sim.apply(sim.a, a.rekey(sim.now))
  t.ok(a.rekeying, 'a is re-keying')
  sim.apply(sim.a, a.write(Buffer.from('during '), sim.now)) // still under the old key
  t.throws(() => a.rekey(sim.now), (err: unknown) => isSecretChannelError(err, 'ERR_INVALID_STATE'), 'a second rekey() while one runs is refused')
  t.ok(sim.run(() => saw(sim.a, 'rekeyed') && saw(sim.b, 'rekeyed')), 'both sides report rekeyed')
  const newSid = Buffer.from(a.sessionId!)
  t.notOk(newSid.equals(oldSid), 'the session id changed')
  t.ok(newSid.equals(Buffer.from(b.sessionId!)), 'both agree on the new session id')
  t.notEqual(sendKey(a), oldKeyA, 'a sends under a new key')
  t.notEqual(sendKey(b), oldKeyB, 'b sends under a new key')
  sim.apply(sim.a, a.write(Buffer.from('after'), sim.now))
  sim.apply(sim.b, b.write(Buffer.from('reply'), sim.now))
  sim.run(() => Buffer.concat(sim.b.data).toString().endsWith('after') && sim.a.data.length > 0)
  t.equal(Buffer.concat(sim.b.data).toString(), 'before during after', 'b received everything in order')
  t.equal(Buffer.concat(sim.a.data).toString(), 'reply', 'a receives under the new key')
  t.equal(errorOf(sim.a), null)
  t.equal(errorOf(sim.b), null)
  t.end()
})

test('both sides start a re-key at the same time: one agreement, same keys', (t) => {
  const { sim, a, b } = openSession()
  sim.apply(sim.a, a.rekey(sim.now))
  sim.apply(sim.b, b.rekey(sim.now))
  t.ok(sim.run(() => saw(sim.a, 'rekeyed') && saw(sim.b, 'rekeyed')), 'both rekeyed')
  t.ok(Buffer.from(a.sessionId!).equals(Buffer.from(b.sessionId!)), 'same session id')
  sim.apply(sim.a, a.write(Buffer.from('x'), sim.now))
  sim.apply(sim.b, b.write(Buffer.from('y'), sim.now))
  sim.run(() => sim.a.data.length > 0 && sim.b.data.length > 0)
  t.equal(Buffer.concat(sim.b.data).toString() + Buffer.concat(sim.a.data).toString(), 'xy', 'data flows both ways')
  t.end()
})

test('three re-keys in a row over a lossy, reordering network', (t) => {
  const { sim, a, b } = openSession({ seed: 7, loss: 0.2, duplicate: 0.2, jitter: 60 })
  let expected = ''
  for (let round = 0; round < 3; round++) {
    const starter = round % 2 === 0 ? sim.a : sim.b
    sim.apply(sim.a, a.write(Buffer.from(`[${round}a]`), sim.now))
    expected += `[${round}a]`
    sim.apply(starter, starter.peer.rekey(sim.now))
    const count = (s: typeof sim.a): number => s.events.filter((e) => e.type === 'rekeyed').length
    t.ok(sim.run(() => count(sim.a) === round + 1 && count(sim.b) === round + 1, sim.now + 300_000), `re-key ${round + 1} finished`)
  }
  sim.apply(sim.a, a.end(sim.now))
  sim.apply(sim.b, b.end(sim.now))
  t.ok(sim.run(() => saw(sim.a, 'close') && saw(sim.b, 'close'), sim.now + 300_000), 'closed after the re-keys')
  t.equal(Buffer.concat(sim.b.data).toString(), expected, 'all data intact across key changes')
  t.end()
})

test('rekey() needs an open session', (t) => {
  const { a } = makePair()
  a.start(0)
  t.throws(() => a.rekey(0), (err: unknown) => isSecretChannelError(err, 'ERR_INVALID_STATE'), 'refused during the agreement')
  t.throws(() => a.write(Buffer.from('x'), 0), (err: unknown) => isSecretChannelError(err, 'ERR_INVALID_STATE'), 'write refused before secure')
  t.end()
})

test('ending both directions while a re-key is still in flight closes cleanly once it completes', (t) => {
  for (let seed = 1; seed <= 6; seed++) {
    const { sim, a, b } = openSession({ seed, loss: 0.3, duplicate: 0.1, jitter: 40 })
    sim.apply(sim.a, a.rekey(sim.now))
    sim.apply(sim.a, a.end(sim.now))
    sim.apply(sim.b, b.end(sim.now))
    t.ok(sim.run(() => saw(sim.a, 'close') && saw(sim.b, 'close'), sim.now + 300_000), `seed ${seed}: both closed`)
    t.ok(saw(sim.a, 'rekeyed') && saw(sim.b, 'rekeyed'), `seed ${seed}: the re-key completed first`)
    t.equal(errorOf(sim.a) ?? errorOf(sim.b), null, `seed ${seed}: no error`)
  }
  t.end()
})
