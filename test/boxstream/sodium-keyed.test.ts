/**
 * sodium-native's keyed secretbox calls the addon's binding without its JS argument checks, so it
 * checks every length itself: the binding asserts them in C, and a failed C assertion would abort
 * the whole process. Equal to the stateless backend calls; bad lengths are refused, not fatal.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { availableCryptoBackends, createCryptoBackend } from '../../lib/crypto/index.js'

const available = availableCryptoBackends().includes('sodium-native')

test('sodium-native keyed secretbox: same bytes as the stateless calls, sealFrom included', { skip: !available }, (t) => {
  const sodium = createCryptoBackend('sodium-native')
  const key = randomBytes(32)
  const box = sodium.keyedSecretbox!(key)
  for (const size of [0, 1, 18, 4096]) {
    const nonce = randomBytes(24)
    const message = randomBytes(size)
    const inPlace = Buffer.from(message), tagA = new Uint8Array(16)
    box.seal(inPlace, tagA, nonce)
    const stateless = Buffer.from(message), tagB = new Uint8Array(16)
    sodium.secretboxSealDetached(stateless, tagB, nonce, key)
    const from = Buffer.alloc(size), tagC = new Uint8Array(16)
    box.sealFrom!(from, tagC, message, nonce)
    t.ok(inPlace.equals(stateless) && from.equals(stateless), `${size} bytes: ciphertexts equal`)
    t.ok(Buffer.from(tagA).equals(Buffer.from(tagB)) && Buffer.from(tagC).equals(Buffer.from(tagB)), `${size} bytes: tags equal`)
    const out = Buffer.alloc(size)
    t.ok(box.open(out, stateless, tagB, nonce) && out.equals(message), `${size} bytes: opens to the message`)
  }
  t.end()
})

test('sodium-native keyed secretbox: wrong lengths are refused in JS, never reach the C asserts', { skip: !available }, (t) => {
  const sodium = createCryptoBackend('sodium-native')
  const box = sodium.keyedSecretbox!(randomBytes(32))
  const nonce = randomBytes(24)
  t.equal(box.open(new Uint8Array(10), new Uint8Array(10), new Uint8Array(15), nonce), false, 'short tag: false')
  t.equal(box.open(new Uint8Array(9), new Uint8Array(10), new Uint8Array(16), nonce), false, 'out shorter than cipher: false')
  t.equal(box.open(new Uint8Array(10), new Uint8Array(10), new Uint8Array(16), nonce.subarray(1)), false, 'short nonce: false')
  t.throws(() => box.sealFrom!(new Uint8Array(9), new Uint8Array(16), new Uint8Array(10), nonce), RangeError, 'sealFrom with out shorter than message throws')
  t.throws(() => box.seal(new Uint8Array(10), new Uint8Array(17), nonce), RangeError, 'seal with a long tag throws')
  t.throws(() => sodium.keyedSecretbox!(new Uint8Array(31)), RangeError, 'a 31-byte key is refused')
  box.wipe()
  t.throws(() => box.seal(new Uint8Array(10), new Uint8Array(16), nonce), RangeError, 'seal after wipe throws')
  t.equal(box.open(new Uint8Array(10), new Uint8Array(10), new Uint8Array(16), nonce), false, 'open after wipe: false')
  t.end()
})
