/**
 * Fuzz target for box-stream: an honest session (random writes, some over 4096 bytes, then a
 * goodbye, nothing, an authenticated empty frame or a header that claims too much), optionally
 * edited, fed to a BoxDecoder in random chunks.
 *
 * The oracle walks the honest wire unit by unit and knows where the first edited byte is, so it
 * can say exactly what the decoder must emit (the plaintext of every frame wholly before the edit,
 * nothing else) and how it must stop (clean end, ERR_BOX_TAMPERED, ERR_PROTOCOL or ERR_TRUNCATED).
 */
import fc from 'fast-check'
import { BoxEncoder, incrementNonce } from '../../../lib/boxstream/index.js'
// The streams' decoder: in Node it batches whole chunks through the native addon where built.
import { StreamBoxDecoder } from '#box-decoder'
import { ErrorCodes, type ErrorCode } from '../../../lib/errors.js'
import { attempt, cat, ensure, ensureTyped, fixture, sameBytes, type Fixture } from '../harness.js'
import { applyMutations, chunk, chunkingArb, mutationsArb, type Mutation } from '../mutate.js'
import type { FuzzTarget } from './types.js'
import type { PlatformBytes } from '../../../lib/platform/bytes-type.js'

const { BOX_TAMPERED, PROTOCOL, TRUNCATED } = ErrorCodes

/** How the honest session ends. */
type Ending = 'goodbye' | 'none' | 'empty-frame+goodbye' | 'oversized-header'

/** One fuzz case. */
export interface BoxCase {
  writes: Uint8Array[]
  ending: Ending
  /** Length an oversized header claims (4097..65535). */
  claim: number
  mutations: Mutation[]
  chunks: number[]
  /**
   * How the decoder is fed: push (frame by frame), pushCoalesced or pushInPlace (whole frames per
   * chunk at once, through the native addon's batches where it is built). Default push.
   */
  feed?: 'push' | 'coalesced' | 'in-place'
}

/** A unit of the honest wire: a data frame, the goodbye, or the oversized header. */
interface Unit {
  kind: 'data' | 'goodbye' | 'oversized'
  start: number
  end: number
  plain: Uint8Array
}

const writeArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4090, max: 8200 }).map((n) => new Uint8Array(n).fill(n & 0xff)) }
)

/** The box-stream case arbitrary. */
export const boxCaseArb: fc.Arbitrary<BoxCase> = fc.record({
  writes: fc.array(writeArb, { maxLength: 4 }),
  ending: fc.constantFrom<Ending>('goodbye', 'goodbye', 'none', 'empty-frame+goodbye', 'oversized-header'),
  claim: fc.integer({ min: 4097, max: 65535 }),
  mutations: fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 3, arbitrary: mutationsArb(3) }),
  chunks: chunkingArb,
  feed: fc.constantFrom('push', 'coalesced', 'in-place')
})

/** secretbox(plain, nonce, key) with its tag first, 16 + plain.length bytes. */
function seal(f: Fixture, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + plain.length)
  out.set(plain, 16)
  f.crypto.secretboxSealDetached(out.subarray(16), out.subarray(0, 16), nonce, key)
  return out
}

/** Encodes the honest session and records where each unit lies. */
export function honestWire(f: Fixture, key: Uint8Array, nonce: Uint8Array, c: Pick<BoxCase, 'writes' | 'ending' | 'claim'>): { wire: Uint8Array; units: Unit[] } {
  const enc = new BoxEncoder(key, nonce, f.crypto)
  const parts: Uint8Array[] = []
  const units: Unit[] = []
  const n = nonce.slice() // the header nonce of the next frame, tracked independently of the encoder
  let at = 0
  const push = (bytes: Uint8Array, kind: Unit['kind'], plain: Uint8Array): void => {
    parts.push(bytes)
    units.push({ kind, start: at, end: at + bytes.length, plain })
    at += bytes.length
  }
  for (const w of c.writes) {
    const wire = enc.encode(w)
    let off = 0
    for (let from = 0; from < w.length; from += 4096) {
      const len = Math.min(4096, w.length - from)
      push(wire.subarray(off, off + 34 + len), 'data', w.subarray(from, from + len))
      off += 34 + len
      incrementNonce(n)
      incrementNonce(n)
    }
    ensure(off === wire.length, 'encoder produced an unexpected length')
  }
  if (c.ending === 'goodbye') push(enc.goodbye(), 'goodbye', new Uint8Array(0))
  if (c.ending === 'empty-frame+goodbye' || c.ending === 'oversized-header') {
    const bodyNonce = n.slice()
    incrementNonce(bodyNonce)
    const body = seal(f, new Uint8Array(0), bodyNonce, key) // just the 16-byte tag
    const length = c.ending === 'oversized-header' ? c.claim : 0
    const header = seal(f, cat(Uint8Array.of(length >>> 8, length & 0xff), body), n, key)
    if (c.ending === 'oversized-header') push(cat(header, new Uint8Array(40)), 'oversized', new Uint8Array(0))
    else {
      push(header, 'data', new Uint8Array(0))
      incrementNonce(n)
      incrementNonce(n)
      push(seal(f, new Uint8Array(18), n, key), 'goodbye', new Uint8Array(0))
    }
  }
  return { wire: cat(...parts), units }
}

/** What the decoder must do with `mutated` given the honest `wire`. */
export function expectedOutcome(wire: Uint8Array, units: Unit[], mutated: Uint8Array): { plain: Uint8Array; code: ErrorCode | null } {
  let d = 0
  const common = Math.min(wire.length, mutated.length)
  while (d < common && wire[d] === mutated[d]) d++
  const emitted: Uint8Array[] = []
  for (const u of units) {
    const headerEnd = u.start + 34
    if (u.kind === 'oversized' ? headerEnd <= d : u.end <= d) {
      if (u.kind === 'goodbye') return { plain: cat(...emitted), code: null }
      if (u.kind === 'oversized') return { plain: cat(...emitted), code: PROTOCOL }
      emitted.push(u.plain)
      continue
    }
    // The first unit touched by the edit (or cut): a header needs 34 bytes, a body its length.
    let code: ErrorCode
    if (d < headerEnd) code = mutated.length >= headerEnd ? BOX_TAMPERED : TRUNCATED
    else code = mutated.length >= u.end ? BOX_TAMPERED : TRUNCATED
    return { plain: cat(...emitted), code }
  }
  // Every honest unit arrived intact and none ended the stream: what follows is garbage or nothing.
  const extra = mutated.length - wire.length
  return { plain: cat(...emitted), code: extra >= 34 ? BOX_TAMPERED : TRUNCATED }
}

/** The box-stream decoder target. */
export function boxStreamTarget(f: Fixture = fixture()): FuzzTarget<BoxCase> {
  const key = f.clientSession.encryptKey
  const nonce = f.clientSession.encryptNonce
  return {
    name: 'boxstream-decoder',
    description: 'box-stream headers and bodies: random sessions, edits and chunkings',
    arbitrary: boxCaseArb,
    check(c) {
      const { wire, units } = honestWire(f, key, nonce, c)
      const mutated = applyMutations(wire, c.mutations)
      const expected = expectedOutcome(wire, units, mutated)
      const dec = new StreamBoxDecoder(key, nonce, f.crypto)
      const out: Uint8Array[] = []
      let failure: unknown = null
      for (const piece of chunk(mutated, c.chunks)) {
        const take = (p: Uint8Array): void => void out.push(Uint8Array.from(p))
        // In place, the decoder overwrites the chunk: it gets a copy of its own, as a socket's read would be.
        const r = attempt(() => c.feed === 'in-place' ? dec.pushInPlace(Uint8Array.from(piece) as PlatformBytes, take)
          : c.feed === 'coalesced' ? dec.pushCoalesced(piece, take) : dec.push(piece, take))
        if (!r.ok) {
          failure = r.error
          break
        }
      }
      if (failure === null) {
        const r = attempt(() => dec.end())
        if (!r.ok) failure = r.error
      }
      const plain = cat(...out)
      ensure(sameBytes(plain, expected.plain), `emitted ${plain.length} bytes, expected exactly ${expected.plain.length} (the frames before the first bad byte)`)
      if (expected.code === null) {
        ensure(failure === null, `a clean session failed: ${String(failure)}`)
        ensure(dec.ended, 'goodbye received but ended is false')
        return
      }
      ensure(failure !== null, `expected ${expected.code}, the decoder ended cleanly`)
      const err = ensureTyped(failure, [expected.code], 'box-stream')
      ensure(!dec.ended, 'a failed decoder claims a clean end')
      // After the failure: same error for every call, and nothing more is ever emitted.
      const again = attempt(() => dec.push(wire, () => ensure(false, 'plaintext after a failure')))
      ensure(!again.ok && again.error === err, 'push after a failure did not rethrow the same error')
      const end = attempt(() => dec.end())
      ensure(!end.ok && end.error === err, 'end after a failure did not rethrow the same error')
    }
  }
}
