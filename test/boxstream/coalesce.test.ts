/** BoxDecoder.pushCoalesced: same plaintext as push, fewer and larger buffers, same failure rules. */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { ErrorCodes } from '../../lib/errors.js'

const key = Buffer.alloc(32, 8)
const nonce = Buffer.alloc(24, 9)

function wireFor(writes: Buffer[]): Buffer {
  const enc = new BoxEncoder(key, nonce)
  return Buffer.concat([...writes.map((w) => enc.encode(w)), enc.goodbye()])
}

test('pushCoalesced yields the same bytes as push for any chunking', (t) => {
  const writes = [randomBytes(1), randomBytes(4095), randomBytes(4096), randomBytes(4097), randomBytes(70000), randomBytes(33)]
  const wire = wireFor(writes)
  const expected = Buffer.concat(writes)
  for (const size of [1, 7, 34, 35, 4130, 4131, 65536, wire.length]) {
    const dec = new BoxDecoder(key, nonce)
    const parts: Buffer[] = []
    for (let at = 0; at < wire.length; at += size) dec.pushCoalesced(wire.subarray(at, at + size), (p) => parts.push(p))
    t.ok(dec.ended, `chunks of ${size}: goodbye seen`)
    t.ok(Buffer.concat(parts).equals(expected), `chunks of ${size}: identical plaintext`)
  }
  t.end()
})

test('pushCoalesced delivers one buffer per chunk of whole frames; push one per frame', (t) => {
  const wire = wireFor([randomBytes(64 * 1024)])
  let coalesced = 0
  new BoxDecoder(key, nonce).pushCoalesced(wire, () => coalesced++)
  let perFrame = 0
  new BoxDecoder(key, nonce).push(wire, () => perFrame++)
  t.equal(coalesced, 1, 'one call for 16 frames')
  t.equal(perFrame, 16, 'push keeps one call per frame')
  t.end()
})

test('delivered buffers are never overwritten by later chunks', (t) => {
  const writes = [Buffer.alloc(5000, 1), Buffer.alloc(5000, 2), Buffer.alloc(5000, 3)]
  const enc = new BoxEncoder(key, nonce)
  const dec = new BoxDecoder(key, nonce)
  const kept: Buffer[] = []
  for (const w of writes) dec.pushCoalesced(enc.encode(w), (p) => kept.push(p))
  t.ok(Buffer.concat(kept).equals(Buffer.concat(writes)), 'every earlier buffer still holds its bytes')
  t.end()
})

test('a tampered frame inside a chunk: the frames before it are delivered, then the error', (t) => {
  const writes = [Buffer.alloc(100, 1), Buffer.alloc(100, 2), Buffer.alloc(100, 3)]
  const wire = wireFor(writes)
  wire[2 * (34 + 100) + 34 + 5]! ^= 1 // a body byte of the third frame
  const dec = new BoxDecoder(key, nonce)
  const parts: Buffer[] = []
  let code: string | undefined
  try {
    dec.pushCoalesced(wire, (p) => parts.push(Buffer.from(p)))
  } catch (err) {
    code = (err as Error & { code?: string }).code
  }
  t.equal(code, ErrorCodes.BOX_TAMPERED, 'typed error')
  t.ok(Buffer.concat(parts).equals(Buffer.concat(writes.slice(0, 2))), 'exactly the two authenticated frames came out')
  t.throws(() => dec.pushCoalesced(Buffer.alloc(1), () => t.fail('no output after failure')), /tamper|authentication/i, 'stays failed')
  t.end()
})
