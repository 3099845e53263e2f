import fc from 'fast-check'
import { fixture, memoisingBackend } from './dist/test/fuzz/harness.js'
import { getCryptoBackend, useCryptoBackend } from './dist/lib/crypto/index.js'
useCryptoBackend(memoisingBackend(getCryptoBackend()))
const { clientAcceptTarget } = await import('./dist/test/fuzz/targets/handshake.js')
const t = clientAcceptTarget(fixture(getCryptoBackend()))
const t0 = performance.now()
fc.check(fc.property(t.arbitrary, (x) => { t.check(x) }), { numRuns: 10000, seed: 1 })
console.log('per case us', ((performance.now() - t0) / 10).toFixed(0))
