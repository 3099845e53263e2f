/** Tampered, truncated, replayed and garbage notices fail cleanly: a typed error, never a crash or a wrong key. */
import test from 'tape'
import { Simulation, makePair, saw, errorOf, seededRandom, type SimSide } from './helpers.js'
import { NoticePeer } from '../../lib/protocols/notice/index.js'
import { ErrorCodes } from '../../lib/errors.js'

const CLEAN_CODES: string[] = [ErrorCodes.PROTOCOL, ErrorCodes.KEY_CHANGED, ErrorCodes.BOX_TAMPERED, ErrorCodes.UNAUTHORIZED, ErrorCodes.ABORTED, ErrorCodes.HANDSHAKE_TIMEOUT, ErrorCodes.TRANSPORT]

/** Runs an agreement plus one message each way; returns how it ended. */
function exchange(sim: Simulation): 'ok' | 'failed' {
  sim.onEvents = (side, events) => {
    for (const e of events) {
      if (e.type !== 'secure') continue
      sim.apply(side, side.peer.write(Buffer.from(`from ${side.name}`), sim.now))
      sim.apply(side, side.peer.end(sim.now))
    }
  }
  sim.start()
  sim.run(() => (saw(sim.a, 'close') && saw(sim.b, 'close')) || (sim.a.peer.stage === 'failed' && sim.b.peer.stage === 'failed'), 200_000)
  return saw(sim.a, 'close') && saw(sim.b, 'close') ? 'ok' : 'failed'
}

function checkOutcome(t: test.Test, sim: Simulation, what: string): void {
  const result = saw(sim.a, 'close') && saw(sim.b, 'close') ? 'ok' : 'failed'
  if (result === 'ok') {
    t.equal(Buffer.concat(sim.b.data).toString() + '|' + Buffer.concat(sim.a.data).toString(), 'from a|from b', `${what}: recovered, data intact`)
    return
  }
  const errs = [errorOf(sim.a), errorOf(sim.b)].filter((e) => e !== null)
  t.ok(errs.length > 0 && errs.every((e) => CLEAN_CODES.includes(e!.code)), `${what}: failed cleanly (${errs.map((e) => e!.code).join(', ')})`)
  const leaked = (s: SimSide): boolean => s.data.length > 0 && !(Buffer.concat(s.data).toString() === `from ${s.name === 'a' ? 'b' : 'a'}`)
  t.ok(!leaked(sim.a) && !leaked(sim.b), `${what}: no wrong plaintext delivered`)
}

for (const known of [false, true]) test(`a flipped bit anywhere in any notice is detected or recovered from (keys known: ${known})`, (t) => {
  // Count the notices of a clean run first.
  const fresh = makePair({ aKnowsB: known, bKnowsA: known })
  const clean = new Simulation(fresh.a, fresh.b)
  exchange(clean)
  const total = clean.a.sent.length + clean.b.sent.length
  let failures = 0
  for (let target = 0; target < total; target++) {
    for (const where of ['header', 'payload'] as const) {
      const { a, b } = makePair({ maxRetransmits: 4, aKnowsB: known, bKnowsA: known })
      const sim = new Simulation(a, b, {
        tamper: (notice, _from, index) => {
          if (index !== target) return notice
          const copy = notice.slice()
          const at = where === 'header' || copy.length === 10 ? 1 + (target % 9) : 10 + ((target * 7) % (copy.length - 10))
          copy[at]! ^= 1 << target % 8
          return copy
        }
      })
      if (exchange(sim) === 'failed') failures++
      checkOutcome(t, sim, `notice ${target} ${where}`)
    }
  }
  t.ok(failures > total / 2, `most flips abort the session (${failures} of ${2 * total})`)
  t.end()
})

test('truncated notices fail cleanly', (t) => {
  for (const cut of [1, 5, 9, 11, -1, -20]) {
    for (const target of [0, 1, 2, 4, 6]) {
      const { a, b } = makePair()
      const sim = new Simulation(a, b, {
        tamper: (notice, _from, index) => (index === target ? notice.subarray(0, cut > 0 ? Math.min(cut, notice.length) : Math.max(0, notice.length + cut)) : notice)
      })
      exchange(sim)
      checkOutcome(t, sim, `notice ${target} cut to ${cut}`)
    }
  }
  t.end()
})

test('garbage notices are refused with ERR_PROTOCOL and the peer hears an ABORT', (t) => {
  const random = seededRandom(99)
  for (let i = 0; i < 50; i++) {
    const { a, b } = makePair()
    const sim = new Simulation(a, b).start()
    const garbage = new Uint8Array(Math.floor(random() * 260))
    for (let j = 0; j < garbage.length; j++) garbage[j] = Math.floor(random() * 256)
    if (i % 2 === 0 && garbage.length > 0) garbage[0] = 0x4e // sometimes with the right version byte
    sim.apply(sim.b, b.receive(garbage, 0))
    const err = errorOf(sim.b)
    t.ok(err && err.code === ErrorCodes.PROTOCOL, `garbage ${i} (${garbage.length} bytes) refused: ${err?.message}`)
    sim.run(() => a.stage === 'failed')
    t.equal(a.stage, 'failed', `garbage ${i}: the initiator stops too (ABORT)`)
  }
  t.end()
})

test('notices replayed from an earlier session never make a new session secure', (t) => {
  for (const [aKnowsB, bKnowsA] of [[true, true], [false, false], [true, false]] as const) {
    const first = makePair({ aKnowsB, bKnowsA })
    const sim = new Simulation(first.a, first.b)
    exchange(sim)
    t.ok(saw(sim.b, 'close'), 'the recorded session itself worked')
    // A fresh responder with the same keys gets Alice's old notices, in order, from an attacker.
    const b2 = new NoticePeer({ role: 'responder', keyPair: first.keys.b, peerKey: bKnowsA ? first.keys.a.publicKey : null })
    b2.start(0)
    const events = []
    for (const notice of sim.a.sent) events.push(...b2.receive(notice, 1).events)
    const err = events.find((e) => e.type === 'error')
    t.ok(!events.some((e) => e.type === 'secure'), `replay (a knows b: ${aKnowsB}, b knows a: ${bKnowsA}) never secure`)
    t.ok(err && err.type === 'error' && err.error.code === ErrorCodes.PROTOCOL, `replay refused: ${err && err.type === 'error' ? err.error.message : 'no error'}`)
  }
  t.end()
})

test('a notice replayed inside the session is a duplicate and changes nothing', (t) => {
  const { a, b } = makePair()
  const sim = new Simulation(a, b).start()
  sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure'))
  sim.apply(sim.a, a.write(Buffer.from('once'), sim.now))
  const dataNotice = sim.a.sent[sim.a.sent.length - 1]!
  sim.run(() => sim.b.data.length === 1)
  sim.apply(sim.a, a.write(Buffer.from(' more'), sim.now))
  sim.run(() => sim.b.data.length === 2)
  sim.apply(sim.b, b.receive(dataNotice, sim.now))
  sim.apply(sim.b, b.receive(dataNotice, sim.now))
  sim.run(() => false, sim.now + 2000)
  t.equal(Buffer.concat(sim.b.data).toString(), 'once more', 'replayed DATA delivered nothing new')
  t.equal(errorOf(sim.b), null, 'and caused no error')
  t.end()
})

test('garbage injected at a random moment of a session fails cleanly', (t) => {
  const random = seededRandom(2024)
  for (let i = 0; i < 30; i++) {
    const { a, b } = makePair({ aKnowsB: i % 2 === 0, bKnowsA: i % 3 === 0 })
    const at = Math.floor(random() * 14)
    const sim = new Simulation(a, b, {
      tamper: (notice, _from, index) => {
        if (index !== at) return notice
        const junk = new Uint8Array(10 + Math.floor(random() * 150))
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(random() * 256)
        junk[0] = 0x4e
        junk[1] = random() < 0.5 ? 0x03 : 0x01 // a plausible reliable notice
        junk.fill(0, 2, 5) // with a small sequence number, so it lands inside the window
        return [notice, junk]
      }
    })
    exchange(sim)
    checkOutcome(t, sim, `garbage after notice ${at}`)
  }
  t.end()
})
