/**
 * A man in the middle: undetectable without safeguards (the documented risk), detected by a wrong
 * enrollment code and by a substituted server key.
 */
import test from 'tape'
import { EnrollmentClient, EnrollmentServer, EnrollmentCode } from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair } from '../../lib/keys.js'
import { runMachines } from './helpers.js'

const serverKeys = generateKeyPair()
const mitmKeys = generateKeyPair()

/** The attacker runs a server toward the device and a client toward the real server. */
function mitm(device: EnrollmentClient, attackerAsServer: EnrollmentServer, attackerAsClient: EnrollmentClient, real: EnrollmentServer) {
  return { towardDevice: runMachines(device, attackerAsServer), towardServer: runMachines(attackerAsClient, real) }
}

test('documented risk: without a code or a known server key a man in the middle wins silently', (t) => {
  const { towardDevice, towardServer } = mitm(new EnrollmentClient(), new EnrollmentServer(), new EnrollmentClient(), new EnrollmentServer({ keyPair: serverKeys }))
  t.ok(towardDevice.result, 'the device believes it is enrolled')
  t.ok(towardServer.issued, 'the real server enrolled the attacker')
  t.notEqual(towardDevice.result!.key.id, towardServer.issued!.id, 'and the device holds a key the real server never issued')
  t.deepEqual(towardDevice.result!.authenticatedBy, [], 'the result says nothing authenticated the server')
  t.end()
})

test('a wrong code is detected on both sides with ERR_INVALID_TOKEN after the bounded retries', (t) => {
  const code = new EnrollmentCode('111-222-333')
  const device = new EnrollmentClient({ code: '111-222-334', maxAttempts: 3 })
  const server = new EnrollmentServer({ code, maxAttempts: 3 })
  const out = runMachines(device, server)
  t.equal(out.clientError?.code, 'ERR_INVALID_TOKEN', 'device: ERR_INVALID_TOKEN')
  t.match(out.clientError?.message ?? '', /enrollment challenge: no challenge opened in 3 attempts/, 'message names the phase and the attempts')
  t.equal(out.serverError?.code, 'ERR_INVALID_TOKEN', 'server: ERR_INVALID_TOKEN (from the ABORT)')
  t.equal(out.result, null, 'no key issued to the device')
  t.equal(out.issued, null, 'nothing recorded')
  t.equal(code.guessesUsed, 3, 'each attempt cost one guess')
  t.end()
})

test('a man in the middle without the code cannot complete either side', (t) => {
  const code = EnrollmentCode.generate()
  const { towardDevice, towardServer } = mitm(
    new EnrollmentClient({ code: code.text }), new EnrollmentServer({ code: '000-000-000' }),
    new EnrollmentClient({ code: '000-000-000' }), new EnrollmentServer({ code })
  )
  t.equal(towardDevice.clientError?.code, 'ERR_INVALID_TOKEN', 'the device detects it')
  t.equal(towardServer.serverError?.code, 'ERR_INVALID_TOKEN', 'the real server detects it')
  t.equal(towardServer.issued, null, 'the attacker got no key')
  t.end()
})

test('a code is burnt after maxGuesses challenges, even for the right code afterwards', (t) => {
  const code = new EnrollmentCode('424242', { maxGuesses: 2 })
  runMachines(new EnrollmentClient({ code: '999999', maxAttempts: 2 }), new EnrollmentServer({ code, maxAttempts: 2 }))
  t.notOk(code.usable, 'burnt after two wrong guesses')
  const out = runMachines(new EnrollmentClient({ code: '424242' }), new EnrollmentServer({ code }))
  t.equal(out.serverError?.code, 'ERR_CODE_SPENT', 'the right code no longer works: ERR_CODE_SPENT')
  t.equal(out.clientError?.code, 'ERR_CODE_SPENT', 'and the device is told why (REFUSED)')
  t.match(out.clientError?.message ?? '', /burnt/, 'burnt, says the device')
  t.equal(out.result, null, 'no key')
  t.end()
})

test('a used code cannot enroll a second device', (t) => {
  const code = new EnrollmentCode('777-777')
  t.ok(runMachines(new EnrollmentClient({ code: '777777' }), new EnrollmentServer({ code })).result, 'first device enrolled')
  const second = runMachines(new EnrollmentClient({ code: '777777' }), new EnrollmentServer({ code }))
  t.equal(second.serverError?.code, 'ERR_CODE_SPENT', 'second device refused: ERR_CODE_SPENT')
  t.match(second.serverError?.message ?? '', /already used/, 'because the code was used')
  t.equal(second.clientError?.code, 'ERR_CODE_SPENT', 'the device hears the refusal')
  t.match(second.clientError?.message ?? '', /already used/, 'and says the code was already used')
  t.end()
})

test('code required by one side only: ERR_INVALID_TOKEN', (t) => {
  const a = runMachines(new EnrollmentClient(), new EnrollmentServer({ code: '123456' }))
  t.equal(a.serverError?.code, 'ERR_INVALID_TOKEN', 'server requires a code the device lacks')
  const b = runMachines(new EnrollmentClient({ code: '123456' }), new EnrollmentServer())
  t.equal(b.serverError?.code, 'ERR_INVALID_TOKEN', 'device brings a code the server lacks')
  t.end()
})

test('a substituted server (its own key) is detected when the device knows the real key', (t) => {
  const out = runMachines(new EnrollmentClient({ serverPublicKey: serverKeys.publicKey }), new EnrollmentServer({ keyPair: mitmKeys }))
  t.equal(out.clientError?.code, 'ERR_SERVER_KEY_MISMATCH', 'device: ERR_SERVER_KEY_MISMATCH')
  t.equal(out.serverError?.code, 'ERR_SERVER_KEY_MISMATCH', 'impostor is told by the ABORT')
  t.equal(out.result, null, 'no key accepted')
  t.end()
})

test('a server that does not sign is refused by a device that knows the key', (t) => {
  const out = runMachines(new EnrollmentClient({ serverPublicKey: serverKeys.publicKey }), new EnrollmentServer())
  t.equal(out.clientError?.code, 'ERR_SERVER_KEY_MISMATCH', 'ERR_SERVER_KEY_MISMATCH')
  t.end()
})

test('relaying the real signature but substituting the ephemeral key is detected', (t) => {
  const attackerPoint = new EnrollmentClient().start().send[0]!.subarray(4)
  const out = runMachines(new EnrollmentClient({ serverPublicKey: serverKeys.publicKey }), new EnrollmentServer({ keyPair: serverKeys }), (m, from, i) => {
    if (i !== 1) return m
    const copy = m.slice()
    copy.set(attackerPoint, 2)
    return copy
  })
  t.equal(out.clientError?.code, 'ERR_SERVER_KEY_MISMATCH', 'signature no longer matches: ERR_SERVER_KEY_MISMATCH')
  t.end()
})

test('replacing the client ephemeral key toward a signing server is detected by the device', (t) => {
  const attackerPoint = new EnrollmentClient().start().send[0]!.subarray(4)
  const out = runMachines(new EnrollmentClient({ serverPublicKey: serverKeys.publicKey }), new EnrollmentServer({ keyPair: serverKeys }), (m, from, i) => {
    if (i !== 0) return m
    const copy = m.slice()
    copy.set(attackerPoint, 4)
    return copy
  })
  t.equal(out.clientError?.code, 'ERR_SERVER_KEY_MISMATCH', 'the signed transcript has another client key: ERR_SERVER_KEY_MISMATCH')
  t.end()
})
