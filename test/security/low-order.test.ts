/**
 * Hostile points: every low-order Curve25519 ephemeral key (with a valid app-key hmac, which anyone
 * on the main network can compute) and every small-order or non-canonical Ed25519 long-term key or
 * signature R is refused with a typed error, and all-zero DH results never come out of the backend.
 *
 * This is the reference implementation's process crash (one 64-byte hello) and the Cremers–Jackson
 * capability bypass (low-order ephemeral + small-order long-term key + universal signature).
 */
import test from 'tape'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from '../../lib/errors.js'
import { ClientHandshake } from '../../lib/handshake/index.js'
import { allZero, attempt, boxZeroNonce, cat, clientAt, fixture, helloFor, serverAt } from '../fuzz/harness.js'
import { BAD_ED25519, LOW_ORDER_X25519, NON_CANONICAL_ED25519, SMALL_ORDER_ED25519, malleate } from '../helpers/points.js'

const f = fixture()
const real = getCryptoBackend()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function codeOf(fn: () => unknown): ErrorCode | 'ok' | string {
  const out = attempt(fn)
  if (out.ok) return 'ok'
  return out.error instanceof SecretChannelError ? out.error.code : `untyped: ${String(out.error)}`
}

test('the point lists are what they claim', (t) => {
  t.equal(LOW_ORDER_X25519.length, 14, '7 low-order X25519 encodings, each with bit 255 clear and set')
  // noble's list already holds both signs of three points; flipping adds the other five: 8 + 2 distinct.
  t.equal(SMALL_ORDER_ED25519.length, 10, '8 torsion encodings plus the sign-flipped twins not already listed')
  t.equal(NON_CANONICAL_ED25519.length, 38, 'y = p … 2^255-1, both signs')
  t.end()
})

test('the backend never returns an all-zero X25519 result: every low-order point gives null', (t) => {
  const secrets = [f.clientEphemeral, f.serverEphemeral, real.randomBytes(32), real.signSecretKeyToCurve(f.server.secretKey)]
  const leaked: string[] = []
  for (const p of LOW_ORDER_X25519) {
    for (const s of secrets) {
      const r = real.scalarMult(s, p)
      if (r !== null) leaked.push(`${hex(p)} -> ${hex(r)}`)
    }
  }
  t.deepEqual(leaked, [], `${LOW_ORDER_X25519.length * secrets.length} products refused`)
  t.ok(real.scalarMult(f.clientEphemeral, real.scalarMultBase(f.serverEphemeral)), 'an honest DH still works')
  t.end()
})

test('server: a client hello with a valid hmac around any low-order ephemeral key is ERR_PROTOCOL (no crash), machine wiped', (t) => {
  const wrong: string[] = []
  for (const p of LOW_ORDER_X25519) {
    const s = serverAt(f, 'await-hello')
    const code = codeOf(() => s.receiveHello(helloFor(f.crypto, f.appKey, p)))
    if (code !== ErrorCodes.PROTOCOL || s.phase !== 'failed' || !allZero(s.secretBuffersForTesting())) wrong.push(`${hex(p)}: ${code}`)
  }
  t.deepEqual(wrong, [], `all ${LOW_ORDER_X25519.length} refused`)
  t.end()
})

test('client: a server hello with a valid hmac around any low-order ephemeral key is ERR_PROTOCOL, machine wiped', (t) => {
  const wrong: string[] = []
  for (const p of LOW_ORDER_X25519) {
    const c = clientAt(f, 'await-hello')
    const code = codeOf(() => c.receiveHello(helloFor(f.crypto, f.appKey, p)))
    if (code !== ErrorCodes.PROTOCOL || c.phase !== 'failed' || !allZero(c.secretBuffersForTesting())) wrong.push(`${hex(p)}: ${code}`)
  }
  t.deepEqual(wrong, [], `all ${LOW_ORDER_X25519.length} refused`)
  t.end()
})

test('client: dialing a small-order or non-canonical server key is ERR_INVALID_ARGUMENT before anything is sent', (t) => {
  const wrong: string[] = []
  for (const key of BAD_ED25519) {
    const code = codeOf(() => new ClientHandshake({ appKey: f.appKey, keyPair: f.client, serverPublicKey: key, crypto: f.crypto }))
    if (code !== ErrorCodes.INVALID_ARGUMENT) wrong.push(`${hex(key)}: ${code}`)
  }
  t.deepEqual(wrong, [], `all ${BAD_ED25519.length} refused`)
  t.end()
})

/** msg3 carrying `inner` (sig ‖ Ap), boxed with the right key3, so only the key and signature checks can stop it. */
const msg3With = (inner: Uint8Array): Uint8Array => boxZeroNonce(f.crypto, inner, f.key3)
/** msg4 carrying `sig`, boxed with the right key4. */
const msg4With = (sig: Uint8Array): Uint8Array => boxZeroNonce(f.crypto, sig, f.key4)

test('server: a client long-term key that is small-order or non-canonical is ERR_PROTOCOL, whatever universal signature comes with it', (t) => {
  const identity = SMALL_ORDER_ED25519[0]!
  const wrong: string[] = []
  let tried = 0
  for (const ap of BAD_ED25519) {
    // R = identity or R = Ap with S = 0: the cofactorless equation [S]B = R + [k]A holds for
    // small-order A whenever [k]A = R, which is the forgery a strict verifier must refuse up front.
    for (const r of [identity, ap]) {
      tried++
      const s = serverAt(f, 'await-auth')
      const code = codeOf(() => s.receiveAuth(msg3With(cat(r, new Uint8Array(32), ap))))
      if (code !== ErrorCodes.PROTOCOL || !allZero(s.secretBuffersForTesting())) wrong.push(`Ap ${hex(ap)} R ${hex(r)}: ${code}`)
    }
    tried++
    const s = serverAt(f, 'await-auth')
    const code = codeOf(() => s.receiveAuth(msg3With(cat(f.sigA, ap))))
    if (code !== ErrorCodes.PROTOCOL) wrong.push(`Ap ${hex(ap)} with the honest signature: ${code}`)
  }
  t.deepEqual(wrong, [], `${tried} hostile client keys refused`)
  t.ok(attempt(() => serverAt(f, 'await-auth').receiveAuth(msg3With(cat(f.sigA, f.client.publicKey)))).ok, 'the honest inner still passes')
  t.end()
})

test('server: a client signature whose R is small-order or non-canonical, or whose S is not reduced, is ERR_PROTOCOL', (t) => {
  const wrong: string[] = []
  const sigs = [...BAD_ED25519.flatMap((r) => [cat(r, f.sigA.subarray(32)), cat(r, new Uint8Array(32))]), malleate(f.sigA)]
  for (const sig of sigs) {
    const s = serverAt(f, 'await-auth')
    const code = codeOf(() => s.receiveAuth(msg3With(cat(sig, f.client.publicKey))))
    if (code !== ErrorCodes.PROTOCOL) wrong.push(`${hex(sig)}: ${code}`)
  }
  t.deepEqual(wrong, [], `${sigs.length} hostile signatures refused`)
  t.end()
})

test('client: a server signature whose R is small-order or non-canonical, or whose S is not reduced, is ERR_SERVER_KEY_MISMATCH', (t) => {
  const wrong: string[] = []
  const sigs = [...BAD_ED25519.flatMap((r) => [cat(r, f.sigB.subarray(32)), cat(r, new Uint8Array(32))]), malleate(f.sigB)]
  for (const sig of sigs) {
    const c = clientAt(f, 'await-accept')
    const code = codeOf(() => c.receiveAccept(msg4With(sig)))
    if (code !== ErrorCodes.SERVER_KEY_MISMATCH || !allZero(c.secretBuffersForTesting())) wrong.push(`${hex(sig)}: ${code}`)
  }
  t.deepEqual(wrong, [], `${sigs.length} hostile signatures refused`)
  t.ok(attempt(() => clientAt(f, 'await-accept').receiveAccept(msg4With(f.sigB))).ok, 'the honest signature still passes')
  t.end()
})

test('the backend: verify and key conversion refuse every bad Ed25519 encoding', (t) => {
  const msg = new Uint8Array(96)
  const wrong: string[] = []
  for (const key of BAD_ED25519) {
    if (real.signPublicKeyToCurve(key) !== null) wrong.push(`pk_to_curve accepted ${hex(key)}`)
    if (real.verify(cat(SMALL_ORDER_ED25519[0]!, new Uint8Array(32)), msg, key)) wrong.push(`verify accepted a universal signature for ${hex(key)}`)
    if (real.verify(cat(key, new Uint8Array(32)), msg, key)) wrong.push(`verify accepted R = A = ${hex(key)}, S = 0`)
  }
  t.deepEqual(wrong, [], `${BAD_ED25519.length} encodings refused by both`)
  t.end()
})
