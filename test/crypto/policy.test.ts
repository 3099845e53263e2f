/**
 * The point-validation rules in lib/crypto/policy.ts compare bytes; here each is checked against
 * its definition in BigInt arithmetic (y < p, y mod p in the 8-torsion list, S < L) on every edge
 * the byte comparisons could get wrong (p - 1, p, p + 18, L - 1, L, the sign bit, each byte
 * position one above or below the bound) and on random inputs.
 */
import test from 'tape'
import fc from 'fast-check'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { hasSmallOrderEdwardsEncoding, isCanonicalEdwardsEncoding, passesSignaturePrechecks } from '../../lib/crypto/policy.js'
import { hex } from '../helpers/vectors.js'

const P = (1n << 255n) - 19n
const L = ed25519.Point.Fn.ORDER
/** `n` as 32 little-endian bytes. */
const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)
const y = (enc: Uint8Array): bigint => bytesToNumberLE(enc) & ((1n << 255n) - 1n)
const smallOrderY = new Set(ED25519_TORSION_SUBGROUP.map((x) => y(hex(x) as Uint8Array) % P))

const canonical = (enc: Uint8Array): boolean => y(enc) < P
const smallOrder = (enc: Uint8Array): boolean => smallOrderY.has(y(enc) % P)
const scalarOk = (sig: Uint8Array): boolean => bytesToNumberLE(sig.subarray(32, 64)) < L

/** Values around each bound, with and without the sign bit, and one byte off the bound at every position. */
function edges(): Uint8Array[] {
  const out: Uint8Array[] = []
  const around = [0n, 1n, 2n, P - 2n, P - 1n, L - 1n, L, L + 1n, (1n << 255n) - 1n, (1n << 256n) - 1n]
  for (let k = 0n; k <= 18n; k++) around.push(P + k)
  for (const s of smallOrderY) around.push(s, s + 1n, s - 1n >= 0n ? s - 1n : 0n)
  for (const bound of [P, L]) {
    for (let i = 0; i < 32; i++) {
      const up = bound + (1n << BigInt(8 * i))
      const down = bound - (1n << BigInt(8 * i))
      if (up < 1n << 256n) around.push(up)
      if (down >= 0n) around.push(down)
    }
  }
  for (const n of around) {
    const enc = le(n & ((1n << 256n) - 1n))
    out.push(enc)
    const flipped = Uint8Array.from(enc)
    flipped[31]! ^= 0x80
    out.push(flipped)
  }
  for (const x of ED25519_TORSION_SUBGROUP) out.push(hex(x) as Uint8Array)
  return out
}

test('policy: canonical and small-order decisions equal their BigInt definitions on every edge', (t) => {
  let wrong = 0
  for (const enc of edges()) {
    if (isCanonicalEdwardsEncoding(enc) !== canonical(enc)) wrong++
    if (hasSmallOrderEdwardsEncoding(enc) !== smallOrder(enc)) {
      wrong++
      t.comment(`small order differs for ${Buffer.from(enc).toString('hex')}`)
    }
  }
  t.equal(wrong, 0, 'no decision differs')
  // libsodium's blacklist includes the non-canonical p and p + 1 (y = 0 and 1), both signs.
  for (const k of [0n, 1n]) {
    const enc = le(P + k)
    t.ok(hasSmallOrderEdwardsEncoding(enc), `y = p+${k} is of small order`)
    enc[31]! |= 0x80
    t.ok(hasSmallOrderEdwardsEncoding(enc), `y = p+${k} with the sign bit is of small order`)
  }
  t.ok(hasSmallOrderEdwardsEncoding(new Uint8Array(31)), 'a short encoding fails closed')
  t.notOk(isCanonicalEdwardsEncoding(new Uint8Array(31)), 'a short encoding is not canonical')
  t.end()
})

test('policy: signature prechecks equal their BigInt definitions (S at L - 1, L, above; R and A hostile)', (t) => {
  const goodR = ed25519.Point.BASE.multiply(12345n).toBytes()
  const goodA = ed25519.Point.BASE.multiply(67890n).toBytes()
  let wrong = 0
  const check = (sig: Uint8Array, pk: Uint8Array): void => {
    const expected = scalarOk(sig) && !smallOrder(sig.subarray(0, 32)) && canonical(pk) && !smallOrder(pk)
    if (passesSignaturePrechecks(sig, pk) !== expected) wrong++
  }
  const all = edges()
  for (const s of all) check(Uint8Array.from([...goodR, ...s]), goodA)
  for (const r of all) check(Uint8Array.from([...r, ...le(1n)]), goodA)
  for (const a of all) check(Uint8Array.from([...goodR, ...le(1n)]), a)
  t.equal(wrong, 0, `no decision differs over ${3 * all.length} signature/key pairs`)
  t.notOk(passesSignaturePrechecks(new Uint8Array(63), goodA), 'a short signature fails')
  t.notOk(passesSignaturePrechecks(new Uint8Array(64), new Uint8Array(31)), 'a short key fails')
  t.end()
})

test('policy: random encodings and signatures decide as the BigInt definitions do', (t) => {
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
  // Random bytes, and bytes forced near the top (where p and L bite: 0x7f.., 0xff.., 0x10..).
  const nearTop = fc.tuple(bytes32, fc.constantFrom(0x7f, 0xff, 0x10, 0x0f, 0x00), fc.integer({ min: 1, max: 31 }))
    .map(([b, top, keep]) => {
      const out = Uint8Array.from(b)
      for (let i = keep; i < 31; i++) out[i] = top === 0x10 || top === 0x0f ? 0 : 0xff
      out[31] = top
      return out
    })
  const enc = fc.oneof(bytes32, nearTop)
  fc.assert(fc.property(enc, (e) => isCanonicalEdwardsEncoding(e) === canonical(e) && hasSmallOrderEdwardsEncoding(e) === smallOrder(e)), { numRuns: 3000 })
  fc.assert(fc.property(enc, enc, enc, (r, s, a) => {
    const sig = Uint8Array.from([...r, ...s])
    const expected = scalarOk(sig) && !smallOrder(r) && canonical(a) && !smallOrder(a)
    return passesSignaturePrechecks(sig, a) === expected
  }), { numRuns: 3000 })
  t.pass('3000 encodings and 3000 signature/key triples agree')
  t.end()
})
