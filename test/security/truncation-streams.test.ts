/**
 * Truncation at every byte offset, through the adapters: a SecretStream server, a SecretStream
 * client and a pull server each receive a recorded transcript (handshake, frames, goodbye) cut at
 * every offset and then the transport's end. Each cut must be the documented error, never 'end'.
 */
import test from 'tape'
import { ErrorCodes } from '../../lib/errors.js'
import { fixture } from '../fuzz/harness.js'
import { pullServerTarget } from '../fuzz/targets/pull.js'
import { expectedForSide, secretStreamTarget, transcriptFor, type StreamCase } from '../fuzz/targets/streams.js'
import { applyMutations, type Mutation } from '../fuzz/mutate.js'
import { checkNoStrays, installGuards } from '../helpers/guards.js'

installGuards()
const f = fixture()

/** A short session: two frames, then the goodbye (the core test covers large frames). */
const session: Omit<StreamCase, 'mutations'> = {
  writes: [Buffer.from('hello'), new Uint8Array(200).fill(7)],
  ending: 'goodbye',
  claim: 4097,
  chunks: [],
  pauses: []
}

const targets = [
  { name: 'SecretStream server', side: 'server' as const, target: secretStreamTarget(f, 'server') },
  { name: 'SecretStream client', side: 'client' as const, target: secretStreamTarget(f, 'client') },
  { name: 'pull server', side: 'server' as const, target: pullServerTarget(f) }
]

for (const { name, side, target } of targets) {
  test(`${name}: a cut at every byte offset of a recorded session is an error, never a clean end`, async (t) => {
    const { wire, units } = transcriptFor(f, side, { ...session, mutations: [] })
    const codes: Record<string, number> = {}
    const wrong: string[] = []
    for (let cut = 0; cut < wire.length; cut++) {
      const mutations: Mutation[] = [{ kind: 'truncate', pos: cut }]
      const want = expectedForSide(side, wire, units, applyMutations(wire, mutations))
      if (want.code === null) wrong.push(`cut ${cut}: the oracle expects a clean end`)
      else codes[want.code] = (codes[want.code] ?? 0) + 1
      // The target's check asserts the exact code, no 'end', and only authentic plaintext.
      try {
        await target.check({ ...session, mutations })
      } catch (error) {
        wrong.push(`cut ${cut}: ${String(error)}`)
      }
    }
    t.deepEqual(wrong.slice(0, 5), [], `all ${wire.length} cuts detected`)
    const cutCodes = side === 'server' ? [ErrorCodes.TRUNCATED] : [ErrorCodes.TRUNCATED, ErrorCodes.WRONG_APP_KEY, ErrorCodes.UNAUTHORIZED]
    t.ok(Object.keys(codes).every((c) => cutCodes.includes(c as never)), `codes: ${JSON.stringify(codes)}`)
    await target.check({ ...session, chunks: [1], mutations: [] })
    t.pass('the whole session, even one byte at a time, ends cleanly')
    await checkNoStrays(t)
  })
}
