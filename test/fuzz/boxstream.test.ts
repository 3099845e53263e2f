/**
 * Bounded fuzz property of the box-stream decoder (the long run is `npm run fuzz`). On every
 * backend (@test-all-backends): each backend's secretbox opens the frames.
 */
import test from 'tape'
import fc from 'fast-check'
import { boxStreamTarget } from './targets/boxstream.js'

const runs = Number(process.env.FUZZ_TEST_RUNS || 1500)

test('fuzz boxstream-decoder: exactly the frames before the first bad byte, then one typed error or a clean end', (t) => {
  const target = boxStreamTarget()
  const started = Date.now()
  fc.assert(fc.property(target.arbitrary, (input) => { target.check(input) }), { numRuns: runs })
  t.pass(`${runs} cases in ${Date.now() - started} ms`)
  t.end()
})
