/**
 * The one-call SHA-256 of the wasm backend (lib/crypto/sha256.ts) against node:crypto: every
 * length across the padding boundaries (55/56 bytes leave room for the length or not, 64 is a
 * whole block), the FIPS 180-4 examples, and calls back to back (its scratch is shared and
 * zeroed between them).
 */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import { sha256 } from '../../lib/crypto/sha256.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const expected = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

test('sha256: the FIPS 180-4 examples', (t) => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s)
  t.equal(hex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'empty')
  t.equal(hex(sha256(text('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'abc')
  t.equal(hex(sha256(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1', '448 bits (two blocks)')
  t.equal(hex(sha256(new Uint8Array(1_000_000).fill(0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0', 'a million a')
  t.end()
})

test('sha256: every length from 0 to 1,100 bytes, and subarrays at odd offsets, match node:crypto', (t) => {
  const source = new Uint8Array(randomBytes(1200))
  const wrong: number[] = []
  for (let length = 0; length <= 1100; length++) {
    const data = source.subarray(length % 7, (length % 7) + length)
    if (hex(sha256(data)) !== expected(data)) wrong.push(length)
  }
  t.deepEqual(wrong, [], 'no length differs')
  t.end()
})

test('sha256: a call leaves nothing behind for the next one, and does not touch its input', (t) => {
  const long = new Uint8Array(randomBytes(200)) // two blocks of padding tail: 200 % 64 = 8
  const short = new Uint8Array(randomBytes(3))
  const before = hex(long)
  sha256(long)
  t.equal(hex(sha256(short)), expected(short), 'a short input right after a long one')
  t.equal(hex(long), before, 'the input is unchanged')
  const out = sha256(short)
  t.notEqual(out, sha256(short), 'each call returns a fresh array')
  t.end()
})
