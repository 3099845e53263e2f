/** Box-stream codec rules: splitting, chunking, tamper, oversize headers, truncation, no output after failure. */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { ErrorCodes } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { incrementNonce } from '../../lib/boxstream/layout.js'

const key = Buffer.alloc(32, 1)
const nonce = Buffer.alloc(24, 2)

function decodeAll(wire: Uint8Array, chunk: number): { out: Buffer; err: (Error & { code?: string }) | null; ended: boolean } {
  const dec = new BoxDecoder(key, nonce)
  const parts: Buffer[] = []
  try {
    for (let at = 0; at < wire.length; at += chunk) dec.push(wire.subarray(at, at + chunk), (p) => parts.push(Buffer.from(p)))
    dec.end()
    return { out: Buffer.concat(parts), err: null, ended: dec.ended }
  } catch (err) {
    return { out: Buffer.concat(parts), err: err as Error & { code?: string }, ended: dec.ended }
  }
}

test('writes split at 4096; any chunking of the wire decodes the same', (t) => {
  const enc = new BoxEncoder(key, nonce)
  const data = randomBytes(4096 * 3 + 5)
  const wire = Buffer.concat([enc.encode(data.subarray(0, 4095)), enc.encode(data.subarray(4095, 8191)), enc.encode(data.subarray(8191)), enc.goodbye()])
  t.equal(wire.length, 4095 + 4096 + (4096 * 3 + 5 - 8191) + 34 * 5, 'frames: 4095 | 4096 | 4096+5 (two frames) | goodbye')
  for (const chunk of [1, 2, 33, 34, 35, 4130, 100_000]) {
    const { out, err, ended } = decodeAll(wire, chunk)
    t.ok(!err && ended && out.equals(data), `chunks of ${chunk} bytes`)
  }
  t.end()
})

test('an empty write sends nothing; the goodbye alone is 34 bytes', (t) => {
  const enc = new BoxEncoder(key, nonce)
  t.equal(enc.encode(Buffer.alloc(0)).length, 0)
  t.equal(enc.goodbye().length, 34)
  t.equal(getErr(() => enc.encode(Buffer.from('x'))), ErrorCodes.INVALID_STATE, 'no writes after the goodbye')
  t.end()
})

function getErr(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as Error & { code?: string }).code
  }
  return undefined
}

test('a flipped bit in header or body: ERR_BOX_TAMPERED, no plaintext from that frame, nothing afterwards', (t) => {
  const enc = new BoxEncoder(key, nonce)
  const good = enc.encode(Buffer.from('first'))
  const frame = enc.encode(Buffer.from('second frame'))
  for (const at of [0, 16, 20, 33, 34, frame.length - 1]) {
    const bad = Buffer.from(frame)
    bad[at]! ^= 1
    const { out, err } = decodeAll(Buffer.concat([good, bad]), 7)
    t.equal(err?.code, ErrorCodes.BOX_TAMPERED, `flip at byte ${at}`)
    t.equal(out.toString(), 'first', 'only the good frame came out')
  }
  const dec = new BoxDecoder(key, nonce)
  const bad = Buffer.from(good)
  bad[36]! ^= 1
  t.equal(getErr(() => dec.push(bad, () => t.fail('no output'))), ErrorCodes.BOX_TAMPERED)
  t.equal(getErr(() => dec.push(good, () => t.fail('no output after failure'))), ErrorCodes.BOX_TAMPERED, 'stays failed')
  t.end()
})

test('a header claiming more than 4096 bytes is ERR_PROTOCOL', (t) => {
  const crypto = getCryptoBackend()
  const header = new Uint8Array(34)
  header[16] = 0x10 // 0x1001 = 4097
  header[17] = 0x01
  header.fill(7, 18)
  crypto.secretboxSealDetached(header.subarray(16), header.subarray(0, 16), nonce, key)
  const dec = new BoxDecoder(key, nonce)
  t.equal(getErr(() => dec.push(header, () => t.fail('no output'))), ErrorCodes.PROTOCOL)
  t.end()
})

test('a zero-length frame with a valid tag yields nothing and is accepted', (t) => {
  const crypto = getCryptoBackend()
  const bodyNonce = Buffer.from(nonce)
  incrementNonce(bodyNonce)
  const tag = new Uint8Array(16)
  crypto.secretboxSealDetached(new Uint8Array(0), tag, bodyNonce, key)
  const header = new Uint8Array(34)
  header.set(tag, 18)
  crypto.secretboxSealDetached(header.subarray(16), header.subarray(0, 16), nonce, key)
  const dec = new BoxDecoder(key, nonce)
  let outputs = 0
  dec.push(header, () => outputs++)
  t.equal(outputs, 0, 'no empty buffer emitted')
  t.notOk(dec.midFrame, 'frame complete')
  t.end()
})

test('truncation anywhere before the goodbye is ERR_TRUNCATED; after it, a clean end', (t) => {
  const enc = new BoxEncoder(key, nonce)
  const wire = Buffer.concat([enc.encode(Buffer.from('hello')), enc.encode(Buffer.from('world')), enc.goodbye()])
  let truncated = 0
  for (let cut = 0; cut < wire.length; cut++) {
    const { err } = decodeAll(wire.subarray(0, cut), 5)
    if (err?.code === ErrorCodes.TRUNCATED) truncated++
  }
  t.equal(truncated, wire.length, `all ${wire.length} cut points are errors`)
  const { err, ended } = decodeAll(Buffer.concat([wire, Buffer.from('trailing')]), 5)
  t.ok(!err && ended, 'bytes after the goodbye are ignored')
  t.end()
})

test('the caller’s key and nonce buffers are never mutated', (t) => {
  const k = Buffer.from(key)
  const n = Buffer.from(nonce)
  const enc = new BoxEncoder(k, n)
  const dec = new BoxDecoder(k, n)
  dec.push(enc.encode(Buffer.alloc(10000)), () => {})
  enc.goodbye()
  t.ok(k.equals(key) && n.equals(nonce), 'unchanged')
  t.end()
})

test('codecs that interleave (a body split across chunks between another stream\'s frames) decode their own streams', (t) => {
  // Every codec takes its body nonce from one shared scratch (layout.ts, bodyNonceOf) right when
  // it opens or seals a body: a decoder waiting for the rest of a body must not depend on it.
  const otherKey = Buffer.alloc(32, 3)
  const otherNonce = Buffer.alloc(24, 4)
  const a = randomBytes(3000)
  const b = randomBytes(3000)
  const wireA = Buffer.concat([new BoxEncoder(key, nonce).encode(a), new BoxEncoder(key, nonce).encode(a)]).subarray(0, 34 + 3000)
  const encB = new BoxEncoder(otherKey, otherNonce)
  const decA = new BoxDecoder(key, nonce)
  const decB = new BoxDecoder(otherKey, otherNonce)
  const gotA: Buffer[] = []
  const gotB: Buffer[] = []
  decA.push(wireA.subarray(0, 100), (p) => gotA.push(Buffer.from(p))) // A's header and part of its body
  const encA = new BoxEncoder(key, Buffer.from(nonce))
  const wireB = encB.encode(b) // B seals a frame in between
  decB.push(wireB, (p) => gotB.push(Buffer.from(p))) // and B opens it
  decA.push(wireA.subarray(100), (p) => gotA.push(Buffer.from(p))) // then A finishes its body
  t.ok(Buffer.concat(gotA).equals(a), 'A decodes its own body')
  t.ok(Buffer.concat(gotB).equals(b), 'B decodes its own body')
  t.ok(Buffer.from(encA.encode(a)).equals(wireA), 'an encoder that ran after the others still writes the same bytes')
  t.end()
})
