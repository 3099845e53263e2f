/** The data path's slab allocator: regions never overlap, are never reused, and big requests bypass it. */
import test from 'tape'
import { allocBuffer } from '../../lib/boxstream/slab.js'

test('carved buffers never overlap and keep their bytes across slab turnovers', (t) => {
  const kept: Array<{ buf: Buffer; fill: number }> = []
  for (let i = 0; i < 200; i++) {
    const size = [1, 34, 98, 4096, 4130, 8192][i % 6]!
    const buf = allocBuffer(size)
    buf.fill(i & 0xff)
    kept.push({ buf, fill: i & 0xff })
  }
  t.ok(kept.every(({ buf }, i) => buf.length === [1, 34, 98, 4096, 4130, 8192][i % 6]), 'each buffer has the requested length')
  t.ok(kept.every(({ buf, fill }) => buf.every((b) => b === fill)), 'every buffer still holds exactly what was written to it')
  t.ok(kept.every(({ buf }) => buf.byteOffset % 8 === 0), 'regions are 8-byte aligned')
  t.end()
})

test('large or empty requests get their own allocation', (t) => {
  const big = allocBuffer(64 * 1024)
  t.equal(big.length, 64 * 1024)
  t.equal(allocBuffer(0).length, 0, 'empty is empty')
  const a = allocBuffer(16)
  const b = allocBuffer(16)
  t.ok(a.buffer !== big.buffer && b.buffer !== big.buffer, 'small buffers are not carved from a big one')
  t.end()
})
