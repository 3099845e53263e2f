/** Every box-stream vector reproduces, in both directions. */
import test from 'tape'
import { createHash } from 'node:crypto'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { hex, loadVector, type BoxFrameVector, type Shs1Vector } from '../helpers/vectors.js'

/** Hex of bytes the codec returns (a Buffer in Node, a Uint8Array in a browser). */
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface FrameCase { key: string; initial_nonce: string; writes: string[]; frames: string[]; goodbye: string }

function checkCase(t: test.Test, name: string, c: FrameCase): void {
  const enc = new BoxEncoder(hex(c.key), hex(c.initial_nonce))
  const wire: Buffer[] = []
  c.writes.forEach((w, i) => {
    const frame = enc.encode(hex(w))
    t.equal(toHex(frame), c.frames[i], `${name}: frame ${i}`)
    wire.push(frame)
  })
  const bye = enc.goodbye()
  t.equal(toHex(bye), c.goodbye, `${name}: goodbye`)
  const dec = new BoxDecoder(hex(c.key), hex(c.initial_nonce))
  const out: string[] = []
  for (const f of [...wire, bye]) dec.push(f, (p) => out.push(toHex(p)))
  t.deepEqual(out, c.writes, `${name}: decodes back`)
  t.ok(dec.ended, `${name}: goodbye ends the stream`)
  t.doesNotThrow(() => dec.end(), `${name}: transport end after goodbye is clean`)
}

test('box-stream-c vectors', (t) => {
  checkCase(t, 'box-stream-c', loadVector('box-stream-c.json'))
  t.end()
})

test('PySecretHandshake box-stream vectors', (t) => {
  checkCase(t, 'python', loadVector<Shs1Vector>('shs1-pysecrethandshake.json').box_stream)
  t.end()
})

test('box-stream edge vectors: nonce carry, full wrap, 5000-byte split', (t) => {
  const { cases } = loadVector<{ cases: Array<BoxFrameVector & { frame_lengths: number[]; frame_header_hex: string[]; frame_body_sha256: string[] }> }>('box-stream-edge.json') // the split case has frame_* instead of writes
  for (const c of cases) {
    if (c.writes) {
      checkCase(t, c.name, c)
      continue
    }
    const data = Buffer.alloc(5000)
    for (let i = 0; i < data.length; i++) data[i] = i % 251
    const enc = new BoxEncoder(hex(c.key), hex(c.initial_nonce))
    const wire = enc.encode(data)
    t.equal(wire.length, c.frame_lengths[0] + c.frame_lengths[1], 'split into two frames')
    let at = 0
    c.frame_lengths.forEach((len: number, i: number) => {
      const frame = wire.subarray(at, at + len)
      t.equal(toHex(frame.subarray(0, 34)), c.frame_header_hex[i], `frame ${i} header`)
      t.equal(createHash('sha256').update(frame.subarray(34)).digest('hex'), c.frame_body_sha256[i], `frame ${i} body`)
      at += len
    })
    t.equal(toHex(enc.goodbye()), c.goodbye, 'goodbye after split')
  }
  t.end()
})
