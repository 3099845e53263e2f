/** lib/base64.ts: the same text as Node's Buffer for every byte string, and strict, canonical-only decoding. */
import test from 'tape'
import fc from 'fast-check'
import { fromBase64, toBase64 } from '../lib/base64.js'

test('toBase64 / fromBase64 agree with Buffer on random bytes (fast-check)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const text = toBase64(bytes)
    return text === Buffer.from(bytes).toString('base64') && Buffer.from(fromBase64(text)!).equals(Buffer.from(bytes))
  }), { numRuns: 2000 })
  t.pass('2000 random byte strings round-trip exactly as Buffer encodes them')
  t.end()
})

test('fromBase64 refuses everything but the canonical encoding', (t) => {
  for (const bad of ['AQI', 'AQI=x', 'AQ==AQ==', 'A===', '@QID', 'AQJ=', 'AR==', 'AQID\n', 'AQ-_', ' AQID']) {
    t.equal(fromBase64(bad), null, JSON.stringify(bad))
  }
  t.deepEqual(Array.from(fromBase64('')!), [], 'empty')
  t.end()
})
