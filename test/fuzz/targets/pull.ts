/**
 * Fuzz targets for the pull-stream adapter: `createServer(...)(cb)` fed by a pull source of an
 * edited honest client transcript (msg1 ‖ msg3 ‖ frames ‖ ending), and `createClient(...)(pub, cb)`
 * fed by an edited server transcript (msg2 ‖ msg4 ‖ frames ‖ ending), in random chunks, with random
 * pauses. The pull API has no option to fix the ephemeral key, so for the duration of a case the
 * process-wide backend hands out the fixture's ephemeral secret as its 32 random bytes, and an
 * asynchronous curve (WebCrypto, which makes its own ephemeral keys) is handed it as the fixed
 * ephemeral secret of every session.
 *
 * The same oracle as the streamx target, with no per-adapter exception: both adapters drive the
 * one handshake driver and hand over every authenticated frame before they report a failure.
 */
import type { CryptoBackend } from '../../../lib/crypto/backend.js'
import { getCryptoBackend, useCryptoBackend } from '../../../lib/crypto/index.js'
import { createClient, createServer } from '../../../lib/streams/pull.js'
import { cat, ensure, ensureTyped, fixture, sameBytes, type Fixture } from '../harness.js'
import { applyMutations, chunk } from '../mutate.js'
import { expectedForSide, streamCaseArb, transcriptFor, type StreamCase } from './streams.js'
import type { PullHandshakeCallback } from '../../../lib/streams/pull.js'
import type { FuzzTarget } from './types.js'

type End = null | true | Error
type SourceCb = (end: End, data?: Uint8Array) => void
type Source = (abort: End, cb: SourceCb) => void

/** A pull source of `chunks`; after each index in `pauses` it answers on the next macrotask. */
function chunkSource(chunks: Uint8Array[], pauses: number[]): Source {
  let i = 0
  return (abort, cb) => {
    if (abort) return cb(abort)
    if (i >= chunks.length) return cb(true)
    const index = i++
    const data = Buffer.from(chunks[index]!)
    if (pauses.includes(index)) setImmediate(() => cb(null, data))
    else cb(null, data)
  }
}

/** Reads a pull source to its end without growing the stack on synchronous sources. */
function drain(source: Source, onData: (d: Uint8Array) => void, onEnd: (end: End) => void): void {
  let sync = true
  let looping = false
  const next = (): void => {
    looping = true
    while (looping) {
      looping = false
      sync = true
      let answered = false
      source(null, (end, data) => {
        answered = true
        if (end) return onEnd(end)
        onData(data!)
        if (sync) looping = true
        else next()
      })
      sync = false
      if (!answered) return
    }
  }
  next()
}

type Side = 'server' | 'client'

/** Starts our pull handshake for `side` with the fixture's keys; returns its ciphertext duplex. */
function startHandshake(f: Fixture, side: Side, cb: PullHandshakeCallback<unknown>): { sink: (read: Source) => void; source: unknown } {
  if (side === 'server') {
    return createServer(f.server, (_pub: Buffer, answer: (err: null, ok: boolean) => void) => answer(null, true), f.appKey, 60_000)(cb)
  }
  return createClient(f.client, f.appKey, 60_000)(Buffer.from(f.server.publicKey), cb)
}

/** The pull adapter target for one side (asynchronous). */
export function pullTarget(f: Fixture = fixture(), side: Side = 'server'): FuzzTarget<StreamCase, Promise<void>> & { async: true } {
  const ephemeral = side === 'server' ? f.serverEphemeral : f.clientEphemeral
  return {
    name: `pull-${side}`,
    description: `the pull-stream adapter (${side} side): edited transcripts in random chunks and pauses`,
    async: true,
    arbitrary: streamCaseArb,
    async check(c) {
      const { wire, units } = transcriptFor(f, side, c)
      const mutated = applyMutations(wire, c.mutations)
      const want = expectedForSide(side, wire, units, mutated)

      const previous = getCryptoBackend()
      const curve = f.crypto.asyncCurve
      const pinned: CryptoBackend = {
        ...f.crypto,
        randomBytes: (n) => (n === 32 ? ephemeral.slice() : f.crypto.randomBytes(n)),
        ...(curve ? { asyncCurve: { name: curve.name, session: (keyPair, fixed) => curve.session(keyPair, fixed ?? ephemeral) } } : {})
      }
      useCryptoBackend(pinned)
      const out: Uint8Array[] = []
      let handshakeError: unknown = null
      let sourceEnd: End = null
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        const outcome = new Promise<void>((resolve) => {
          const duplex = startHandshake(f, side, (err, stream) => {
            if (err) {
              handshakeError = err
              return resolve()
            }
            // Our side has nothing to say: end it, which sends the goodbye.
            stream!.sink((abort: End, cb: SourceCb) => cb(abort || true))
            drain(stream!.source as unknown as Source, (d) => out.push(Uint8Array.from(d)), (end) => {
              sourceEnd = end
              resolve()
            })
          })
          duplex.sink(chunkSource(chunk(mutated, c.chunks), c.pauses))
          drain(duplex.source as unknown as Source, () => {}, () => {})
        })
        const hung = await Promise.race([outcome.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), 5000) })])
        ensure(!hung, `the pull ${side} neither finished nor failed within 5 s (hang)`)
      } finally {
        clearTimeout(timer)
        useCryptoBackend(previous)
      }
      const plain = cat(...out)
      ensure(sameBytes(plain, want.plain), `emitted ${plain.length} bytes, expected exactly ${want.plain.length}`)
      if (want.code === null) {
        ensure(handshakeError === null && sourceEnd === true, `expected a clean end, got ${String(handshakeError ?? sourceEnd)}`)
        return
      }
      const failure = handshakeError ?? (sourceEnd === true ? null : sourceEnd)
      ensure(failure !== null, `expected ${want.code}, the stream ended cleanly`)
      ensureTyped(failure, [want.code], 'pull')
    }
  }
}

/** The pull adapter's server side (`pull-server`). */
export const pullServerTarget = (f: Fixture = fixture()): FuzzTarget<StreamCase, Promise<void>> & { async: true } => pullTarget(f, 'server')

/** The pull adapter's client side (`pull-client`). */
export const pullClientTarget = (f: Fixture = fixture()): FuzzTarget<StreamCase, Promise<void>> & { async: true } => pullTarget(f, 'client')
