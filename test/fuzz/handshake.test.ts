/**
 * Bounded fuzz properties of the four SHS1 messages and of random call orders (the long run is
 * `npm run fuzz`). On every backend (@test-all-backends): each backend's strictness decides.
 */
import test from 'tape'
import fc from 'fast-check'
import { handshakeTargets } from './targets/handshake.js'

const runs = Number(process.env.FUZZ_TEST_RUNS || 400)

for (const target of handshakeTargets()) {
  test(`fuzz ${target.name}: ${target.description}: valid output or one typed error`, (t) => {
    const started = Date.now()
    fc.assert(fc.property(target.arbitrary, (input) => { target.check(input) }), { numRuns: runs })
    t.pass(`${runs} cases in ${Date.now() - started} ms`)
    t.end()
  })
}
