/**
 * The hostile points every SHS1 implementation must refuse, as 32-byte encodings.
 *
 * X25519 (little-endian u-coordinates; RFC 7748 masks bit 255, so each value is listed with the
 * high bit clear and set):
 * ```
 * 0, 1                       order 4 / order 1 after clamping: DH result all zero
 * e0eb7a7c…b800, 5f9c95bc…1157   the two points of order 8
 * p-1, p, p+1                u = -1 (order 2) and the non-canonical encodings of 0 and 1
 * ```
 * This is libsodium's `crypto_scalarmult` blacklist plus its high-bit twins.
 *
 * Ed25519 (little-endian y with the sign of x in bit 255): the eight points of the torsion
 * subgroup as noble lists them, each with the sign bit flipped, and every non-canonical encoding
 * (y in [p, 2^255), either sign), some of which decode to points and some of which do not.
 */
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'

const P = (1n << 255n) - 19n

/** The 32-byte little-endian encoding of `n` (n < 2^256). */
function littleEndian32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

function withHighBit(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  out[31] = out[31]! | 0x80
  return out
}

/** Bytes from hex, without Buffer: this module also runs in the browser test page. */
function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

function unique(list: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>()
  return list.filter((b) => {
    const key = b.join(',')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const X25519_BASE: Uint8Array[] = [
  littleEndian32(0n),
  littleEndian32(1n),
  fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
  littleEndian32(P - 1n),
  littleEndian32(P),
  littleEndian32(P + 1n)
]

/** Every low-order (or degenerate) X25519 public key encoding: 7 values, each with bit 255 clear and set. */
export const LOW_ORDER_X25519: readonly Uint8Array[] = unique([...X25519_BASE, ...X25519_BASE.map(withHighBit)])

const TORSION = ED25519_TORSION_SUBGROUP.map(fromHex)

/** The Ed25519 small-order points: the torsion subgroup and its sign-flipped encodings (10 distinct). */
export const SMALL_ORDER_ED25519: readonly Uint8Array[] = unique([...TORSION, ...TORSION.map((t) => {
  const out = t.slice()
  out[31] = out[31]! ^ 0x80
  return out
})])

/** Every non-canonical Ed25519 encoding: y = p … 2^255-1, with the sign bit clear and set (38 values). */
export const NON_CANONICAL_ED25519: readonly Uint8Array[] = (() => {
  const out: Uint8Array[] = []
  for (let y = P; y < 1n << 255n; y++) {
    out.push(littleEndian32(y))
    out.push(withHighBit(littleEndian32(y)))
  }
  return out
})()

/** Small-order and non-canonical Ed25519 encodings together: no long-term key or signature R may be one of these. */
export const BAD_ED25519: readonly Uint8Array[] = unique([...SMALL_ORDER_ED25519, ...NON_CANONICAL_ED25519])

/** The group order L of Ed25519, for making non-canonical signature scalars (S + L). */
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n

/** Little-endian bytes to bigint. */
function fromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/** A copy of `signature` whose scalar S is replaced by S + L: the same equation, a non-canonical encoding. */
export function malleate(signature: Uint8Array): Uint8Array {
  const out = signature.slice()
  out.set(littleEndian32(fromLittleEndian(signature.subarray(32, 64)) + ED25519_L), 32)
  return out
}
