/**
 * An asynchronous curve (WebCrypto) against a synchronous reference backend: the same bytes on
 * random inputs and the same accept/reject decisions on every hostile input libsodium 1.0.18
 * refuses. Runs in Node (test/crypto/webcrypto.test.ts) and in the Chromium page (page.ts), so it
 * uses no Buffer.
 *
 * Also counts how many small-order S = 0 forgeries the runtime's WebCrypto accepts on its own,
 * without `policy.ts`'s prechecks (informational: why the prechecks run first).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import type { AsyncCurveBackend, CryptoBackend } from '../../lib/crypto/backend.js'
import { concatBytes } from '../../lib/bytes.js'
import { BAD_ED25519, LOW_ORDER_X25519, NON_CANONICAL_ED25519, SMALL_ORDER_ED25519, malleate } from './points.js'

/** What {@link curveAgreement} found. */
export interface CurveAgreement {
  checks: number
  disagreements: string[]
  /** S = 0 forgeries on small-order keys that the runtime's bare WebCrypto verify accepted. */
  bareForgeriesAccepted: number
  /** Small-order and non-canonical keys the bare WebCrypto imports and verifies with (not refused outright). */
  bareForgeriesTried: number
}

const P = (1n << 255n) - 19n
const L = (1n << 252n) + 27742317777372353535851937790883648493n

/** `n` as 32 little-endian bytes. */
const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)

function random(n: number): Uint8Array {
  const out = new Uint8Array(n)
  globalThis.crypto.getRandomValues(out)
  return out
}

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => (a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]))


/**
 * A key with a small-order component (A = 8·a·B + T) and two signatures under it: one whose
 * challenge k is a multiple of 8, so the torsion part vanishes and the cofactorless equation
 * holds (libsodium accepts), and one where it does not (libsodium refuses).
 */
export function mixedOrderCase(): { publicKey: Uint8Array, accepted: [Uint8Array, Uint8Array], rejected: [Uint8Array, Uint8Array] } {
  const a = 987654321n
  const torsion = ed25519.Point.fromBytes(SMALL_ORDER_ED25519.find((p) => !same(p, le(1n)))!, false)
  const publicKey = ed25519.Point.BASE.multiply(a).add(torsion).toBytes()
  const r = 123456789n
  const R = ed25519.Point.BASE.multiply(r).toBytes()
  let accepted: [Uint8Array, Uint8Array] | null = null
  let rejected: [Uint8Array, Uint8Array] | null = null
  for (let i = 0; (!accepted || !rejected) && i < 500; i++) {
    const msg = new TextEncoder().encode(`mixed-order message ${i}`)
    const k = bytesToNumberLE(sha512(concatBytes(R, publicKey, msg))) % L
    const sig = concatBytes(R, le((r + k * a) % L))
    if (k % 8n === 0n) accepted ??= [sig, msg]
    else rejected ??= [sig, msg]
  }
  return { publicKey, accepted: accepted!, rejected: rejected! }
}

type Subtle = {
  importKey(format: 'raw', data: Uint8Array, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<object>
  verify(algorithm: { name: string }, key: object, signature: Uint8Array, data: Uint8Array): Promise<boolean>
}

/** Compares `curve` with `reference`; see the module comment. */
export async function curveAgreement(curve: AsyncCurveBackend, reference: CryptoBackend): Promise<CurveAgreement> {
  const disagreements: string[] = []
  let checks = 0
  const check = (label: string, ok: boolean): void => {
    checks++
    if (!ok) disagreements.push(label)
  }

  // Bytes: keys, shared secrets and signatures on random inputs, fixed and fresh ephemerals.
  for (let i = 0; i < 8; i++) {
    const keyPair = reference.signKeyPairFromSeed(random(32))
    const ephemeral = random(32)
    const session = curve.session(keyPair, ephemeral)
    const peerSecret = random(32)
    const peer = reference.scalarMultBase(peerSecret)
    const message = random(1 + i * 13)
    check('ephemeral public key', same(await session.ephemeralPublic(), reference.scalarMultBase(ephemeral)))
    check('x25519 ephemeral', same(await session.x25519('ephemeral', peer), reference.scalarMult(ephemeral, peer)))
    check('x25519 long-term', same(await session.x25519('long-term', peer), reference.scalarMult(reference.signSecretKeyToCurve(keyPair.secretKey), peer)))
    const signature = await session.sign(message)
    check('sign', same(signature, reference.sign(message, keyPair.secretKey)))
    check('verify', (await session.verify(signature, message, keyPair.publicKey)) === true)
    session.destroy()
    const fresh = curve.session(keyPair)
    const freshPublic = await fresh.ephemeralPublic()
    check('fresh ephemeral agrees with its peer', same(await fresh.x25519('ephemeral', peer), reference.scalarMult(peerSecret, freshPublic)))
    fresh.destroy()
  }

  // X25519: null exactly where libsodium's crypto_scalarmult refuses (all-zero, low order).
  const keyPair = reference.signKeyPairFromSeed(random(32))
  const ephemeral = random(32)
  const session = curve.session(keyPair, ephemeral)
  for (const point of LOW_ORDER_X25519) {
    for (const secret of ['ephemeral', 'long-term'] as const) check(`low-order x25519 (${secret})`, (await session.x25519(secret, point)) === null && reference.scalarMult(ephemeral, point) === null)
  }
  const nonCanonicalNine = le(P + 9n)
  check('x25519 u = p + 9', same(await session.x25519('ephemeral', nonCanonicalNine), reference.scalarMult(ephemeral, nonCanonicalNine)))
  const highNine = le(9n)
  highNine[31]! |= 0x80
  check('x25519 u = 9 with bit 255 set', same(await session.x25519('ephemeral', highNine), reference.scalarMult(ephemeral, highNine)))

  // Ed25519 verification: libsodium 1.0.18's decisions on every hostile signature and key.
  const message = new TextEncoder().encode('hello')
  const signature = reference.sign(message, keyPair.secretKey)
  const withS = (s: Uint8Array): Uint8Array => concatBytes(signature.subarray(0, 32), s)
  const mixed = mixedOrderCase()
  const cases: Array<{ label: string, sig: Uint8Array, msg: Uint8Array, pk: Uint8Array }> = [
    { label: 'valid', sig: signature, msg: message, pk: keyPair.publicKey },
    { label: 'S + L', sig: malleate(signature), msg: message, pk: keyPair.publicKey },
    { label: 'S = L', sig: withS(le(L)), msg: message, pk: keyPair.publicKey },
    { label: 'S = 2^256 - 1', sig: withS(new Uint8Array(32).fill(0xff)), msg: message, pk: keyPair.publicKey },
    { label: 'short signature', sig: signature.subarray(0, 63), msg: message, pk: keyPair.publicKey },
    { label: 'mixed-order key, k ≡ 0 (mod 8)', sig: mixed.accepted[0], msg: mixed.accepted[1], pk: mixed.publicKey },
    { label: 'mixed-order key, k ≢ 0 (mod 8)', sig: mixed.rejected[0], msg: mixed.rejected[1], pk: mixed.publicKey }
  ]
  BAD_ED25519.forEach((point, i) => {
    cases.push({ label: `bad key #${i}`, sig: signature, msg: message, pk: point })
    cases.push({ label: `bad R #${i}`, sig: concatBytes(point, signature.subarray(32)), msg: message, pk: keyPair.publicKey })
  })
  // The classic forgeries: a small-order (or non-canonical) key with R = identity or R = the key, S = 0.
  const forgeries: Array<{ sig: Uint8Array, pk: Uint8Array }> = []
  for (const point of [...SMALL_ORDER_ED25519, ...NON_CANONICAL_ED25519]) {
    for (const R of [le(1n), point]) forgeries.push({ sig: concatBytes(R, new Uint8Array(32)), pk: point })
  }
  forgeries.forEach(({ sig, pk }, i) => cases.push({ label: `S = 0 forgery #${i}`, sig, msg: message, pk }))
  for (const c of cases) {
    const expected = reference.verify(c.sig, c.msg, c.pk)
    check(`${c.label} (libsodium: ${expected})`, (await session.verify(c.sig, c.msg, c.pk)) === expected)
  }
  session.destroy()

  // The same forgeries on the bare WebCrypto, without the prechecks.
  const subtle = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle
  let bareForgeriesAccepted = 0
  let bareForgeriesTried = 0
  if (subtle) {
    for (const { sig, pk } of forgeries) {
      let key: object
      try {
        key = await subtle.importKey('raw', pk, { name: 'Ed25519' }, true, ['verify'])
      } catch {
        continue
      }
      bareForgeriesTried++
      if (await subtle.verify({ name: 'Ed25519' }, key, sig, message).catch(() => false)) bareForgeriesAccepted++
    }
  }
  return { checks, disagreements, bareForgeriesAccepted, bareForgeriesTried }
}
