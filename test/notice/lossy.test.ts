/** Lost, duplicated and reordered notices (seeded) still converge, and the box-stream data arrives intact. */
import test from 'tape'
import { Simulation, makePair, saw, errorOf } from './helpers.js'

function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed) & 0xff
  return b
}

for (let seed = 1; seed <= 8; seed++) {
  const aKnowsB = (seed & 1) === 1
  const bKnowsA = (seed & 2) === 2
  test(`seed ${seed}: 25% loss, 20% duplicates, reordering, 48-byte notices (a knows b: ${aKnowsB}, b knows a: ${bKnowsA})`, (t) => {
    const { a, b } = makePair({ aKnowsB, bKnowsA, maxNoticeBytes: 48, timeoutMs: 120_000, maxRetransmits: 20 })
    const sim = new Simulation(a, b, { seed, loss: 0.25, duplicate: 0.2, jitter: 80, latency: 10 })
    const toB = payload(3000, seed)
    const toA = payload(700, seed + 1)
    sim.onEvents = (side, events) => {
      for (const e of events) {
        if (e.type !== 'secure') continue
        const out = side.name === 'a' ? side.peer.write(toB, sim.now) : side.peer.write(toA, sim.now)
        sim.apply(side, out)
        sim.apply(side, side.peer.end(sim.now))
      }
    }
    sim.start()
    const done = sim.run(() => (saw(sim.a, 'close') && saw(sim.b, 'close')) || errorOf(sim.a) !== null || errorOf(sim.b) !== null, 600_000)
    t.ok(done, 'the run finished')
    t.equal(errorOf(sim.a), null, 'no error at a')
    t.equal(errorOf(sim.b), null, 'no error at b')
    t.ok(Buffer.concat(sim.b.data).equals(toB), 'b received exactly the 3000 bytes, once, in order')
    t.ok(Buffer.concat(sim.a.data).equals(toA), 'a received exactly the 700 bytes, once, in order')
    t.ok(saw(sim.a, 'close') && saw(sim.b, 'close'), 'both closed')
    t.ok(sim.a.sent.every((n) => n.length <= 48) && sim.b.sent.every((n) => n.length <= 48), 'no notice exceeds the limit')
    t.end()
  })
}

test('the default limit is 200 bytes and a PART (145 bytes + 2 of length) travels in one notice', (t) => {
  const { a, b } = makePair()
  const sim = new Simulation(a, b).start()
  sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure'))
  t.ok(sim.a.sent.every((n) => n.length <= 200), 'all notices within 200 bytes')
  t.ok(sim.a.sent.some((n) => n.length === 10 + 2 + 145), 'the PART went as one notice of 157 bytes')
  t.end()
})
