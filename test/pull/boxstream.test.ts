/**
 * The pull-box-stream drop-in against pull-box-stream@1.0.13 itself: same bytes out, each reads
 * the other's, and our receiver's strict rules (truncation, tampering, oversized headers).
 */
import test from 'tape'
import { createBoxStream, createDecryptStream, createEncryptStream, createUnboxStream, isSecretChannelError } from '../../lib/streams/pull.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { incrementNonce } from '../../lib/boxstream/index.js'
import { payload, pull, randomWrites, refBox, sha256, type Received, hashSink, type End, type Source, type SourceCallback } from './helpers.js'
import type { Through } from '../../lib/streams/pull.js'

const key = (): Buffer => payload(32)
const nonce = (): Buffer => payload(24)

/** Runs `writes` through an encrypter and collects the ciphertext as one buffer. */
function encryptAll(through: Through<Uint8Array | string, Buffer>, source: Source<Buffer>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pull(source, through, pull.collect((err: Error | null, chunks: Buffer[]) => (err ? reject(err) : resolve(Buffer.concat(chunks)))))
  })
}

/** Feeds `wire` to a decrypter in pieces of `piece` bytes (or as given) and hashes the output. */
function decryptAll(through: Through<Uint8Array, Buffer>, wire: Buffer | Buffer[], piece = 0): Promise<Received & { plain: Buffer[] }> {
  const parts = Array.isArray(wire) ? wire : piece > 0 ? chop(wire, piece) : [wire]
  const plain: Buffer[] = []
  const h = hashSink()
  pull(pull.values(parts), through, pull.through((b: Buffer) => plain.push(b)), h.sink)
  return h.done.then((r) => ({ ...r, plain }))
}

function chop(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

test('our box-stream bytes are identical to pull-box-stream for the same writes', async (t) => {
  const k = key()
  const n = nonce()
  const writes = [Buffer.from('hi'), Buffer.alloc(0), payload(4095), payload(4096), payload(4097), payload(9000), Buffer.from('z')]
  const ourWire = await encryptAll(createBoxStream(k, n), pull.values(writes))
  const theirWire = await encryptAll(refBox.createBoxStream(k, n), pull.values(writes))
  t.equal(ourWire.toString('hex'), theirWire.toString('hex'), 'same ciphertext, frame for frame, goodbye included')
  t.equal(ourWire.length, 2 + 4095 + 4096 + 4097 + 9000 + 1 + 34 * (1 + 1 + 1 + 2 + 3 + 1) + 34, 'splits at 4096 and ends with a 34-byte goodbye')
})

for (const size of [0, 1, 4095, 4096, 4097, 200_000]) {
  test(`box-stream interop, ${size} bytes in random writes`, async (t) => {
    const k = key()
    const n = nonce()
    const data = payload(size)
    const ourWire = await encryptAll(createBoxStream(k, n), randomWrites(data, size + 7))
    const byThem = await decryptAll(refBox.createUnboxStream(k, n), ourWire, 1000)
    t.error(byThem.err, 'pull-box-stream reads ours to a clean end')
    t.equal(byThem.hash, sha256(data), 'ours → theirs hash matches')
    const theirWire = await encryptAll(refBox.createBoxStream(k, n), randomWrites(data, size + 8))
    const byUs = await decryptAll(createUnboxStream(k, n), theirWire, 777)
    t.error(byUs.err, 'we read theirs to a clean end')
    t.equal(byUs.hash, sha256(data), 'theirs → ours hash matches')
  })
}

test('one byte at a time, and the 56-byte key ‖ nonce form with string writes', async (t) => {
  const k = key()
  const n = nonce()
  const wire = await encryptAll(refBox.createBoxStream(k, n), pull.values([payload(4097), Buffer.from('end')]))
  const slow = await decryptAll(createUnboxStream(k, n), wire, 1)
  t.error(slow.err, 'clean end when every byte arrives alone')
  t.equal(slow.bytes, 4100, 'every byte decrypted')
  t.deepEqual(slow.plain.map((b) => b.length), [4096, 1, 3], 'frames come out whole, never partial')

  const combined = Buffer.concat([k, n])
  const ourWire = await encryptAll(createEncryptStream(combined), pull.values(['héllo', 'wörld']))
  const out = await decryptAll(refBox.createDecryptStream(combined), ourWire)
  t.equal(Buffer.concat(out.plain).toString('utf8'), 'héllowörld', 'strings go out as UTF-8 with a 56-byte key')
  const back = await decryptAll(createDecryptStream(combined), ourWire)
  t.equal(Buffer.concat(back.plain).toString('utf8'), 'héllowörld', 'our decrypter takes the 56-byte form too')
})

test('empty writes send nothing; keys and nonces given are never mutated', async (t) => {
  const k = key()
  const n = nonce()
  const kCopy = Buffer.from(k)
  const nCopy = Buffer.from(n)
  const wire = await encryptAll(createBoxStream(k, n), pull.values([Buffer.alloc(0), '', Buffer.alloc(0)]))
  t.equal(wire.length, 34, 'only the goodbye is sent')
  const out = await decryptAll(createUnboxStream(k, n), wire)
  t.error(out.err, 'the goodbye alone is a clean, empty stream')
  t.equal(out.chunks, 0, 'no plaintext')
  t.ok(k.equals(kCopy) && n.equals(nCopy), 'caller buffers unchanged')
})

test('a stream cut at any byte before the goodbye is ERR_TRUNCATED, never a clean end', async (t) => {
  const k = key()
  const n = nonce()
  const wire = await encryptAll(createBoxStream(k, n), pull.values([Buffer.from('first'), Buffer.from('second')]))
  let allTruncated = true
  let noExtra = true
  for (let cut = 0; cut < wire.length; cut++) {
    const out = await decryptAll(createUnboxStream(k, n), wire.subarray(0, cut))
    if (!isSecretChannelError(out.err, 'ERR_TRUNCATED')) allTruncated = false
    const whole = cut >= 39 + 40 ? 2 : cut >= 39 ? 1 : 0
    if (out.chunks > whole) noExtra = false
  }
  t.ok(allTruncated, `all ${wire.length} cuts give ERR_TRUNCATED`)
  t.ok(noExtra, 'only whole, authenticated frames were emitted before the error')
  const full = await decryptAll(createUnboxStream(k, n), wire)
  t.error(full.err, 'the whole stream ends cleanly')
  const ref = await decryptAll(refBox.createUnboxStream(k, n), wire.subarray(0, wire.length - 34))
  t.ok(ref.err, 'the reference also refuses a missing goodbye (as an error)')
})

test('a flipped bit anywhere is ERR_BOX_TAMPERED and nothing from the bad frame comes out', async (t) => {
  const k = key()
  const n = nonce()
  const wire = await encryptAll(createBoxStream(k, n), pull.values([Buffer.from('first'), Buffer.from('second')]))
  let allTampered = true
  let leaked = false
  for (let i = 0; i < wire.length; i++) {
    const bad = Buffer.from(wire)
    bad[i]! ^= 1 << (i % 8)
    const out = await decryptAll(createUnboxStream(k, n), bad)
    if (!isSecretChannelError(out.err, 'ERR_BOX_TAMPERED')) allTampered = false
    const framesBefore = i < 39 ? 0 : i < 79 ? 1 : 2
    if (out.chunks > framesBefore) leaked = true
  }
  t.ok(allTampered, `every one of ${wire.length} flipped bits is detected`)
  t.notOk(leaked, 'no plaintext from a tampered frame')
})

test('a header claiming more than 4096 bytes is ERR_PROTOCOL (the reference accepts it)', async (t) => {
  const crypto = getCryptoBackend()
  const k = key()
  const n = nonce()
  const body = payload(5000)
  const n1 = Buffer.from(n)
  incrementNonce(n1)
  const bodyTag = new Uint8Array(16)
  const boxedBody = Buffer.from(body)
  crypto.secretboxSealDetached(boxedBody, bodyTag, n1, k)
  const header = Buffer.alloc(34)
  header.writeUInt16BE(5000, 16)
  header.set(bodyTag, 18)
  crypto.secretboxSealDetached(header.subarray(16), header.subarray(0, 16), n, k)
  const wire = Buffer.concat([header, boxedBody])
  const out = await decryptAll(createUnboxStream(k, n), wire)
  t.ok(isSecretChannelError(out.err, 'ERR_PROTOCOL'), `refused: ${out.err?.message}`)
  t.equal(out.chunks, 0, 'nothing emitted')
})

test('an error end sends no goodbye and passes the error on; the receiver sees it was cut', async (t) => {
  const k = key()
  const n = nonce()
  const boom = new Error('upstream failed')
  const chunks: Buffer[] = []
  const err = await new Promise<Error | null>((resolve) => {
    pull(pull.values([Buffer.from('one')]), (read: Source<Buffer>) => (abort: End, cb: SourceCallback<Buffer>) => read(abort, (end: End, data?: Buffer) => cb(end === true ? boom : end, data)),
      createBoxStream(k, n), pull.drain((c: Buffer) => chunks.push(c), (e: Error | null) => resolve(e)))
  })
  t.equal(err, boom, 'the upstream error comes out')
  t.equal(Buffer.concat(chunks).length, 34 + 3, 'one frame, no goodbye')
  const out = await decryptAll(createUnboxStream(k, n), Buffer.concat(chunks))
  t.ok(isSecretChannelError(out.err, 'ERR_TRUNCATED'), 'the receiver reports truncation')
  t.equal(Buffer.concat(out.plain).toString(), 'one', 'the whole frame before the cut was delivered')
  const bad = await decryptAll(createBoxStream(k, n), [42 as unknown as Buffer] /* a wrong type on purpose */)
  t.ok(isSecretChannelError(bad.err, 'ERR_INVALID_ARGUMENT'), 'a non-buffer write is a typed error')
  t.throws(() => createBoxStream(payload(31), n), /32-byte key/, 'wrong key length throws')
  t.throws(() => createUnboxStream(k, payload(23)), /24-byte nonce/, 'wrong nonce length throws')
})

test('demand-driven: the encrypter pulls one plaintext chunk per ciphertext read', async (t) => {
  let reads = 0
  const endless = (abort: End, cb: SourceCallback<Buffer>): void => {
    if (abort) return cb(abort)
    reads++
    cb(null, Buffer.alloc(10))
  }
  const box = createBoxStream(key(), nonce())(endless)
  await new Promise<void>((resolve) => box(null, () => box(null, () => box(null, () => resolve()))))
  t.equal(reads, 3, 'three reads downstream, three upstream')
  await new Promise<void>((resolve) => box(true, () => resolve()))
  t.pass('abort propagates and answers')
})
