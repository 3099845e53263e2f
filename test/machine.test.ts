/**
 * The protocol kernel (lib/machine.ts): every sans-I/O machine builds on it and speaks its
 * vocabulary: `phase`, "failed" after junk (poisoned, secrets zeroed), ERR_INVALID_STATE out of turn.
 * @test-all-backends
 */
import test from 'tape'
import { Machine } from '../lib/machine.js'
import { isSecretChannelError } from '../lib/errors.js'
import { generateKeyPair } from '../lib/keys.js'
import { ClientHandshake, ServerHandshake } from '../lib/handshake/index.js'
import { EnrollmentClient, EnrollmentServer } from '../lib/protocols/enrollment/index.js'
import { FlatClientMachine } from '../lib/protocols/accounts/flat/client.js'
import { FlatServerMachine } from '../lib/protocols/accounts/flat/server.js'
import { NoticePeer } from '../lib/protocols/notice/index.js'

const keys = generateKeyPair()
const appKey = new Uint8Array(32).fill(7)
const allZero = (bufs: readonly Uint8Array[]): boolean => bufs.every((b) => b.every((x) => x === 0))
const junk = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff)

test('every protocol machine is a Machine and fails closed on junk', (t) => {
  // Each case keeps its machine's own type for the feed, then is erased to a plain thunk.
  const entry = <M extends Machine<string>>(name: string, m: M, feed: (m: M) => unknown): [string, Machine<string>, () => unknown] => [name, m, () => feed(m)]
  const cases: Array<[string, Machine<string>, () => unknown]> = [
    entry('SHS1 server', new ServerHandshake({ appKey, keyPair: keys }), (m) => m.receiveHello(junk)),
    entry('SHS1 client', (() => { const c = new ClientHandshake({ appKey, keyPair: keys, serverPublicKey: generateKeyPair().publicKey }); c.createHello(); return c })(), (m) => m.receiveHello(junk)),
    entry('enrollment server', new EnrollmentServer(), (m) => m.receive(junk)),
    entry('enrollment client', (() => { const c = new EnrollmentClient(); c.start(); return c })(), (m) => m.receive(junk)),
    entry('flat server', new FlatServerMachine({ keyPair: keys }), (m) => m.receive(junk)),
    entry('flat client', (() => { const c = new FlatClientMachine({ serverPublicKey: keys.publicKey, username: 'alice' }); c.start(); return c })(), (m) => m.receive(junk))
  ]
  for (const [name, machine, feed] of cases) {
    t.ok(machine instanceof Machine, `${name}: built on the kernel`)
    t.throws(() => feed(), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') || isSecretChannelError(e, 'ERR_WRONG_APP_KEY'), `${name}: junk is a typed error`)
    t.equal(machine.phase, 'failed', `${name}: phase "failed"`)
    t.ok(allZero(machine.secretBuffersForTesting()), `${name}: registered secrets zeroed`)
    t.throws(() => feed(), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_STATE'), `${name}: a failed machine refuses further input`)
  }
  const notice = new NoticePeer({ role: 'responder', keyPair: keys })
  t.ok(notice instanceof Machine, 'notice peer: built on the kernel')
  notice.start(0)
  const out = notice.receive(junk, 0)
  t.equal(notice.phase, 'failed', 'notice peer: phase "failed" after junk (reported as an event, never thrown)')
  t.ok(out.events.some((e) => e.type === 'error'), 'notice peer: an error event')
  t.ok(Array.isArray(out.send), 'notice peer: the same { send, events } output')
  t.end()
})

test('the flat machines produce the kernel\'s { send, events } step too', (t) => {
  const client = new FlatClientMachine({ serverPublicKey: keys.publicKey, username: 'alice' })
  const server = new FlatServerMachine({ keyPair: keys })
  const step = server.receiveStep(client.start())
  t.deepEqual(step.send, [], 'nothing to send before the lookup')
  t.deepEqual(step.events, [{ type: 'lookup', by: 'username', username: 'alice' }], 'a lookup event')
  const answer = server.resolveStep(null)
  t.equal(answer.send.length, 1, 'the answer (a decoy for an unknown name) in send')
  t.deepEqual(client.receiveStep(answer.send[0]!).events.map((e) => e.type), ['unlock'], 'the client asks for the unlock')
  t.end()
})

test('out of turn: ERR_INVALID_STATE; a one-shot machine is poisoned, a live notice session is not', (t) => {
  const server = new EnrollmentServer()
  t.throws(() => server.issue({ type: 'ed25519', privateKey: new Uint8Array(64), publicKey: new Uint8Array(32), id: 'x' }), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_STATE'), 'enrollment issue() before a response')
  t.equal(server.phase, 'failed', 'poisoned')
  const notice = new NoticePeer({ role: 'initiator', keyPair: keys })
  notice.start(0)
  t.throws(() => notice.write(Uint8Array.of(1), 0), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_STATE'), 'notice write() before secure')
  t.equal(notice.phase, 'hello-sent', 'the agreement goes on')
  t.end()
})
