/** The document's retry rule: a challenge that does not decrypt repeats the key exchange, a bounded number of times. */
import test from 'tape'
import { EnrollmentClient, EnrollmentServer, MessageType } from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair } from '../../lib/keys.js'
import { flip, runMachines } from './helpers.js'

const serverKeys = generateKeyPair()

test('one corrupted challenge: the client repeats the key exchange and succeeds on attempt 2', (t) => {
  let challenges = 0
  const out = runMachines(new EnrollmentClient({ code: '5555' }), new EnrollmentServer({ code: '5555', keyPair: serverKeys }), (m, from) => {
    if (from === 'server' && m[0] === MessageType.CHALLENGE && challenges++ === 0) return flip(m, 10)
    return m
  })
  t.equal(out.clientError, null, 'no client error')
  t.equal(out.serverError, null, 'no server error')
  t.equal(out.result?.attempts, 2, 'client took two attempts')
  t.equal(out.issued?.attempts, 2, 'server saw two attempts')
  const hellos = out.log.filter((e) => e.message[0] === MessageType.CLIENT_HELLO)
  t.equal(hellos.length, 2, 'two CLIENT_HELLOs')
  t.deepEqual(hellos.map((h) => h.message[2]), [1, 2], 'numbered 1 and 2')
  t.notDeepEqual(hellos[0]!.message.subarray(4), hellos[1]!.message.subarray(4), 'a fresh ephemeral key on retry')
  t.end()
})

test('every challenge corrupted: the client gives up after maxAttempts with a typed error and tells the server', (t) => {
  const out = runMachines(new EnrollmentClient({ maxAttempts: 3 }), new EnrollmentServer({ maxAttempts: 3 }), (m, from) =>
    from === 'server' && m[0] === MessageType.CHALLENGE ? flip(m, 40) : m)
  t.equal(out.log.filter((e) => e.message[0] === MessageType.CLIENT_HELLO).length, 3, 'three key exchanges')
  t.equal(out.clientError?.code, 'ERR_PROTOCOL', 'client: ERR_PROTOCOL (no code, so tampering)')
  t.match(out.clientError?.message ?? '', /no challenge opened in 3 attempts/, 'says why')
  const last = out.log[out.log.length - 1]!
  t.deepEqual([...last.message], [MessageType.ABORT, 1], 'the last message is ABORT(challenge failed)')
  t.equal(out.serverError?.code, 'ERR_PROTOCOL', 'server hears it as ERR_PROTOCOL')
  t.equal(out.result, null, 'no result')
  t.end()
})

test('maxAttempts 1 means no retry', (t) => {
  const out = runMachines(new EnrollmentClient({ maxAttempts: 1, code: 'x1' }), new EnrollmentServer({ code: 'x2' }))
  t.equal(out.log.filter((e) => e.message[0] === MessageType.CLIENT_HELLO).length, 1, 'one hello')
  t.equal(out.clientError?.code, 'ERR_INVALID_TOKEN', 'ERR_INVALID_TOKEN at once')
  t.end()
})

test('a client that retries more often than the server allows is refused by the server', (t) => {
  const out = runMachines(new EnrollmentClient({ maxAttempts: 5 }), new EnrollmentServer({ maxAttempts: 2 }), (m, from) =>
    from === 'server' && m[0] === MessageType.CHALLENGE ? flip(m, 40) : m)
  t.equal(out.serverError?.code, 'ERR_PROTOCOL', 'server: ERR_PROTOCOL')
  t.match(out.serverError?.message ?? '', /more than 2 attempts/, 'too many attempts')
  t.end()
})
