/**
 * Bounded fuzz property of the streamx adapter (the long run is `npm run fuzz`). On every backend
 * (@test-all-backends): with WebCrypto the streams take the driver's pending steps.
 */
import test from 'tape'
import fc from 'fast-check'
import { secretStreamTarget } from './targets/streams.js'
import { checkNoStrays, installGuards } from '../helpers/guards.js'

installGuards()
const runs = Number(process.env.FUZZ_TEST_RUNS || 300)

for (const side of ['server', 'client'] as const) {
  test(`fuzz secret-stream-${side}: exactly the expected plaintext, then a clean end or exactly the expected typed error, no hang`, async (t) => {
    const target = secretStreamTarget(undefined, side)
    const started = Date.now()
    await fc.assert(fc.asyncProperty(target.arbitrary, async (input) => { await target.check(input) }), { numRuns: runs })
    t.pass(`${runs} cases in ${Date.now() - started} ms`)
    await checkNoStrays(t)
  })
}
