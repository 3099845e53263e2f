/** Bounded fuzz property of the pull-stream adapter (the long run is `npm run fuzz`). */
import test from 'tape'
import fc from 'fast-check'
import { pullTarget } from './targets/pull.js'
import { checkNoStrays, installGuards } from '../helpers/guards.js'

installGuards()
const runs = Number(process.env.FUZZ_TEST_RUNS || 300)

for (const side of ['server', 'client'] as const) {
  test(`fuzz pull-${side}: exactly the authenticated plaintext, then a clean end or exactly the expected typed error, no hang`, async (t) => {
    const target = pullTarget(undefined, side)
    const started = Date.now()
    await fc.assert(fc.asyncProperty(target.arbitrary, async (input) => { await target.check(input) }), { numRuns: runs })
    t.pass(`${runs} cases in ${Date.now() - started} ms`)
    await checkNoStrays(t)
  })
}
