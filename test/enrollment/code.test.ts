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
  t.equal(code.spent, 'burnt', 'spent: burnt')
  try { code.takeGuess(); t.fail('third') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_CODE_SPENT', 'third guess: ERR_CODE_SPENT') }
  const once = new EnrollmentCode('456')
  once.consume()
  t.equal(once.spent, 'used', 'spent: used')
  try { once.takeGuess(); t.fail('after consume') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_CODE_SPENT', 'after consume: ERR_CODE_SPENT') }
  t.end()
})

test('a correct answer turns its guess into a use: the last allowed guess can succeed', (t) => {
  const code = new EnrollmentCode('123', { maxGuesses: 1 })
  code.takeGuess()
  t.equal(code.spent, 'burnt', 'no guess left while the only challenge is unanswered')
  code.redeem()
  t.equal(code.spent, 'used', 'answered: used, not burnt')
  t.equal(code.enrolled, 1, 'one device')
  t.end()
})

test('a code good for several devices: uses, shared guess budget, refusal after the last use', (t) => {
  const code = new EnrollmentCode('123', { uses: 2, maxGuesses: 2 })
  code.takeGuess(); code.redeem()
  code.takeGuess(); t.ok(code.usable, 'one use left, one unanswered guess of two')
  code.takeGuess(); t.equal(code.spent, 'burnt', 'two unanswered guesses: no more challenges')
  code.redeem()
  t.equal(code.spent, 'used', 'second device enrolled: used up')
  try { code.redeem(); t.fail('third use') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_CODE_SPENT', 'a third answer finds it used') }
  t.throws(() => new EnrollmentCode('1', { uses: 0 }), /uses must be/, 'uses 0 refused')
  const forever = new EnrollmentCode('1', { uses: Infinity })
  for (let i = 0; i < 10; i++) { forever.takeGuess(); forever.redeem() }
  t.ok(forever.usable, 'uses: Infinity stays usable')
  t.end()
})
