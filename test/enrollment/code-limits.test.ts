/**
 * The code's limits as a device sees them: the last allowed guess can succeed, one code can be good
 * for several devices, and a device whose code is spent hears why before the server hangs up.
 */
import test from 'tape'
import {
  acceptEnrollment, enroll, EnrollmentClient, EnrollmentCode, EnrollmentServer, MemoryEnrollmentStore, MessageType
} from '../../lib/protocols/enrollment/index.js'
import { SecretChannelError } from '../../lib/errors.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { runMachines } from './helpers.js'

async function settle<T>(p: Promise<T>): Promise<{ value?: T, error?: SecretChannelError }> {
  try { return { value: await p } } catch (error) { return { error: error as SecretChannelError } }
}

test('maxGuesses 1: the one allowed guess, answered correctly, enrolls the device', (t) => {
  const code = new EnrollmentCode('135-791', { maxGuesses: 1 })
  const out = runMachines(new EnrollmentClient({ code: '135791' }), new EnrollmentServer({ code }))
  t.equal(out.serverError, null, 'no server error')
  t.equal(out.clientError, null, 'no device error')
  t.ok(out.result, 'the device got its key')
  t.ok(out.issued, 'the server issued it')
  t.equal(code.spent, 'used', 'the code is used (not burnt)')
  t.end()
})

test('maxGuesses 3: a device that needed the third exchange still enrolls', (t) => {
  const code = new EnrollmentCode('246-802', { maxGuesses: 3 })
  let hellos = 0
  // The first two challenges are corrupted in flight: the device retries, each retry costs a guess.
  const out = runMachines(new EnrollmentClient({ code: '246802', maxAttempts: 3 }), new EnrollmentServer({ code, maxAttempts: 3 }), (m, from) => {
    if (from === 'server' && m[0] === MessageType.CHALLENGE && ++hellos <= 2) {
      const copy = m.slice()
      copy[10] = copy[10]! ^ 1
      return copy
    }
    return m
  })
  t.equal(out.clientError, null, 'no device error')
  t.ok(out.result, 'enrolled on the last allowed guess')
  t.equal(out.result?.attempts, 3, 'after three exchanges')
  t.end()
})

test('a code good for three devices enrolls three, then refuses the fourth with a reason', (t) => {
  const code = new EnrollmentCode('999-000', { uses: 3, maxGuesses: 2 })
  for (let i = 1; i <= 3; i++) {
    const out = runMachines(new EnrollmentClient({ code: '999000' }), new EnrollmentServer({ code }))
    t.ok(out.result, `device ${i} enrolled with the shared code`)
  }
  t.equal(code.enrolled, 3, 'three devices counted')
  const fourth = runMachines(new EnrollmentClient({ code: '999000' }), new EnrollmentServer({ code }))
  t.equal(fourth.clientError?.code, 'ERR_CODE_SPENT', 'the fourth device: ERR_CODE_SPENT')
  t.match(fourth.clientError?.message ?? '', /already used/, 'it says the code was used')
  t.end()
})

test('a correct answer that arrives after another device took the last use is refused with a reason', (t) => {
  const code = new EnrollmentCode('555-555', { maxGuesses: 5 })
  const late = new EnrollmentClient({ code: '555555' })
  const lateServer = new EnrollmentServer({ code })
  const [serverHello, challenge] = lateServer.receive(late.start().send[0]!).send
  late.receive(serverHello!)
  const response = late.receive(challenge!).send[0]!
  t.ok(runMachines(new EnrollmentClient({ code: '555555' }), new EnrollmentServer({ code })).result, 'another device enrolls first')
  try { lateServer.receive(response); t.fail('must refuse') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_CODE_SPENT', 'server: ERR_CODE_SPENT') }
  t.deepEqual([...lateServer.farewell!], [MessageType.REFUSED, 1], 'REFUSED, reason 1 (used) is left for the adapter')
  try { late.receive(lateServer.farewell!); t.fail('device must fail') } catch (caught) {
    const err = caught as Error & { code?: string }
    t.equal(err.code, 'ERR_CODE_SPENT', 'device: ERR_CODE_SPENT')
    t.match(err.message, /^enrollment refused: .*already used/, 'phase and reason')
  }
  t.equal(late.phase, 'failed', 'the device machine is poisoned')
  t.end()
})

test('over a stream: a used code gives the device ERR_CODE_SPENT (not ERR_TRUNCATED)', async (t) => {
  const code = new EnrollmentCode('321-321')
  code.consume()
  const [a, b] = duplexPair()
  const [server, device] = await Promise.all([
    settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore(), code })),
    settle(enroll(a, { code: '321321' }))
  ])
  t.equal(server.error?.code, 'ERR_CODE_SPENT', 'server: ERR_CODE_SPENT')
  t.equal(device.error?.code, 'ERR_CODE_SPENT', 'device: ERR_CODE_SPENT')
  t.match(device.error?.message ?? '', /already used/, 'device says: already used')
})

test('over a stream: a burnt code gives the device ERR_CODE_SPENT saying so', async (t) => {
  const code = new EnrollmentCode('321-322', { maxGuesses: 1 })
  code.takeGuess()
  const [a, b] = duplexPair()
  const [, device] = await Promise.all([
    settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore(), code })),
    settle(enroll(a, { code: '321322' }))
  ])
  t.equal(device.error?.code, 'ERR_CODE_SPENT', 'device: ERR_CODE_SPENT')
  t.match(device.error?.message ?? '', /burnt/, 'device says: burnt')
})

test('over a stream: a code required but not given, and the reverse, are explained to the device', async (t) => {
  const [a, b] = duplexPair()
  const [, noCode] = await Promise.all([
    settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore(), code: '1234567' })),
    settle(enroll(a, {}))
  ])
  t.equal(noCode.error?.code, 'ERR_INVALID_TOKEN', 'device without a code: ERR_INVALID_TOKEN')
  t.match(noCode.error?.message ?? '', /requires an enrollment code/, 'it says the server requires one')
  const [c, d] = duplexPair()
  const [, extra] = await Promise.all([
    settle(acceptEnrollment(d, { store: new MemoryEnrollmentStore() })),
    settle(enroll(c, { code: '1234567' }))
  ])
  t.equal(extra.error?.code, 'ERR_INVALID_TOKEN', 'device with a code at an open server: ERR_INVALID_TOKEN')
  t.match(extra.error?.message ?? '', /has no enrollment code/, 'it says the server has none')
})
