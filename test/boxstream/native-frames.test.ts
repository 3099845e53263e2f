/**
 * The optional native box-stream addon (native/box-stream.c): whole writes framed and whole frames
 * opened in one call each. It must give exactly the bytes of the frame-by-frame path (the nonce
 * carry into byte 15, which changes the cached subkey, and the wrap at 2^192 included), report
 * tampering at the right frame, leave the frames it stops before untouched, and refuse bad
 * arguments by returning -1 without writing anything, never by crashing.
 *
 * Where the addon is not built the tests are skipped; CI sets SECRET_CHANNEL_EXPECT_NATIVE=1 (it
 * installs libsodium's headers), so a build that silently failed there is a failure.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { BoxEncoder } from '../../lib/boxstream/index.js'
import { BatchBoxDecoder } from '../../lib/boxstream/batch-decoder.js'
import type { CryptoBackend } from '../../lib/crypto/backend.js'
import { availableCryptoBackends, createCryptoBackend } from '../../lib/crypto/index.js'
import { NativeKeyedSecretbox, loadNativeBoxStream } from '../../lib/crypto/native-box-stream.js'
import { SodiumKeyedSecretbox, type CheckedSecretbox } from '../../lib/crypto/sodium-keyed.js'
import { SecretChannelError } from '../../lib/errors.js'

const native = availableCryptoBackends().includes('sodium-native') ? loadNativeBoxStream() : null
const skip = native === null

test('native box-stream: built and loaded where CI expects it', (t) => {
  if (process.env.SECRET_CHANNEL_EXPECT_NATIVE === '1') t.ok(native, 'the addon loaded (SECRET_CHANNEL_EXPECT_NATIVE=1)')
  else t.pass(native ? 'the addon is loaded here' : 'the addon is not built here: the tests below are skipped')
  t.end()
})

/** The sodium-native backend, with and without the addon's batches. */
function backends(): { batched: CryptoBackend, framewise: CryptoBackend } {
  const batched = createCryptoBackend('sodium-native')
  const checked = createRequire(import.meta.url)('sodium-native') as CheckedSecretbox
  const framewise: CryptoBackend = { ...batched, keyedSecretbox: (key) => new SodiumKeyedSecretbox(key, checked) }
  return { batched, framewise }
}

/** Nonces that exercise the subkey cache: random, a carry into byte 15 within a few frames, the wrap at 2^192. */
function interestingNonces(): Array<[string, Buffer]> {
  const carry = randomBytes(24)
  carry.fill(0xff, 16)
  carry[23] = 0xfa
  return [['random', randomBytes(24)], ['carry into byte 15', carry], ['wrap at 2^192', Buffer.alloc(24, 0xff)]]
}

const SIZES = [1, 17, 31, 32, 33, 4095, 4096, 4097, 8192, 12_289, 65_536, 100_000]

test('native box-stream: sealFrames writes the frame-by-frame bytes, goodbye included', { skip }, (t) => {
  const { batched, framewise } = backends()
  for (const [name, nonce] of interestingNonces()) {
    const key = randomBytes(32)
    const a = new BoxEncoder(key, nonce, batched), b = new BoxEncoder(key, nonce, framewise)
    let same = true
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      same &&= a.encode(plaintext).equals(b.encode(plaintext))
    }
    t.ok(same, `${name}: every write encodes to the same bytes`)
    t.ok(a.goodbye().equals(b.goodbye()), `${name}: the goodbye that follows is the same (the nonces stayed in step)`)
  }
  t.end()
})

test('native box-stream: openFrames decodes under random chunking, across the carry and the wrap', { skip }, (t) => {
  const { batched, framewise } = backends()
  for (const [name, nonce] of interestingNonces()) {
    const key = randomBytes(32)
    const enc = new BoxEncoder(key, nonce, framewise)
    const writes = SIZES.map((size) => randomBytes(size))
    const wire = Buffer.concat([...writes.map((w) => enc.encode(w)), enc.goodbye(), Buffer.from('ignored after the goodbye')])
    for (let round = 0; round < 40; round++) {
      // Even rounds in place (the chunk is overwritten), odd ones into a buffer of the decoder's own.
      const inPlace = round % 2 === 0
      const dec = new BatchBoxDecoder(key, nonce, batched)
      const got: Buffer[] = []
      let chunksKept = true
      for (let at = 0; at < wire.length;) {
        const size = round < 2 ? wire.length : 1 + Math.floor(Math.random() * (round < 20 ? 9000 : 70_000))
        const chunk = Buffer.from(wire.subarray(at, at + size))
        if (inPlace) dec.pushInPlace(chunk, (plain) => got.push(Buffer.from(plain)))
        else dec.pushCoalesced(chunk, (plain) => got.push(Buffer.from(plain)))
        chunksKept &&= inPlace || chunk.equals(wire.subarray(at, at + size))
        at += size
      }
      dec.end()
      if (!Buffer.concat(got).equals(Buffer.concat(writes)) || !dec.ended || !chunksKept) {
        t.fail(`${name}: round ${round} decoded differently (or changed a chunk it only reads)`)
        return t.end()
      }
    }
    t.pass(`${name}: 40 chunkings (whole, then random sizes; in place and not) decode to the writes and end at the goodbye; chunks fed to pushCoalesced are left as they were`)
  }
  t.end()
})

test('native box-stream: a flipped byte is reported at its frame; earlier frames are delivered, that frame untouched', { skip }, (t) => {
  const { batched, framewise } = backends()
  const key = randomBytes(32), nonce = randomBytes(24)
  const enc = new BoxEncoder(key, nonce, framewise)
  const plaintext = randomBytes(5 * 4096)
  const wire = enc.encode(plaintext)
  for (const [part, offset] of [['header', 2 * 4130 + 5], ['body', 3 * 4130 + 34 + 100]] as const) {
    const chunk = Buffer.from(wire)
    chunk[offset]! ^= 1
    const before = Buffer.from(chunk.subarray(offset - (offset % 4130), offset - (offset % 4130) + 4130))
    const dec = new BatchBoxDecoder(key, nonce, batched)
    const got: Buffer[] = []
    const frame = Math.floor(offset / 4130)
    try {
      dec.pushInPlace(chunk, (plain) => got.push(Buffer.from(plain)))
      t.fail(`${part}: no error`)
    } catch (err) {
      t.ok(err instanceof SecretChannelError && err.code === 'ERR_BOX_TAMPERED', `${part}: ERR_BOX_TAMPERED`)
      t.ok((err as Error).message.includes(`${part} of frame ${frame} failed authentication`), `${part}: the message names ${part} of frame ${frame}`)
    }
    t.ok(Buffer.concat(got).equals(plaintext.subarray(0, frame * 4096)), `${part}: the ${frame} frames before it were delivered`)
    t.ok(chunk.subarray(offset - (offset % 4130), offset - (offset % 4130) + 4130).equals(before), `${part}: the failing frame's bytes were left as they arrived`)
    t.throws(() => dec.pushInPlace(Buffer.from(wire), () => {}), /failed authentication/, `${part}: the decoder refuses everything afterwards`)
  }
  t.end()
})

test('native box-stream: a header claiming more than 4096 bytes is still a protocol error', { skip }, (t) => {
  const { batched, framewise } = backends()
  const key = randomBytes(32), nonce = randomBytes(24)
  const enc = new BoxEncoder(key, nonce, framewise)
  const first = enc.encode(randomBytes(100))
  // A second frame whose authenticated header says 4097: sealed by hand with the next nonce.
  const next = Buffer.from(nonce)
  for (let i = 0; i < 2; i++) for (let j = 23; j >= 0 && ++next[j]! === 256; j--) next[j] = 0
  const header = Buffer.alloc(34)
  header.writeUInt16BE(4097, 16)
  framewise.secretboxSealDetached(header.subarray(16), header.subarray(0, 16), next, key)
  const dec = new BatchBoxDecoder(key, nonce, batched)
  const got: Buffer[] = []
  t.throws(() => dec.pushInPlace(Buffer.concat([first, header, Buffer.alloc(5000)]), (p) => got.push(Buffer.from(p))), /claims 4097 bytes/, 'ERR_PROTOCOL, named')
  t.equal(Buffer.concat(got).length, 100, 'the frame before it was delivered')
  t.end()
})

test('native box-stream: bad arguments return -1 and write nothing (never a crash)', { skip }, (t) => {
  const addon = native!
  const key = randomBytes(32), nonce = randomBytes(24), cache = new Uint8Array(49)
  const source = randomBytes(5000)
  const out = Buffer.alloc(5100, 7)
  const result = new Uint32Array(4)
  const untouched = () => out.every((b) => b === 7) && Buffer.from(nonce).equals(nonceCopy)
  const nonceCopy = Buffer.from(nonce)
  type Args = unknown[]
  const seals: Array<[string, Args]> = [
    ['no arguments', []],
    ['a short key', [key.subarray(1), cache, nonce, source, out, 0]],
    ['a short cache', [key, cache.subarray(1), nonce, source, out, 0]],
    ['a short nonce', [key, cache, nonce.subarray(1), source, out, 0]],
    ['a string source', [key, cache, nonce, 'hello', out, 0]],
    ['a Uint16Array out', [key, cache, nonce, source, new Uint16Array(5100), 0]],
    ['an offset past the end', [key, cache, nonce, source, out, 5101]],
    ['a negative offset', [key, cache, nonce, source, out, -1]],
    ['a fractional offset', [key, cache, nonce, source, out, 0.5]],
    ['a NaN offset', [key, cache, nonce, source, out, NaN]],
    ['too little room', [key, cache, nonce, source, out, 100]],
    ['a source inside the output', [key, cache, nonce, out.subarray(60, 160), out, 0]],
    ['the nonce inside the output', [key, cache, out.subarray(10, 34), source, out, 0]]
  ]
  for (const [name, args] of seals) {
    const sealFrames = addon.sealFrames as (...a: Args) => number
    t.equal(sealFrames(...args), -1, `sealFrames, ${name}: -1`)
  }
  t.ok(untouched(), 'sealFrames wrote nothing and left the nonce as it was')
  const chunk = Buffer.alloc(200, 7)
  const opens: Array<[string, Args]> = [
    ['a Uint8Array result', [key, cache, nonce, chunk, 0, chunk, 0, new Uint8Array(16)]],
    ['a result of 3', [key, cache, nonce, chunk, 0, chunk, 0, new Uint32Array(3)]],
    ['at past the end', [key, cache, nonce, chunk, 201, chunk, 0, result]],
    ['in place, to after at', [key, cache, nonce, chunk, 10, chunk, 11, result]],
    ['an output overlapping the chunk', [key, cache, nonce, chunk, 0, chunk.subarray(100), 0, result]],
    ['an output around the chunk', [key, cache, nonce, chunk.subarray(50, 100), 0, chunk, 0, result]],
    ['to past the output', [key, cache, nonce, chunk, 0, Buffer.alloc(10), 11, result]],
    ['the key inside the chunk', [chunk.subarray(0, 32), cache, nonce, chunk, 0, chunk, 0, result]],
    ['the nonce inside the output', [key, cache, chunk.subarray(150, 174), chunk.subarray(0, 100), 0, chunk.subarray(100), 0, result]],
    ['a detached key', [(() => { const b = new Uint8Array(32); structuredClone(b.buffer, { transfer: [b.buffer] }); return b })(), cache, nonce, chunk, 0, chunk, 0, result]]
  ]
  for (const [name, args] of opens) {
    const openFrames = addon.openFrames as (...a: Args) => number
    t.equal(openFrames(...args), -1, `openFrames, ${name}: -1`)
  }
  t.ok(chunk.every((b) => b === 7) && Buffer.from(nonce).equals(nonceCopy), 'openFrames wrote nothing and left the nonce as it was')
  const detached = new Uint8Array(64)
  structuredClone(detached.buffer, { transfer: [detached.buffer] })
  t.equal(addon.openFrames(key, cache, nonce, detached, 0, detached, 0, result), 0, 'a detached chunk reads as an empty one: nothing to open')
  t.deepEqual([...result], [0, 0, 0, 0], 'and nothing opened')
  t.end()
})

test('native box-stream: a wiped box refuses batches and zeroes its subkey cache', { skip }, (t) => {
  const checked = createRequire(import.meta.url)('sodium-native') as CheckedSecretbox
  const key = randomBytes(32)
  const box = new NativeKeyedSecretbox(key, checked, native!)
  const nonce = randomBytes(24)
  t.ok(box.sealFrames(randomBytes(100), Buffer.alloc(200), 0, nonce) > 0, 'seals before the wipe')
  const cache = (box as unknown as { cache: Uint8Array }).cache
  t.ok(cache.some((b) => b !== 0), 'the cache holds a subkey')
  box.wipe()
  t.ok(cache.every((b) => b === 0) && key.every((b) => b === 0), 'the wipe zeroed the cache and the key')
  t.equal(box.sealFrames(randomBytes(100), Buffer.alloc(200), 0, nonce), -1, 'sealFrames after the wipe: -1')
  const chunk = Buffer.alloc(200)
  t.equal(box.openFrames(chunk, 0, chunk, 0, nonce, new Uint32Array(4)), -1, 'openFrames after the wipe: -1')
  t.end()
})
