/** Length-prefixed framing: any split of the byte stream yields the same messages; bad lengths are refused. */
import test from 'tape'
import fc from 'fast-check'
import { FrameDecoder, encodeFrame } from '../../lib/protocols/enrollment/index.js'

test('any chunking of concatenated frames decodes to the same messages (property)', (t) => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 10 }),
    (messages, cuts) => {
      const stream = Buffer.concat(messages.map((m) => encodeFrame(m)))
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
      const decoder = new FrameDecoder(512)
      const out: Uint8Array[] = []
      let last = 0
      for (const p of [...points, stream.length]) {
        out.push(...decoder.push(stream.subarray(last, p)))
        last = p
      }
      return decoder.buffered === 0 && out.length === messages.length && out.every((m, i) => Buffer.from(m).equals(Buffer.from(messages[i]!)))
    }
  ), { numRuns: 200 })
  t.pass('200 random chunkings')
  t.end()
})

test('zero and oversized lengths are ERR_PROTOCOL; encodeFrame refuses what it cannot frame', (t) => {
  try { new FrameDecoder(100).push(Uint8Array.of(0, 0)); t.fail('zero') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_PROTOCOL', 'zero length') }
  try { new FrameDecoder(100).push(Uint8Array.of(0, 101)); t.fail('101') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_PROTOCOL', '101 over a cap of 100') }
  t.equal(new FrameDecoder(100).push(Uint8Array.of(0, 100)).length, 0, 'exactly the cap is accepted (waits for the body)')
  try { encodeFrame(new Uint8Array(0)); t.fail('empty') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_ARGUMENT', 'an empty message cannot be framed') }
  try { encodeFrame(new Uint8Array(70_000)); t.fail('huge') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_ARGUMENT', 'over 65535 cannot be framed') }
  try { new FrameDecoder(10); t.fail('tiny cap') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_INVALID_ARGUMENT', 'a cap below 64 is refused') }
  t.end()
})
