/**
 * The noble backend's `auth` keeps the last key's HMAC pad states (lib/crypto/noble.ts,
 * keyedAuth): its tags must stay HMAC-SHA-512/32 for whatever key comes next, including the same
 * buffer changed in place, other lengths, and alternating keys. Checked against node:crypto.
 */
import test from 'tape'
import { createHmac, randomBytes } from 'node:crypto'
import { createCryptoBackend } from '../../lib/crypto/index.js'

const expected = (data: Uint8Array, key: Uint8Array): string => createHmac('sha512', key).update(data).digest().subarray(0, 32).toString('hex')
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

test('noble auth: HMAC-SHA-512/32 across key changes, in-place edits and lengths', (t) => {
  const noble = createCryptoBackend('noble')
  const key = new Uint8Array(randomBytes(32))
  const other = new Uint8Array(randomBytes(32))
  const data = new Uint8Array(randomBytes(32))
  t.equal(hex(noble.auth(data, key)), expected(data, key), 'first key')
  t.equal(hex(noble.auth(data, key)), expected(data, key), 'same key again (kept states)')
  t.equal(hex(noble.auth(data, other)), expected(data, other), 'another key')
  t.equal(hex(noble.auth(data, key)), expected(data, key), 'back to the first key')
  key[7]! ^= 0x40 // the same buffer, changed in place: must not hit the kept states
  t.equal(hex(noble.auth(data, key)), expected(data, key), 'the same buffer edited in place')
  for (const length of [0, 1, 16, 31, 33, 64, 127, 128, 129, 300]) {
    const k = new Uint8Array(randomBytes(length))
    t.equal(hex(noble.auth(data, k)), expected(data, k), `a ${length}-byte key`)
  }
  for (const length of [0, 1, 111, 112, 128, 1000]) {
    const d = new Uint8Array(randomBytes(length))
    t.equal(hex(noble.auth(d, other)), expected(d, other), `${length} bytes of data`)
  }
  const tag = noble.auth(data, other)
  t.ok(noble.authVerify(tag, data, other), 'authVerify accepts its tag')
  t.notOk(noble.authVerify(tag, data, key), 'authVerify refuses it under another key')
  const tampered = tag.slice()
  tampered[31]! ^= 1
  t.notOk(noble.authVerify(tampered, data, other), 'authVerify refuses a changed tag')
  t.end()
})
