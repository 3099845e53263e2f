/**
 * Fuzz target for the streamx adapter: a server `SecretStream` over an in-memory pair, fed by a
 * raw peer with an honest client transcript (msg1 ‖ msg3 ‖ box-stream frames ‖ ending), edited
 * anywhere and delivered in random chunks with random pauses between them, then the transport ends.
 *
 * The oracle is the box-stream one shifted past the handshake, plus the handshake's own codes:
 * an edit in msg1 is ERR_WRONG_APP_KEY, in msg3 ERR_SERVER_KEY_MISMATCH, a cut before the end of
 * msg3 ERR_TRUNCATED. The stream must emit exactly the expected plaintext and 'end', or a prefix of
 * it (buffered plaintext is dropped with a destroyed stream) and exactly that error, within a
 * deadline (a hang is a failure).
 */
import fc from 'fast-check'
import { ErrorCodes, type ErrorCode } from '../../../lib/errors.js'
import { createDuplexPair } from '../../../lib/streams/memory-pair.js'
import { SecretStream } from '../../../lib/streams/secret-stream.js'
import { cat, ensure, ensureTyped, fixture, sameBytes, type Fixture } from '../harness.js'
import { applyMutations, chunk } from '../mutate.js'
import { boxCaseArb, expectedOutcome, honestWire, type BoxCase } from './boxstream.js'
import type { FuzzTarget } from './types.js'

const HANDSHAKE = 64 + 112

/** One case: a box-stream case plus which chunk boundaries wait a macrotask. */
export interface StreamCase extends BoxCase {
  pauses: number[]
}

/** What the server side must do with `mutated`, given the honest client-to-server bytes. */
function expected(wire: Uint8Array, units: Parameters<typeof expectedOutcome>[1], mutated: Uint8Array): { plain: Uint8Array; code: ErrorCode | null } {
  let d = 0
  const common = Math.min(wire.length, mutated.length)
  while (d < common && wire[d] === mutated[d]) d++
  if (d < HANDSHAKE) {
    const none = new Uint8Array(0)
    if (d < 64) return { plain: none, code: mutated.length < 64 ? ErrorCodes.TRUNCATED : ErrorCodes.WRONG_APP_KEY }
    return { plain: none, code: mutated.length < HANDSHAKE ? ErrorCodes.TRUNCATED : ErrorCodes.SERVER_KEY_MISMATCH }
  }
  const shifted = units.map((u) => ({ ...u, start: u.start - HANDSHAKE, end: u.end - HANDSHAKE }))
  return expectedOutcome(wire.subarray(HANDSHAKE), shifted, mutated.subarray(HANDSHAKE))
}

/** The streamx adapter target (asynchronous). */
export function secretStreamTarget(f: Fixture = fixture()): FuzzTarget<StreamCase> & { async: true } {
  return {
    name: 'secret-stream-server',
    description: 'the streamx adapter (server side): edited transcripts in random chunks and pauses',
    async: true,
    arbitrary: fc.record({
      writes: boxCaseArb.map((c) => c.writes),
      ending: boxCaseArb.map((c) => c.ending),
      claim: fc.integer({ min: 4097, max: 65535 }),
      mutations: boxCaseArb.map((c) => c.mutations),
      chunks: boxCaseArb.map((c) => c.chunks),
      pauses: fc.array(fc.nat(20), { maxLength: 4 })
    }),
    async check(c) {
      const frames = honestWire(f, f.clientSession.encryptKey, f.clientSession.encryptNonce, c)
      const wire = cat(f.msg1, f.msg3, frames.wire)
      const units = frames.units.map((u) => ({ ...u, start: u.start + HANDSHAKE, end: u.end + HANDSHAKE }))
      const mutated = applyMutations(wire, c.mutations)
      const want = expected(wire, units, mutated)

      const [raw, transport] = createDuplexPair()
      const server = new SecretStream(transport, { isInitiator: false, keyPair: f.server, appKey: f.appKey, ephemeralSecretKey: f.serverEphemeral, crypto: f.crypto, handshakeTimeout: 0 })
      raw.resume() // msg2 and msg4 go nowhere
      raw.on('error', () => {})
      const out: Buffer[] = []
      let error: unknown = null
      let ended = false
      const finished = new Promise<void>((resolve) => {
        server.on('data', (d: unknown) => out.push(d as Buffer))
        server.on('end', () => { ended = true; resolve() })
        server.on('error', (e) => { error = e; resolve() })
        server.on('close', () => resolve())
      })
      const pieces = chunk(mutated, c.chunks)
      for (let i = 0; i < pieces.length && error === null && !raw.destroyed; i++) {
        raw.write(Buffer.from(pieces[i]!))
        if (c.pauses.includes(i)) await new Promise((r) => setImmediate(r))
      }
      if (!raw.destroyed) raw.end()
      let timer: ReturnType<typeof setTimeout> | undefined
      const hung = await Promise.race([finished.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), 5000) })])
      clearTimeout(timer)
      server.destroy()
      raw.destroy()
      ensure(!hung, 'the stream neither ended nor failed within 5 s (hang)')
      const plain = cat(...out)
      if (want.code === null) {
        ensure(sameBytes(plain, want.plain), `emitted ${plain.length} bytes, expected exactly ${want.plain.length}`)
        ensure(error === null && ended, `expected a clean end, got ${String(error)}`)
        return
      }
      // On an error, plaintext still buffered inside the stream is discarded with it (as with any
      // destroyed stream); what was delivered must be authentic: a prefix of the good frames.
      ensure(plain.length <= want.plain.length && sameBytes(plain, want.plain.subarray(0, plain.length)), `emitted ${plain.length} bytes that are not a prefix of the ${want.plain.length} authentic ones`)
      ensure(!ended, `expected ${want.code}, the stream ended cleanly`)
      ensureTyped(error, [want.code], 'secret-stream')
    }
  }
}
