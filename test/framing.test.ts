/**
 * The shared length-prefixed framer (lib/framing.ts) and its three users: each keeps its wire
 * format byte for byte, any chunking decodes to the same bodies, bad lengths fail at the prefix.
 */
import test from 'tape'
import fc from 'fast-check'
import { LengthPrefixedDecoder, encodeLengthPrefixed, frameFormat } from '../lib/framing.js'
import { encodeFrame, FrameDecoder } from '../lib/protocols/enrollment/framing.js'
import { frameMessage, MessageDecoder } from '../lib/protocols/accounts/rpc/framing.js'
import { noticeFrameFormat } from '../lib/protocols/notice/framed.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

test('each protocol keeps its wire format', (t) => {
  t.equal(hex(encodeFrame(Uint8Array.of(1, 2, 3))), '0003010203', 'enrollment: u16 length, body')
  t.equal(hex(frameMessage(Uint8Array.of(1, 2, 3))), '00000003010203', 'accounts RPC: u32 length, body')
  t.equal(hex(encodeLengthPrefixed(new Uint8Array(10), noticeFrameFormat(200))), `000a${'00'.repeat(10)}`, 'notice stream: u16 length, body')
  t.end()
})

test('bounds are enforced from the prefix alone, before any body byte', (t) => {
  const code = (f: () => unknown): string | undefined => { try { f(); return undefined } catch (err) { return (err as { code?: string }).code } }
  t.equal(code(() => new MessageDecoder(1024).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))), 'ERR_PROTOCOL', 'u32: 4 GiB refused with only the prefix in')
  t.equal(code(() => new MessageDecoder().push(Uint8Array.of(0, 0, 0, 0))), 'ERR_PROTOCOL', 'u32: zero refused')
  t.equal(code(() => new FrameDecoder(100).push(Uint8Array.of(0, 101))), 'ERR_PROTOCOL', 'u16: over the cap refused')
  t.equal(code(() => new LengthPrefixedDecoder(noticeFrameFormat(200)).push(Uint8Array.of(0, 9))), 'ERR_PROTOCOL', 'notice: below the 10-byte header refused')
  t.equal(new LengthPrefixedDecoder(noticeFrameFormat(200)).push(Uint8Array.of(0, 200)).length, 0, 'notice: exactly the cap waits for the body')
  t.equal(code(() => encodeLengthPrefixed(new Uint8Array(0), noticeFrameFormat(200))), 'ERR_INVALID_ARGUMENT', 'encoding refuses what the format cannot carry')
  t.equal(code(() => frameFormat({ prefixBytes: 2, minBytes: 1, maxBytes: 70_000, phase: 'x' })), 'ERR_INVALID_ARGUMENT', 'a u16 prefix cannot announce 70 000')
  t.end()
})

test('any chunking of concatenated frames decodes to the same bodies, for both prefix widths (property)', (t) => {
  for (const prefixBytes of [2, 4] as const) {
    const format = frameFormat({ prefixBytes, minBytes: 1, maxBytes: 400, phase: 'test' })
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 400 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map((b) => encodeLengthPrefixed(b, format)))
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
        const decoder = new LengthPrefixedDecoder(format)
        const out: Uint8Array[] = []
        let last = 0
        for (const p of [...points, stream.length]) {
          out.push(...decoder.push(stream.subarray(last, p)))
          last = p
        }
        return decoder.buffered === 0 && out.length === bodies.length && out.every((m, i) => hex(m) === hex(bodies[i]!))
      }
    ), { numRuns: 150 })
    t.pass(`u${prefixBytes * 8}: 150 random chunkings`)
  }
  t.end()
})
