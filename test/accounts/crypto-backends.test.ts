/** The accounts primitives added to the backend interface (HMAC-SHA-256, HKDF-SHA-256, scrypt) give the RFC vectors and the same bytes on every backend. */
import test from 'tape'
import { availableCryptoBackends, createCryptoBackend } from '../../lib/crypto/index.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

test('crypto: HMAC-SHA-256, HKDF-SHA-256 and scrypt match the RFC vectors on every backend', async (t) => {
  for (const name of availableCryptoBackends()) {
    const c = createCryptoBackend(name)
    // RFC 4231 test cases 1 and 6 (a key longer than the block).
    t.equal(toHex(c.hmacSha256(new Uint8Array(20).fill(0x0b), ascii('Hi There'))), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7', `${name}: RFC 4231 case 1`)
    t.equal(toHex(c.hmacSha256(new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54', `${name}: RFC 4231 case 6`)
    // RFC 5869 test cases 1 and 3 (empty salt and info).
    t.equal(toHex(c.hkdfSha256(new Uint8Array(22).fill(0x0b), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42)),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865', `${name}: RFC 5869 case 1`)
    t.equal(toHex(c.hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42)),
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8', `${name}: RFC 5869 case 3`)
    // RFC 7914 section 12, second vector.
    t.equal(toHex(await c.scrypt(ascii('password'), ascii('NaCl'), { logN: 10, r: 8, p: 16 }, 64)),
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640', `${name}: RFC 7914 scrypt`)
    t.throws(() => c.hkdfSha256(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 255 * 32 + 1), /8160/, `${name}: HKDF refuses more than 255 blocks`)
  }
})

test('crypto: every backend gives the same HMAC, HKDF and scrypt bytes for random inputs', async (t) => {
  const names = availableCryptoBackends()
  const backends = names.map((n) => createCryptoBackend(n))
  const r = backends[0]!
  for (let i = 0; i < 40; i++) {
    const key = r.randomBytes(i * 5)
    const data = r.randomBytes(i * 37)
    const info = r.randomBytes(i % 7)
    const len = 1 + ((i * 97) % 300)
    const macs = new Set(backends.map((b) => toHex(b.hmacSha256(key, data))))
    const okms = new Set(backends.map((b) => toHex(b.hkdfSha256(data, key, info, len))))
    if (macs.size !== 1 || okms.size !== 1) t.fail(`backends disagree at case ${i}`)
  }
  const outs = new Set<string>()
  for (const b of backends) outs.add(toHex(await b.scrypt(ascii('pw'), new Uint8Array(32).fill(7), { logN: 4, r: 8, p: 2 }, 64)))
  t.equal(outs.size, 1, `${names.join(', ')} agree on every case`)
})
