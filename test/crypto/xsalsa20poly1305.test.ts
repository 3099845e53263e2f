/**
 * The pure-JS backend's own XSalsa20-Poly1305 (lib/crypto/xsalsa20poly1305.ts, used by the noble
 * backend's secretbox and keyed secretbox) against libsodium — sodium-native and libsodium's WASM
 * build, whichever load — and against @noble/ciphers' independent `xsalsa20poly1305`: the same
 * ciphertext and tag for random keys, nonces, lengths (every Poly1305 and Salsa20 block boundary,
 * beyond the engine's 4 KiB scratch) and odd offsets; a flipped bit anywhere is refused without
 * writing; in-place open; nothing left in the scratch.
 */
import test from 'tape'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { availableCryptoBackends, createCryptoBackend, cryptoReady, type CryptoBackend } from '../../lib/crypto/index.js'
import { createNobleBackend } from '../../lib/crypto/noble.js'
import { SecretboxEngine, hsalsa20 } from '../../lib/crypto/xsalsa20poly1305.js'

await cryptoReady()
const libsodium: CryptoBackend[] = availableCryptoBackends().filter((n) => n === 'sodium-native' || n === 'wasm').map((n) => createCryptoBackend(n))
const noble = createNobleBackend()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** libsodium's answer (the first libsodium backend), or @noble/ciphers' where none loads. */
function reference(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): { cipher: Uint8Array; tag: Uint8Array } {
  const sodium = libsodium[0]
  if (sodium) {
    const cipher = Uint8Array.from(message)
    const tag = new Uint8Array(16)
    sodium.secretboxSealDetached(cipher, tag, nonce, key)
    return { cipher, tag }
  }
  const sealed = xsalsa20poly1305(key, nonce).encrypt(message)
  return { cipher: sealed.subarray(16), tag: sealed.subarray(0, 16) }
}

/** Seals `message` with the noble backend at byte `offset` of a larger buffer (box-stream bodies sit at odd offsets). */
function nobleSeal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array, offset: number, keyed: boolean): { cipher: Uint8Array; tag: Uint8Array } {
  const host = new Uint8Array(offset + message.length + 5).fill(0xee)
  const data = host.subarray(offset, offset + message.length)
  data.set(message)
  const tag = new Uint8Array(16)
  if (keyed) {
    const box = noble.keyedSecretbox!(key)
    box.seal(data, tag, nonce)
    box.wipe()
  } else {
    noble.secretboxSealDetached(data, tag, nonce, key)
  }
  const untouched = host.subarray(0, offset).every((b) => b === 0xee) && host.subarray(offset + message.length).every((b) => b === 0xee)
  if (!untouched) throw new Error('seal wrote outside its data')
  return { cipher: Uint8Array.from(data), tag }
}

test('xsalsa20poly1305: the references agree with each other (libsodium and @noble/ciphers)', (t) => {
  t.ok(libsodium.length > 0, `libsodium loads here (${libsodium.map((b) => b.name).join(', ')})`)
  for (const length of [0, 1, 17, 4096]) {
    const key = randomBytes(32), nonce = randomBytes(24), message = randomBytes(length)
    const sealed = xsalsa20poly1305(key, nonce).encrypt(message)
    for (const sodium of libsodium) {
      const cipher = Uint8Array.from(message), tag = new Uint8Array(16)
      sodium.secretboxSealDetached(cipher, tag, nonce, key)
      t.equal(hex(tag) + hex(cipher), hex(sealed), `${sodium.name} = @noble/ciphers at ${length} bytes`)
    }
  }
  t.end()
})

test('xsalsa20poly1305: every length around the block boundaries and past the scratch, seal and open, both entry points', (t) => {
  const lengths = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 18, 31, 32, 33, 34, 47, 48, 49, 63, 64, 65, 80, 95, 96, 97, 127, 128, 129, 4031, 4032, 4033, 4095, 4096, 4097, 4160, 5000, 65536 + 7]
  let wrong = 0
  for (const length of lengths) {
    const key = randomBytes(32), nonce = randomBytes(24), message = randomBytes(length)
    const want = reference(message, nonce, key)
    for (const keyed of [false, true]) {
      const got = nobleSeal(message, nonce, key, length % 7, keyed)
      if (hex(got.cipher) !== hex(want.cipher) || hex(got.tag) !== hex(want.tag)) {
        wrong++
        t.comment(`seal differs at ${length} bytes (keyed: ${keyed})`)
      }
      const out = new Uint8Array(length)
      const opened = keyed ? noble.keyedSecretbox!(key).open(out, want.cipher, want.tag, nonce) : noble.secretboxOpenDetached(out, want.cipher, want.tag, nonce, key)
      if (!opened || hex(out) !== hex(message)) {
        wrong++
        t.comment(`open fails at ${length} bytes (keyed: ${keyed})`)
      }
    }
  }
  t.equal(wrong, 0, `${lengths.length} lengths: the same bytes as libsodium, and they open`)
  t.end()
})

test('hsalsa20: the subkey @noble/ciphers computes, for random keys and nonces', (t) => {
  const sigma = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
  const words = (b: Uint8Array): Uint32Array => new Uint32Array(Uint8Array.from(b).buffer)
  let differ = 0
  for (let i = 0; i < 200; i++) {
    const key = randomBytes(32), nonce = randomBytes(24)
    if (i === 0) nonce.fill(0xff, 0, 16) // every word at its maximum: the subtraction must wrap
    const ours = new Uint32Array(8), theirs = new Uint32Array(8)
    hsalsa20(words(key), nonce, ours)
    hsalsa(sigma, words(key), words(nonce.subarray(0, 16)), theirs)
    if (ours.some((w, j) => w !== theirs[j])) differ++
  }
  t.equal(differ, 0, '200 subkeys equal')
  t.end()
})

test('xsalsa20poly1305: the byte-by-byte word path (big-endian platforms) gives the same bytes', (t) => {
  const byteByByte = new SecretboxEngine({ byteByByte: true })
  let wrong = 0
  for (const length of [0, 1, 3, 4, 5, 18, 31, 32, 33, 63, 64, 65, 4095, 4096, 4097, 9000]) {
    const key = randomBytes(32), nonce = randomBytes(24), message = randomBytes(length)
    const want = reference(message, nonce, key)
    const subkey = new Uint32Array(8)
    hsalsa20(new Uint32Array(Uint8Array.from(key).buffer), nonce, subkey)
    const data = Uint8Array.from(message), tag = new Uint8Array(16)
    byteByByte.seal(subkey, nonce, data, tag)
    if (hex(data) !== hex(want.cipher) || hex(tag) !== hex(want.tag)) wrong++
    const out = new Uint8Array(length)
    if (!byteByByte.open(subkey, nonce, out, want.cipher, want.tag) || hex(out) !== hex(message)) wrong++
  }
  t.equal(wrong, 0, 'seal and open equal libsodium at 16 lengths')
  t.end()
})

test('xsalsa20poly1305: random keys, nonces, lengths and offsets give libsodium\'s bytes', (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ minLength: 24, maxLength: 24 }),
    fc.uint8Array({ minLength: 0, maxLength: 4200 }),
    fc.integer({ min: 0, max: 7 }),
    fc.boolean(),
    (key, nonce, message, offset, keyed) => {
      const want = reference(message, nonce, key)
      const got = nobleSeal(message, nonce, key, offset, keyed)
      return hex(got.cipher) === hex(want.cipher) && hex(got.tag) === hex(want.tag)
    }
  ), { numRuns: 400 })
  t.pass('400 random boxes equal')
  t.end()
})

test('xsalsa20poly1305: a flipped bit in the ciphertext or the tag is refused and nothing is written', (t) => {
  const key = randomBytes(32), nonce = randomBytes(24)
  let accepted = 0
  let written = 0
  for (const length of [1, 16, 33, 100, 4096]) {
    const { cipher, tag } = reference(randomBytes(length), nonce, key)
    for (let trial = 0; trial < 40; trial++) {
      const c = Uint8Array.from(cipher), g = Uint8Array.from(tag)
      const inTag = trial % 3 === 0
      const at = inTag ? trial % 16 : (trial * 7919) % length
      if (inTag) g[at]! ^= 1 << (trial % 8)
      else c[at]! ^= 1 << (trial % 8)
      const out = new Uint8Array(length).fill(0x5a)
      if (noble.secretboxOpenDetached(out, c, g, nonce, key)) accepted++
      if (noble.keyedSecretbox!(key).open(out, c, g, nonce)) accepted++
      if (!out.every((b) => b === 0x5a)) written++
    }
  }
  t.equal(accepted, 0, 'no tampered box opens')
  t.equal(written, 0, 'a refused open writes nothing')
  t.end()
})

test('xsalsa20poly1305: open in place, and the engine keeps nothing in its scratch', (t) => {
  const key = randomBytes(32), nonce = randomBytes(24), message = randomBytes(1000)
  const { cipher, tag } = reference(message, nonce, key)
  const inPlace = Uint8Array.from(cipher)
  t.ok(noble.secretboxOpenDetached(inPlace, inPlace, tag, nonce, key), 'opens with out === cipher')
  t.equal(hex(inPlace), hex(message), 'the plaintext, in place')

  const engine = new SecretboxEngine()
  const state = engine as unknown as { scratch: Uint32Array; block: Uint32Array; polyKey: Uint32Array; tag: Uint8Array }
  const subkey = Uint32Array.from(randomBytes(32), (_, i) => i) // any 8 words: this checks cleaning, not values
  const data = randomBytes(3000)
  const tag2 = new Uint8Array(16)
  engine.seal(subkey.subarray(0, 8), nonce, data, tag2)
  const out = new Uint8Array(data.length)
  t.ok(engine.open(subkey.subarray(0, 8), nonce, out, data, tag2), 'the engine opens its own box')
  const clean = (a: ArrayLike<number>): boolean => Array.prototype.every.call(a, (x: number) => x === 0)
  t.ok(clean(state.scratch) && clean(state.block) && clean(state.polyKey) && clean(state.tag), 'scratch, keystream block, Poly1305 key and tag are zero afterwards')
  t.end()
})
