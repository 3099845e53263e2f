/** One-time enrollment codes. */
import test from 'tape'
import { EnrollmentCode, normalizeCode } from '../../lib/protocols/enrollment/index.js'

test('generated codes are grouped digits and differ', (t) => {
  const a = EnrollmentCode.generate()
  const b = EnrollmentCode.generate()
  t.match(a.text, /^\d{3}-\d{3}-\d{3}$/, 'nine digits in groups of three')
  t.notEqual(a.text, b.text, 'two codes differ (1 in 10^9 flake)')
  t.match(EnrollmentCode.generate(12).text, /^\d{3}-\d{3}-\d{3}-\d{3}$/, 'twelve digits')
  t.throws(() => EnrollmentCode.generate(4), /6 to 64 digits/, 'too short refused')
  t.end()
})

test('normalization ignores case, spaces and dashes', (t) => {
  t.deepEqual(normalizeCode(' AB-cd 12'), normalizeCode('abcd12'), 'same bytes')
  t.notDeepEqual(normalizeCode('abcd13'), normalizeCode('abcd12'), 'different codes differ')
  t.end()
})

test('a code is used up by consume() and burnt after maxGuesses', (t) => {
  const code = new EnrollmentCode('123', { maxGuesses: 2 })
  code.takeGuess()
  t.ok(code.usable, 'usable after one guess')
  code.takeGuess()
  t.notOk(code.usable, 'burnt after two')
  try { code.takeGuess(); t.fail('third') } catch (err: any) { t.equal(err.code, 'ERR_INVALID_TOKEN', 'third guess: ERR_INVALID_TOKEN') }
  const once = new EnrollmentCode('456')
  once.consume()
  try { once.takeGuess(); t.fail('after consume') } catch (err: any) { t.equal(err.code, 'ERR_INVALID_TOKEN', 'after consume: ERR_INVALID_TOKEN') }
  t.end()
})
