/** The two sans-I/O machines enroll a device end to end, with every combination of safeguards. @test-all-backends */
import test from 'tape'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { EnrollmentClient, EnrollmentServer, EnrollmentCode, MessageType } from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair, formatId } from '../../lib/keys.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { runMachines } from './helpers.js'

const crypto = getCryptoBackend()
const serverKeys = generateKeyPair()

test('enrollment without safeguards (the document as written) issues a working Ed25519 key', (t) => {
  const client = new EnrollmentClient()
  const server = new EnrollmentServer()
  const out = runMachines(client, server)
  t.equal(out.clientError, null, 'client did not fail')
  t.equal(out.serverError, null, 'server did not fail')
  const result = out.result!
  t.ok(result, 'client has a result')
  t.equal(result.key.type, 'ed25519', 'Ed25519 by default')
  if (result.key.type !== 'ed25519') return t.end()
  t.equal(result.key.id, out.issued!.id, 'client and server agree on the issued id')
  t.equal(formatId(result.key.keyPair.publicKey), out.issued!.id, 'the id is the key pair\'s public key')
  const sig = crypto.sign(Buffer.from('hello'), result.key.keyPair.secretKey)
  t.ok(crypto.verify(sig, Buffer.from('hello'), out.issued!.publicKey), 'the issued secret key signs for the recorded public key')
  t.deepEqual(result.authenticatedBy, [], 'nothing authenticated the server')
  t.equal(result.serverPublicKey, null, 'an unsigned server has no key to report')
  t.equal(result.attempts, 1, 'one attempt')
  t.equal(client.phase, 'done', 'client done')
  t.equal(server.phase, 'done', 'server done')
  t.deepEqual(out.log.map((e) => e.message[0]), [MessageType.CLIENT_HELLO, MessageType.SERVER_HELLO, MessageType.CHALLENGE, MessageType.RESPONSE, MessageType.ISSUED_KEY], 'the document\'s message sequence')
  t.deepEqual(out.log.map((e) => e.message.length), [37, 36, 50, 34, 82], 'message sizes as documented')
  t.end()
})

test('with a code and a known server key both safeguards are reported and the server key is returned', (t) => {
  const code = EnrollmentCode.generate()
  const client = new EnrollmentClient({ code: code.text, serverPublicKey: serverKeys.publicKey })
  const server = new EnrollmentServer({ code, keyPair: serverKeys })
  const out = runMachines(client, server)
  t.equal(out.clientError, null, 'no client error')
  t.equal(out.serverError, null, 'no server error')
  t.deepEqual(out.result!.authenticatedBy, ['code', 'server-key'], 'both safeguards')
  t.ok(Buffer.from(out.result!.serverPublicKey!).equals(serverKeys.publicKey), 'server key reported')
  t.equal(out.issued!.codeUsed, true, 'server records that a code was used')
  t.equal(out.log[1]!.message.length, 132, 'a signed SERVER_HELLO is 132 bytes')
  t.notOk(code.usable, 'the code is consumed')
  t.end()
})

test('a code typed differently (spaces, dashes, case) still matches', (t) => {
  const out = runMachines(new EnrollmentClient({ code: ' ab-CD 12 ' }), new EnrollmentServer({ code: 'abcd12' }))
  t.equal(out.clientError, null, 'no client error')
  t.ok(out.result, 'enrolled')
  t.end()
})

test('a signing server also works for a client that does not know its key (key learned, not authenticated)', (t) => {
  const out = runMachines(new EnrollmentClient(), new EnrollmentServer({ keyPair: serverKeys }))
  t.ok(out.result, 'enrolled')
  t.ok(Buffer.from(out.result!.serverPublicKey!).equals(serverKeys.publicKey), 'server key learned')
  t.deepEqual(out.result!.authenticatedBy, [], 'but not authenticated')
  t.end()
})

test('RSA keys, as the document says', (t) => {
  const out = runMachines(new EnrollmentClient(), new EnrollmentServer({ keyType: 'rsa' }))
  t.equal(out.clientError, null, 'no client error')
  const key = out.result!.key
  t.equal(key.type, 'rsa', 'an RSA key')
  if (key.type !== 'rsa') return t.end()
  const priv = createPrivateKey(key.privateKeyPem)
  t.equal(priv.asymmetricKeyType, 'rsa', 'PEM parses as RSA')
  t.equal(priv.asymmetricKeyDetails?.modulusLength, 2048, '2048-bit modulus')
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' })
  t.ok(Buffer.from(out.issued!.publicKey).equals(spki), 'server recorded the matching public key')
  t.equal(key.id, out.issued!.id, 'same id on both sides')
  t.ok(out.issued!.id.startsWith('rsa:sha256:'), 'RSA id form')
  t.end()
})

test('a client that accepts only Ed25519 refuses an RSA key', (t) => {
  const out = runMachines(new EnrollmentClient({ acceptKeyTypes: ['ed25519'] }), new EnrollmentServer({ keyType: 'rsa' }))
  t.equal(out.clientError?.code, 'ERR_PROTOCOL', 'ERR_PROTOCOL')
  t.equal(out.result, null, 'no result')
  t.end()
})

test('every secret is zeroed when the machines finish', (t) => {
  const client = new EnrollmentClient({ code: '123456' })
  const server = new EnrollmentServer({ code: '123456', keyPair: serverKeys })
  runMachines(client, server)
  const secrets = [...client.secretBuffersForTesting(), ...server.secretBuffersForTesting()]
  t.ok(secrets.length >= 8, `${secrets.length} secrets tracked`)
  t.ok(secrets.every((s) => s.every((b) => b === 0)), 'all zero')
  t.end()
})

test('calls out of turn are ERR_INVALID_STATE and poison the machine', (t) => {
  const client = new EnrollmentClient()
  t.throws(() => client.receive(new Uint8Array(36)), /out of turn/, 'receive before start')
  t.equal(client.phase, 'failed', 'client poisoned')
  const c2 = new EnrollmentClient()
  c2.start()
  try { c2.start(); t.fail('second start') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_STATE', 'second start is ERR_INVALID_STATE') }
  const server = new EnrollmentServer()
  try { server.receive(Uint8Array.of(MessageType.RESPONSE, 1, ...new Uint8Array(32))); t.fail('response first') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_PROTOCOL', 'a RESPONSE before any hello is ERR_PROTOCOL') }
  try { server.receive(new Uint8Array(37)); t.fail('after failure') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_STATE', 'a failed server refuses further input') }
  t.end()
})

test('invalid options are ERR_INVALID_ARGUMENT', (t) => {
  for (const [name, make] of [
    ['maxAttempts 0', () => new EnrollmentClient({ maxAttempts: 0 })],
    ['maxAttempts 256', () => new EnrollmentServer({ maxAttempts: 256 })],
    ['empty code', () => new EnrollmentClient({ code: ' - ' })],
    ['short server key', () => new EnrollmentClient({ serverPublicKey: new Uint8Array(31) })],
    ['bad key type', () => new EnrollmentServer({ keyType: 'dsa' as never /* deliberately outside the KeyType union */ })]
  ] as const) {
    try { make(); t.fail(name) } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_ARGUMENT', name) }
  }
  t.end()
})

test('wiping never touches the caller\'s buffers (Buffer#slice is a view)', (t) => {
  const codeBuffer = Buffer.from('secret-code')
  const serverKey = Buffer.from(serverKeys.publicKey)
  const code = new EnrollmentCode(Buffer.from('secret-code'))
  const out = runMachines(new EnrollmentClient({ code: codeBuffer, serverPublicKey: serverKey }), new EnrollmentServer({ code, keyPair: serverKeys }))
  t.ok(out.result, 'enrolled with Buffer inputs')
  t.equal(codeBuffer.toString(), 'secret-code', 'the caller\'s code buffer is intact')
  t.ok(serverKey.equals(Buffer.from(serverKeys.publicKey)), 'the caller\'s server key is intact')
  t.end()
})

test('secrets are zeroed after a failure too', (t) => {
  const client = new EnrollmentClient({ code: 'aaa', maxAttempts: 2 })
  const server = new EnrollmentServer({ code: 'bbb', keyPair: serverKeys, maxAttempts: 2 })
  const out = runMachines(client, server)
  t.equal(out.clientError?.code, 'ERR_INVALID_TOKEN', 'failed as expected')
  t.equal(client.phase, 'failed', 'client failed')
  t.equal(server.phase, 'failed', 'server failed')
  const secrets = [...client.secretBuffersForTesting(), ...server.secretBuffersForTesting()]
  t.ok(secrets.length > 0 && secrets.every((s) => s.every((b) => b === 0)), `all ${secrets.length} secrets zero`)
  t.end()
})
