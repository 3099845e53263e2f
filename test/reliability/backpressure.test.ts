/**
 * A slow reader makes the sender pause instead of buffering without limit: while the reader is
 * stalled, write() returns false and the writer waits for 'drain'; the bytes buffered on each
 * side stay under their high-water marks (plus one transport chunk of frames); when the reader
 * resumes, every byte arrives.
 */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { checkNoStrays, installGuards, sleep } from '../helpers/guards.js'
import { connect, listen } from '../helpers/tcp.js'

installGuards()

const HWM = 16 * 1024
const WRITE = 8 * 1024

/** streamx's buffer accounting, which its typings do not expose. */
interface StreamxInternals {
  _readableState: { buffered: number }
  _writableState: { buffered: number }
}

const buffered = (s: SecretStream, side: '_readableState' | '_writableState'): number => (s as unknown as StreamxInternals)[side].buffered

/**
 * Offers `total` bytes in 8 KiB writes, honouring backpressure, and reports how far it got by the
 * time it has been stuck for `stallMs`.
 */
async function offer(writer: SecretStream, total: number, stallMs: number): Promise<{ accepted: () => number; sawFalse: () => boolean; stuck: Promise<void>; done: Promise<string> }> {
  const data = randomBytes(total)
  let accepted = 0
  let sawFalse = false
  let lastProgress = Date.now()
  const done = (async () => {
    for (let at = 0; at < total; at += WRITE) {
      const ok = writer.write(data.subarray(at, at + WRITE))
      accepted += Math.min(WRITE, total - at)
      lastProgress = Date.now()
      if (!ok) {
        sawFalse = true
        await once(writer, 'drain')
      }
    }
    writer.end()
    return createHash('sha256').update(data).digest('hex')
  })()
  const stuck = (async () => {
    while (Date.now() - lastProgress < stallMs) await sleep(20)
  })()
  return { accepted: () => accepted, sawFalse: () => sawFalse, stuck, done }
}

async function readAll(reader: SecretStream, delayMs: number): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of reader) {
    hash.update(chunk)
    if (delayMs) await sleep(delayMs)
  }
  return hash.digest('hex')
}

test('memory pair: a stalled reader stops the writer within a few high-water marks; resumed, everything arrives', async (t) => {
  const [a, b] = createDuplexPair(HWM)
  const writer = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, highWaterMark: HWM })
  const reader = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey, highWaterMark: HWM })
  await Promise.all([writer.opened, reader.opened])
  const total = 4 * 1024 * 1024
  const o = await offer(writer, total, 200)
  await o.stuck
  t.ok(o.sawFalse(), 'write() returned false: the writer was told to wait')
  t.ok(o.accepted() < 256 * 1024, `the writer paused after ${o.accepted()} of ${total} bytes`)
  t.ok(buffered(reader, '_readableState') <= HWM + 64 * 1024, `reader buffers ${buffered(reader, '_readableState')} bytes (hwm ${HWM})`)
  t.ok(buffered(writer, '_writableState') <= HWM + WRITE, `writer buffers ${buffered(writer, '_writableState')} bytes (hwm ${HWM})`)
  const got = readAll(reader, 0)
  t.equal(await got, await o.done, 'after resuming, every byte arrives in order')
  reader.end()
  await checkNoStrays(t)
})

test('tcp: a slow reader (1 ms per chunk after a 300 ms stall) paces the writer; buffers stay bounded; all bytes arrive', async (t) => {
  let resolveReader!: (s: SecretStream) => void
  const accepted = new Promise<SecretStream>((r) => { resolveReader = r })
  const l = await listen((raw) => resolveReader(new SecretStream(raw, { isInitiator: false, keyPair: serverKeys, appKey, highWaterMark: HWM })))
  const rawWriter = await connect(l.port)
  const writer = new SecretStream(rawWriter, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, highWaterMark: HWM })
  const reader = await accepted
  await Promise.all([writer.opened, reader.opened])
  const total = 12 * 1024 * 1024
  const o = await offer(writer, total, 300)
  let maxSocketQueue = 0
  let maxWriterBuffer = 0
  let maxReaderBuffer = 0
  const sampler = setInterval(() => {
    maxSocketQueue = Math.max(maxSocketQueue, rawWriter.writableLength)
    maxWriterBuffer = Math.max(maxWriterBuffer, buffered(writer, '_writableState'))
    maxReaderBuffer = Math.max(maxReaderBuffer, buffered(reader, '_readableState'))
  }, 5)
  await o.stuck
  t.ok(o.sawFalse(), 'write() returned false while the reader stalled')
  t.ok(o.accepted() < total, `the writer paused after ${o.accepted()} of ${total} bytes (the rest is the kernel's socket buffers)`)
  const got = readAll(reader, 1)
  const [a, b] = await Promise.all([got, o.done])
  clearInterval(sampler)
  t.equal(a, b, 'every byte arrived, in order')
  t.ok(maxWriterBuffer <= HWM + WRITE, `writer plaintext buffer peaked at ${maxWriterBuffer} bytes (hwm ${HWM})`)
  t.ok(maxSocketQueue <= 512 * 1024, `socket write queue peaked at ${maxSocketQueue} bytes`)
  t.ok(maxReaderBuffer <= HWM + 128 * 1024, `reader buffer peaked at ${maxReaderBuffer} bytes (hwm ${HWM} + one socket read of frames)`)
  reader.end()
  await once(reader, 'close')
  await l.close()
  await checkNoStrays(t)
})
