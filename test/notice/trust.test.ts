/** Who may be trusted: known fingerprints, a substituted key, a man in the middle in phase 2, TOFU off. */
import test from 'tape'
import { Simulation, makePair, saw, errorOf, testKeys, messageOf, reliableNotice } from './helpers.js'
import { NoticePeer, keyFingerprint } from '../../lib/protocols/notice/index.js'
import { deriveSessionId, keyStatement } from '../../lib/protocols/notice/kdf.js'
import { encodeAnnounce, encodeKey } from '../../lib/protocols/notice/messages.js'
import { AbortReason, Flag, MessageType } from '../../lib/protocols/notice/layout.js'
import { ErrorCodes } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'

const alice = testKeys(1)
const bob = testKeys(2)
const mallory = testKeys(3)

test('a known peer answering with another key is refused on both sides with ERR_KEY_CHANGED', (t) => {
  // Alice knows Bob; Mallory answers with her own key and an honest machine.
  const a = new NoticePeer({ role: 'initiator', keyPair: alice, peerKey: bob.publicKey })
  const m = new NoticePeer({ role: 'responder', keyPair: mallory })
  const sim = new Simulation(a, m).start()
  sim.run(() => a.stage === 'failed' && m.stage === 'failed')
  t.equal(errorOf(sim.b)?.code, ErrorCodes.KEY_CHANGED, 'the impostor side sees the mismatch')
  t.equal(errorOf(sim.a)?.code, ErrorCodes.KEY_CHANGED, 'alice refuses loudly')
  t.notOk(saw(sim.a, 'secure'), 'alice never secure')
  t.end()
})

test('an impostor who makes the known fingerprint match cannot sign phase 3', (t) => {
  // Mallory rewrites Alice's HELLO so that it announces Mallory's fingerprint; her honest machine
  // then carries on, but her PART signature does not verify under the key Alice knows for Bob.
  const a = new NoticePeer({ role: 'initiator', keyPair: alice, peerKey: bob.publicKey })
  const m = new NoticePeer({ role: 'responder', keyPair: mallory, peerKey: alice.publicKey })
  const sim = new Simulation(a, m, {
    tamper: (notice, from) => {
      if (from !== 'a' || messageOf(notice)[0] !== MessageType.HELLO) return notice
      const copy = notice.slice()
      messageOf(copy).set(keyFingerprint(mallory.publicKey), 18)
      return copy
    }
  }).start()
  sim.run(() => a.stage === 'failed')
  t.equal(errorOf(sim.a)?.code, ErrorCodes.PROTOCOL, 'refused')
  t.ok(/man in the middle/.test(errorOf(sim.a)?.message ?? ''), `says why: ${errorOf(sim.a)?.message}`)
  t.notOk(saw(sim.a, 'secure'), 'alice never secure')
  t.end()
})

test('a KEY offered for a peer we already know, with another key, is ERR_KEY_CHANGED', (t) => {
  // Mallory answers Alice's HELLO herself and pushes her own key, correctly self-signed.
  const crypto = getCryptoBackend()
  const a = new NoticePeer({ role: 'initiator', keyPair: alice, peerKey: bob.publicKey })
  const hello = a.start(0).send[0]!
  const nonceI = messageOf(hello).subarray(2, 18)
  const nonceR = new Uint8Array(16).fill(9)
  a.receive(reliableNotice(0, 1, encodeAnnounce(MessageType.REPLY, nonceR, keyFingerprint(alice.publicKey))), 1)
  t.equal(a.stage, 'parts', 'alice went on to phase 3 with the key she knows')
  const sid = deriveSessionId(crypto, nonceI, nonceR)
  const forged = encodeKey(mallory.publicKey, crypto.sign(keyStatement(sid, mallory.publicKey), mallory.secretKey))
  const out = a.receive(reliableNotice(1, 1, forged), 2)
  const err = out.events.find((e) => e.type === 'error')
  t.ok(err && err.type === 'error' && err.error.code === ErrorCodes.KEY_CHANGED, `refused loudly: ${err && err.type === 'error' ? err.error.message : ''}`)
  t.ok(out.send.length === 1 && (out.send[0]![1]! & Flag.ABORT) !== 0 && out.send[0]![10] === AbortReason.KEY_CHANGED, 'and tells the peer why (ABORT KEY_CHANGED)')
  t.end()
})

test('a man in the middle substituting the key in phase 2 is caught by phase 3 and by the receipt', (t) => {
  const crypto = getCryptoBackend()
  const { a, b } = makePair({ aKnowsB: false, bKnowsA: true })
  let nonceI: Uint8Array | null = null
  let nonceR: Uint8Array | null = null
  const sim = new Simulation(a, b, {
    tamper: (notice, from) => {
      const message = messageOf(notice)
      if (from === 'a' && message[0] === MessageType.HELLO) nonceI = message.slice(2, 18)
      if (from === 'b' && message[0] === MessageType.REPLY) nonceR = message.slice(2, 18)
      if (from === 'b' && message[0] === MessageType.KEY && nonceI && nonceR) {
        // Mallory replaces Bob's key with hers, correctly self-signed for this very session.
        const sid = deriveSessionId(crypto, nonceI, nonceR)
        const forged = encodeKey(mallory.publicKey, crypto.sign(keyStatement(sid, mallory.publicKey), mallory.secretKey))
        const out = notice.slice()
        messageOf(out).set(forged)
        return out
      }
      return notice
    }
  })
  sim.start()
  sim.run(() => a.stage === 'failed' && b.stage === 'failed')
  const shown = sim.a.events.find((e) => e.type === 'peer-key')
  t.ok(shown && shown.type === 'peer-key' && Buffer.from(shown.publicKey).equals(Buffer.from(mallory.publicKey)), 'alice was shown the substituted key (its fingerprint would not match Bob’s)')
  t.notOk(saw(sim.a, 'secure') || saw(sim.b, 'secure'), 'neither side became secure, so nothing was stored')
  t.equal(errorOf(sim.a)?.code, ErrorCodes.PROTOCOL, `alice: ${errorOf(sim.a)?.message}`)
  t.equal(errorOf(sim.b)?.code, ErrorCodes.PROTOCOL, `bob: ${errorOf(sim.b)?.message}`)
  t.end()
})

test('trust on first use off: an unknown peer is refused with ERR_UNAUTHORIZED', (t) => {
  const { a, b } = makePair({ aKnowsB: true, bKnowsA: false, trustOnFirstUse: false })
  const sim = new Simulation(a, b).start()
  sim.run(() => a.stage === 'failed' && b.stage === 'failed')
  t.equal(errorOf(sim.b)?.code, ErrorCodes.UNAUTHORIZED, 'bob refuses to learn')
  t.equal(errorOf(sim.a)?.code, ErrorCodes.UNAUTHORIZED, 'alice hears it')
  t.end()
})

test('a silent peer: the agreement times out with ERR_HANDSHAKE_TIMEOUT; secrets are wiped on failure', (t) => {
  const a = new NoticePeer({ role: 'initiator', keyPair: alice, timeoutMs: 5000, maxRetransmits: 100 })
  let out = a.start(0)
  let now = 0
  let retransmits = 0
  while (a.stage !== 'failed' && now < 60_000) {
    now = a.nextDeadline() ?? now + 1000
    out = a.tick(now)
    retransmits += out.send.length
  }
  const err = out.events.find((e) => e.type === 'error')
  t.ok(err && err.type === 'error' && err.error.code === ErrorCodes.HANDSHAKE_TIMEOUT, 'timed out')
  t.ok(now <= 5000, `at the deadline (${now} ms)`)
  t.ok(retransmits > 3, `HELLO was retransmitted (${retransmits} notices)`)
  t.equal(a.nextDeadline(), null, 'no more timers after failure')
  t.end()
})

test('an unreachable peer after the agreement: ERR_TRANSPORT once retransmissions are exhausted', (t) => {
  const { a, b } = makePair({ maxRetransmits: 3 })
  const sim = new Simulation(a, b).start()
  sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure'))
  let out = a.write(Buffer.from('into the void'), sim.now)
  let now = sim.now
  while (a.stage !== 'failed') {
    now = a.nextDeadline()!
    out = a.tick(now)
  }
  const err = out.events.find((e) => e.type === 'error')
  t.ok(err && err.type === 'error' && err.error.code === ErrorCodes.TRANSPORT, 'gave up with ERR_TRANSPORT')
  type Keyed = { key: Uint8Array } | null
  const internals = a as unknown as { encoder: Keyed; decoder: Keyed; pendingDecoder: Keyed; round: unknown }
  t.ok(internals.encoder!.key.every((x) => x === 0), 'send key wiped')
  t.ok((internals.decoder ?? internals.pendingDecoder)!.key.every((x) => x === 0), 'receive key wiped')
  t.equal(internals.round, null, 'no phase-3 state left')
  t.end()
})

test('after a clean close every key is wiped', (t) => {
  const { a, b } = makePair()
  const sim = new Simulation(a, b).start()
  sim.run(() => a.stage === 'parts')
  type RoundInternals = { myPart: Uint8Array; secrets: Record<string, Uint8Array> | null }
  const round = (a as unknown as { round: RoundInternals }).round
  t.ok(round.myPart.some((x) => x !== 0), 'during phase 3 our part is live')
  sim.run(() => saw(sim.a, 'secure') && saw(sim.b, 'secure'))
  t.ok(round.myPart.every((x) => x === 0), 'our key part is zeroed once K is derived')
  t.ok(round.secrets !== null && Object.values(round.secrets).every((v) => v.every((x) => x === 0)), 'the derived confirm MACs, keys and nonces are zeroed after the switch')
  sim.apply(sim.a, a.end(sim.now))
  sim.apply(sim.b, b.end(sim.now))
  sim.run(() => saw(sim.a, 'close') && saw(sim.b, 'close'))
  for (const p of [a, b]) {
    const internals = p as unknown as { encoder: { key: Uint8Array }; decoder: { key: Uint8Array } }
    t.ok(internals.encoder.key.every((x) => x === 0) && internals.decoder.key.every((x) => x === 0), `${p.role}: box-stream keys zeroed`)
  }
  t.end()
})
