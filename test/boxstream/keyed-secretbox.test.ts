/**
 * The noble backend's per-key secretbox (XSalsa20 subkey cached per nonce prefix) gives exactly
 * the bytes of plain XSalsa20-Poly1305, including when a box-stream counter carries into byte 15
 * (the last byte of the prefix the subkey is derived from) and beyond, and it fails closed after
 * its wipe. Checked against the stateless noble calls and, where they load, the other backends.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { createNobleBackend } from '../../lib/crypto/noble.js'
import { availableCryptoBackends, createCryptoBackend } from '../../lib/crypto/index.js'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import type { CryptoBackend } from '../../lib/crypto/backend.js'

const noble = createNobleBackend()
const stateless: CryptoBackend = { ...noble, keyedSecretbox: undefined }

/** A nonce whose last `ffs` bytes are 0xff (so the next +1 carries that far). */
function nonceNearCarry(ffs: number, prefixByte = 0x41): Uint8Array {
  const n = new Uint8Array(24).fill(prefixByte)
  for (let i = 24 - ffs; i < 24; i++) n[i] = 0xff
  return n
}

test('keyed seal/open equal the stateless calls across a carry into byte 15 and byte 14', (t) => {
  const key = randomBytes(32)
  const box = noble.keyedSecretbox!(key)
  for (const start of [nonceNearCarry(8), nonceNearCarry(9), nonceNearCarry(10, 0xff), nonceNearCarry(24, 0xff)]) {
    const nonce = Uint8Array.from(start)
    for (let step = 0; step < 4; step++) {
      const plain = randomBytes(1 + step * 100)
      const a = Uint8Array.from(plain), tagA = new Uint8Array(16)
      const b = Uint8Array.from(plain), tagB = new Uint8Array(16)
      box.seal(a, tagA, nonce)
      stateless.secretboxSealDetached(b, tagB, nonce, key)
      t.ok(Buffer.from(a).equals(Buffer.from(b)) && Buffer.from(tagA).equals(Buffer.from(tagB)), `seal equal at nonce …${Buffer.from(nonce.subarray(12)).toString('hex')}`)
      const out = new Uint8Array(a.length)
      t.ok(box.open(out, a, tagA, nonce) && Buffer.from(out).equals(plain), 'open gives the plaintext back')
      // +1 in place, big-endian, as box-stream counts
      for (let i = 23; i >= 0; i--) { if (nonce[i] !== 255) { nonce[i]!++; break } nonce[i] = 0 }
    }
  }
  box.wipe()
  t.throws(() => box.seal(new Uint8Array(4), new Uint8Array(16), new Uint8Array(24)), /wipe/, 'fails closed after wipe')
  t.end()
})

test('box-stream through a counter carry into byte 15: wire bytes identical on every backend, and decodable', (t) => {
  const key = randomBytes(32)
  // Frames use two nonces each; starting 3 below the carry puts it inside the second frame.
  const start = nonceNearCarry(8)
  start[23] = 0xfc
  const plain = randomBytes(5 * 4096 + 17)
  const reference = new BoxEncoder(key, start, stateless).encode(plain)
  const backends: Array<[string, CryptoBackend]> = [['noble keyed', noble]]
  for (const name of availableCryptoBackends()) backends.push([name, createCryptoBackend(name)])
  for (const [name, backend] of backends) {
    const wire = new BoxEncoder(key, start, backend).encode(plain)
    t.ok(Buffer.from(wire).equals(reference), `${name}: the same wire bytes as stateless XSalsa20`)
    const got: Buffer[] = []
    new BoxDecoder(key, start, backend).push(reference, (p) => got.push(Buffer.from(p)))
    t.ok(Buffer.concat(got).equals(plain), `${name}: decodes them`)
  }
  t.end()
})
