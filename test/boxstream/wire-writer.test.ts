/**
 * The sender's bounded transport writes (lib/streams/wire-writer.ts) carry exactly the bytes the
 * plain encoder makes for the same writes, whatever the mix of sizes, with recycled buffers
 * (precomputed frame views, reused after being handed back) or fresh ones; no transport write
 * exceeds its bound, and each plaintext write is let go as soon as it is encoded.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { WireWriter, WirePool, MAX_TRANSPORT_WRITE, RECYCLED_PLAINTEXT_BYTES } from '../../lib/streams/wire-writer.js'
import { encodedLength } from '../../lib/boxstream/layout.js'

const key = randomBytes(32)
const nonce = randomBytes(24)
const SIZES = [0, 1, 17, 4095, 4096, 4097, 8192, 12_000, 65_536, 65_537, 200_000]

/** A batch of random writes, sizes drawn from SIZES (plus one over 1 MiB now and then). */
function batch(count: number, seed: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < count; i++) out.push(randomBytes(SIZES[(seed * 7 + i * 13) % SIZES.length]!))
  if (seed % 3 === 0) out.push(randomBytes(MAX_TRANSPORT_WRITE + 5000))
  return out
}

/** The wire bytes of every piece the writer makes for `writes`, each copied before its buffer goes back. */
function sendAll(writer: WireWriter, writes: Array<Uint8Array | null>, pool: WirePool | null, sizes: number[]): Buffer {
  const pieces: Buffer[] = []
  writer.start(writes)
  for (let piece = writer.next(); piece; piece = writer.next()) {
    sizes.push(piece.bytes.length)
    pieces.push(Buffer.from(piece.bytes))
    // Scribble over the buffer before it goes back: a later piece must overwrite every byte it sends.
    if (piece.wire) {
      piece.wire.bytes.fill(0xee)
      pool!.give(piece.wire)
    }
  }
  return Buffer.concat(pieces)
}

for (const recycled of [true, false]) {
  test(`${recycled ? 'recycled' : 'fresh'} wire buffers: the same bytes as BoxEncoder.encode, bounded writes`, (t) => {
    const pool = recycled ? new WirePool(4) : null
    const writer = new WireWriter(new BoxEncoder(key, nonce), pool)
    const plain = new BoxEncoder(key, nonce)
    const sizes: number[] = []
    for (let round = 0; round < 12; round++) {
      const writes = batch(1 + (round % 6), round)
      const expected = Buffer.concat(writes.map((w) => plain.encode(w)))
      const got = sendAll(writer, writes.slice(), pool, sizes)
      t.ok(got.equals(expected), `round ${round}: ${writes.length} writes, ${got.length} wire bytes identical`)
    }
    const bound = recycled ? encodedLength(RECYCLED_PLAINTEXT_BYTES) : MAX_TRANSPORT_WRITE
    t.ok(Math.max(...sizes) <= bound, `largest transport write ${Math.max(...sizes)} <= ${bound}`)
    t.end()
  })
}

test('each write is let go once encoded; takeRemaining returns exactly what is left', (t) => {
  const writer = new WireWriter(new BoxEncoder(key, nonce), null)
  const writes: Array<Uint8Array | null> = [randomBytes(700_000), randomBytes(700_000), randomBytes(100)]
  const originals = writes.slice() as Uint8Array[]
  writer.start(writes)
  const first = writer.next()!
  t.ok(first.bytes.length <= MAX_TRANSPORT_WRITE, 'first piece within the bound')
  t.equal(writes[0], null, 'the first write, fully encoded, is no longer referenced')
  t.ok(writes[1] !== null, 'the second, partly encoded, still is')
  const rest = Buffer.concat(writer.takeRemaining())
  let sent = 0
  new BoxDecoder(key, nonce).push(first.bytes, (p) => { sent += p.length })
  const all = Buffer.concat(originals)
  t.equal(sent + rest.length, all.length, `encoded ${sent} + remaining ${rest.length} = all ${all.length} bytes`)
  t.ok(rest.equals(all.subarray(sent)), 'the remaining bytes are exactly the unsent tail, in order')
  t.ok(!writer.pending && writer.next() === null, 'nothing pending after takeRemaining')
  t.end()
})

test('a recycled buffer comes back from the pool; the pool keeps at most its limit', (t) => {
  const pool = new WirePool(2)
  const a = pool.take()
  const b = pool.take()
  const c = pool.take()
  pool.give(a)
  pool.give(b)
  pool.give(c)
  const again = [pool.take(), pool.take(), pool.take()]
  t.ok(again.includes(a) && again.includes(b), 'given-back buffers are taken again')
  t.notOk(again.includes(c), 'the one past the limit was dropped')
  t.end()
})
