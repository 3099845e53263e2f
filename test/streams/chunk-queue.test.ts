/** ChunkQueue: exact-length reads across chunk boundaries. */
import test from 'tape'
import { ChunkQueue } from '../../lib/streams/chunk-queue.js'

test('takes exact lengths across chunks, in order, and refuses short reads', (t) => {
  const q = new ChunkQueue()
  const data = Buffer.from(Array.from({ length: 280 }, (_, i) => i & 0xff))
  q.push(data.subarray(0, 50))
  q.push(Buffer.alloc(0))
  q.push(data.subarray(50, 80))
  q.push(data.subarray(80))
  t.equal(q.length, 280)
  t.equal(q.take(281), null, 'more than queued: null, nothing consumed')
  t.equal(q.take(0), null, 'zero: null')
  const a = q.take(64)!
  t.ok(a.equals(data.subarray(0, 64)), 'spanning two chunks')
  const b = q.take(16)!
  t.ok(b.equals(data.subarray(64, 80)), 'inside one chunk')
  t.equal(b.buffer, data.buffer, 'a read inside one chunk is a view, not a copy')
  const c = q.take(112)!
  t.ok(c.equals(data.subarray(80, 192)))
  t.equal(q.length, 88)
  const rest = q.drain()
  t.ok(Buffer.concat(rest).equals(data.subarray(192)), 'drain returns what is left')
  t.equal(q.length, 0)
  t.end()
})
