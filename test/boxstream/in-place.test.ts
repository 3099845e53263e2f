/**
 * Buffer ownership on the receive path. `pushInPlace` opens frames inside the chunk it is given
 * and hands out views of it: the plaintext must equal `push`'s at every chunking, and a view handed
 * out is never written again (later chunks, straddling frames, the goodbye) while it may be held.
 * `push`/`pushCoalesced` never write into the chunks they are given.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'

const key = randomBytes(32)
const nonce = randomBytes(24)

function session(sizes: number[]): { wire: Buffer, plain: Buffer } {
  const enc = new BoxEncoder(key, nonce)
  const plains = sizes.map((n) => randomBytes(n))
  return { wire: Buffer.concat([...plains.map((p) => enc.encode(p)), enc.goodbye()]), plain: Buffer.concat(plains) }
}

test('pushInPlace equals push at every split offset, and every view it handed out stays intact', (t) => {
  const { wire, plain } = session([10, 4096, 1, 0, 5000, 300])
  const problems: string[] = []
  for (let cut = 0; cut <= wire.length; cut++) {
    for (const second of [wire.length, cut + 37, cut + 4130]) {
      const pieces = [wire.subarray(0, cut), wire.subarray(cut, Math.min(second, wire.length)), wire.subarray(Math.min(second, wire.length))]
        .map((p) => Buffer.from(p)) // fresh buffers the decoder owns
      const dec = new BoxDecoder(key, nonce)
      const views: Buffer[] = []
      for (const p of pieces) if (p.length) dec.pushInPlace(p, (v) => views.push(v))
      if (!dec.ended) problems.push(`cut ${cut}/${second}: no goodbye`)
      if (!Buffer.concat(views).equals(plain)) problems.push(`cut ${cut}/${second}: the views held to the end differ from the plaintext`)
    }
  }
  t.deepEqual(problems.slice(0, 5), [], `all ${(wire.length + 1) * 3} chunkings`)
  t.end()
})

test('push and pushCoalesced never write into the caller\'s chunks', (t) => {
  const { wire } = session([100, 9000, 4096])
  for (const method of ['push', 'pushCoalesced'] as const) {
    const chunks = [wire.subarray(0, 5000), wire.subarray(5000, 9100), wire.subarray(9100)].map((c) => Buffer.from(c))
    const copies = chunks.map((c) => Buffer.from(c))
    const dec = new BoxDecoder(key, nonce)
    for (const c of chunks) dec[method](c, () => {})
    t.ok(chunks.every((c, i) => c.equals(copies[i]!)), `${method}: the input is unchanged`)
  }
  t.end()
})
