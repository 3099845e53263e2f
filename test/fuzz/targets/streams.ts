/**
 * Fuzz targets for the streamx adapter: a server (or client) `SecretStream` over an in-memory
 * pair, fed by a raw peer with the honest transcript it should receive (msg1 ‖ msg3, or msg2 ‖
 * msg4, then box-stream frames and an ending), edited anywhere, delivered in random chunks with
 * random pauses, then the transport ends.
 *
 * The oracle is the box-stream one shifted past the handshake, plus the handshake's own codes: an
 * edit in a hello is ERR_WRONG_APP_KEY, in msg3/msg4 ERR_SERVER_KEY_MISMATCH; a cut before the end
 * of the handshake is ERR_TRUNCATED, except a client's clean hang-up point with nothing of the
 * awaited message (ERR_WRONG_APP_KEY before msg2, ERR_UNAUTHORIZED before msg4), the same rule for
 * both adapters. The stream must emit exactly the expected plaintext, then 'end' or exactly that
 * error, within a deadline (a hang is a failure).
 */
import fc from 'fast-check'
import { ErrorCodes, type ErrorCode } from '../../../lib/errors.js'
import { createDuplexPair } from '../../../lib/streams/memory-pair.js'
import { SecretStream } from '../../../lib/streams/secret-stream.js'
import { cat, ensure, ensureTyped, fixture, sameBytes, type Fixture } from '../harness.js'
import { applyMutations, chunk } from '../mutate.js'
import { boxCaseArb, expectedOutcome, honestWire, type BoxCase } from './boxstream.js'
import type { FuzzTarget } from './types.js'

/** One case: a box-stream case plus which chunk boundaries wait a macrotask. */
export interface StreamCase extends BoxCase {
  pauses: number[]
}

/** Box-stream cases with pauses. */
export const streamCaseArb: fc.Arbitrary<StreamCase> = fc
  .tuple(boxCaseArb, fc.array(fc.nat(20), { maxLength: 4 }))
  .map(([c, pauses]) => ({ ...c, pauses }))

type Side = 'server' | 'client'

/**
 * What the receiving side must do with `mutated`, given the honest bytes it should receive:
 * the server gets msg1 (64) ‖ msg3 (112) ‖ frames, the client msg2 (64) ‖ msg4 (80) ‖ frames.
 */
export function expectedForSide(side: Side, wire: Uint8Array, units: Parameters<typeof expectedOutcome>[1], mutated: Uint8Array): { plain: Uint8Array; code: ErrorCode | null } {
  const handshake = side === 'server' ? 64 + 112 : 64 + 80
  let d = 0
  const common = Math.min(wire.length, mutated.length)
  while (d < common && wire[d] === mutated[d]) d++
  if (d < handshake) {
    const none = new Uint8Array(0)
    // One decision per (phase, event) for every adapter (HandshakeDriver.hangUp): a hang-up with
    // nothing of the awaited message is named by SHS1's likely reason on the client (another
    // network before the hello, a refusal before the acceptance), a partial message is a truncation.
    const hungUp = mutated.length === 0 || mutated.length === 64
    if (d < 64) {
      if (mutated.length >= 64) return { plain: none, code: ErrorCodes.WRONG_APP_KEY }
      return { plain: none, code: side === 'client' && hungUp ? ErrorCodes.WRONG_APP_KEY : ErrorCodes.TRUNCATED }
    }
    if (mutated.length >= handshake) return { plain: none, code: ErrorCodes.SERVER_KEY_MISMATCH }
    return { plain: none, code: side === 'client' && hungUp ? ErrorCodes.UNAUTHORIZED : ErrorCodes.TRUNCATED }
  }
  const shifted = units.map((u) => ({ ...u, start: u.start - handshake, end: u.end - handshake }))
  return expectedOutcome(wire.subarray(handshake), shifted, mutated.subarray(handshake))
}

/** The honest bytes `side` receives, with the frame units located in them. */
export function transcriptFor(f: Fixture, side: Side, c: BoxCase): { wire: Uint8Array; units: Parameters<typeof expectedOutcome>[1] } {
  const [key, nonce, head] = side === 'server'
    ? [f.clientSession.encryptKey, f.clientSession.encryptNonce, cat(f.msg1, f.msg3)]
    : [f.clientSession.decryptKey, f.clientSession.decryptNonce, cat(f.msg2, f.msg4)]
  const frames = honestWire(f, key, nonce, c)
  return { wire: cat(head, frames.wire), units: frames.units.map((u) => ({ ...u, start: u.start + head.length, end: u.end + head.length })) }
}

/** The streamx adapter target for one side (asynchronous). */
export function secretStreamTarget(f: Fixture = fixture(), side: Side = 'server'): FuzzTarget<StreamCase, Promise<void>> & { async: true } {
  return {
    name: `secret-stream-${side}`,
    description: `the streamx adapter (${side} side): edited transcripts in random chunks and pauses`,
    async: true,
    arbitrary: streamCaseArb,
    async check(c) {
      const { wire, units } = transcriptFor(f, side, c)
      const mutated = applyMutations(wire, c.mutations)
      const want = expectedForSide(side, wire, units, mutated)

      const [raw, transport] = createDuplexPair()
      const common = { appKey: f.appKey, crypto: f.crypto, handshakeTimeout: 0 }
      const server = side === 'server'
        ? new SecretStream(transport, { ...common, isInitiator: false, keyPair: f.server, ephemeralSecretKey: f.serverEphemeral })
        : new SecretStream(transport, { ...common, isInitiator: true, keyPair: f.client, remotePublicKey: f.server.publicKey, ephemeralSecretKey: f.clientEphemeral })
      raw.resume() // what the stream under test sends goes nowhere
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
      // Every authenticated byte reaches the application before any error (none is dropped with it).
      ensure(sameBytes(plain, want.plain), `emitted ${plain.length} bytes, expected exactly ${want.plain.length}`)
      if (want.code === null) {
        ensure(error === null && ended, `expected a clean end, got ${String(error)}`)
        return
      }
      ensure(!ended, `expected ${want.code}, the stream ended cleanly`)
      ensureTyped(error, [want.code], 'secret-stream')
    }
  }
}
