/** The reliability sublayer on its own: fragmentation, window, acknowledgements, strictness. */
import test from 'tape'
import { ReliableLink } from '../../lib/protocols/notice/reliable.js'
import { Flag, encodeNotice } from '../../lib/protocols/notice/layout.js'
import { isSecretChannelError } from '../../lib/errors.js'

const options = { maxNoticeBytes: 40, window: 4, retransmitMs: 100, maxRetransmits: 2 }

test('a message is cut into notices within the limit, sent up to the window, and reassembled', (t) => {
  const a = new ReliableLink(options)
  const b = new ReliableLink(options)
  const message = new Uint8Array(300).map((_, i) => i & 0xff)
  a.send(message, 0)
  let notices = a.flush()
  t.equal(notices.length, 4, 'only a window of 4 notices goes out')
  t.ok(notices.every((n) => n.length <= 40), 'each within 40 bytes')
  const got: Uint8Array[] = []
  let rounds = 0
  while (notices.length > 0 && rounds++ < 20) {
    for (const n of notices) got.push(...b.receive(n, 1).messages)
    for (const ack of b.flush()) a.receive(ack, 1)
    notices = a.flush()
  }
  t.equal(got.length, 1, 'one message delivered')
  t.deepEqual(Buffer.from(got[0]!), Buffer.from(message), 'intact')
  t.ok(a.idle, 'everything acknowledged')
  t.end()
})

test('strictness: acks for unsent notices, sequence numbers far ahead, malformed headers', (t) => {
  const a = new ReliableLink(options)
  const isProtocol = (err: unknown): boolean => isSecretChannelError(err, 'ERR_PROTOCOL')
  t.throws(() => a.receive(encodeNotice(0, 0, 5, new Uint8Array(0)), 0), isProtocol, 'ack of notices never sent')
  t.throws(() => a.receive(encodeNotice(Flag.RELIABLE | Flag.END, 1000, 0, Uint8Array.of(1)), 0), isProtocol, 'sequence number beyond the window')
  t.throws(() => a.receive(encodeNotice(0x80, 0, 0, new Uint8Array(0)), 0), isProtocol, 'unknown flag')
  t.throws(() => a.receive(encodeNotice(Flag.RELIABLE, 0, 0, new Uint8Array(0)), 0), isProtocol, 'reliable notice without a fragment')
  t.throws(() => a.receive(encodeNotice(0, 0, 0, Uint8Array.of(1)), 0), isProtocol, 'acknowledgement with a payload')
  t.throws(() => a.receive(new Uint8Array(41), 0), isProtocol, 'over the size limit')
  t.end()
})

test('retransmission with backoff, then ERR_TRANSPORT', (t) => {
  const a = new ReliableLink(options)
  a.send(Uint8Array.of(1, 2, 3), 0)
  a.flush()
  const times: number[] = []
  try {
    for (let i = 0; i < 10; i++) {
      const due = a.nextDeadline()!
      a.tick(due)
      if (a.flush().length > 0) times.push(due)
    }
    t.fail('should give up')
  } catch (err) {
    t.ok(isSecretChannelError(err, 'ERR_TRANSPORT'), 'gave up')
  }
  t.deepEqual(times, [100, 300], 'retransmitted at 100 ms, then 200 ms later')
  t.end()
})

test('duplicates are re-acknowledged, not re-delivered', (t) => {
  const a = new ReliableLink(options)
  const b = new ReliableLink(options)
  a.send(Uint8Array.of(9), 0)
  const [n] = a.flush()
  t.equal(b.receive(n!, 0).messages.length, 1, 'first copy delivered')
  b.flush()
  t.equal(b.receive(n!, 0).messages.length, 0, 'second copy not delivered')
  t.equal(b.flush().length, 1, 'but acknowledged again')
  t.end()
})

test('END must agree with the declared length; a half message or a gap that makes no progress is refused', (t) => {
  const isProtocol = (err: unknown): boolean => isSecretChannelError(err, 'ERR_PROTOCOL')
  const a = new ReliableLink(options)
  a.send(new Uint8Array(50).fill(1), 0) // 52 bytes framed: two fragments of 30 and 22
  const [first, second] = a.flush()
  const endless = second!.slice()
  endless[1] = Flag.RELIABLE // END cleared
  const b = new ReliableLink(options)
  b.receive(first!, 0)
  t.throws(() => b.receive(endless, 0), isProtocol, 'the last fragment without END')
  const early = first!.slice()
  early[1] = Flag.RELIABLE | Flag.END // END too early
  t.throws(() => new ReliableLink(options).receive(early, 0), isProtocol, 'END before the declared length')

  const c = new ReliableLink({ ...options, stallMs: 1000 })
  c.receive(first!, 0)
  t.equal(c.nextDeadline(), 1000, 'a half message arms the stall deadline')
  t.throws(() => c.tick(1000), isProtocol, 'no progress for stallMs: refused')
  const d = new ReliableLink({ ...options, stallMs: 1000 })
  d.receive(second!, 0) // seq 1 before seq 0: a gap
  t.throws(() => d.tick(1000), isProtocol, 'a gap that never fills: refused')
  t.end()
})
