/** Bounded fuzz property of the identity-file parser (the long run is `npm run fuzz`). */
import test from 'tape'
import fc from 'fast-check'
import { identityFileTarget } from './targets/identity.js'

const runs = Number(process.env.FUZZ_TEST_RUNS || 1500)

test('fuzz identity-file: the honest key pair or one ERR_BAD_KEY, and no secret in the error', (t) => {
  const target = identityFileTarget()
  const started = Date.now()
  fc.assert(fc.property(target.arbitrary, (input) => { target.check(input) }), { numRuns: runs })
  t.pass(`${runs} cases in ${Date.now() - started} ms`)
  t.end()
})
