/**
 * One-time enrollment codes: what an operator reads out or pastes to the person enrolling a device.
 *
 * A code authenticates the exchange (see `primitives.ts`): without it, whoever sits between the
 * device and the server can enroll himself or hand the device his own key. Each exchange lets an
 * attacker test one guess online, so the server counts every challenge it issues under a code as a
 * guess, and the code stops working after `maxGuesses` or after its first successful enrollment.
 * @module
 */
import { randomInt } from 'node:crypto'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { Phase } from './layout.js'

const encoder = new TextEncoder()

/**
 * Normalizes a code as typed by a person: Unicode NFKC, lower case, spaces and dashes removed.
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for an empty code
 * @example
 * ```ts
 * normalizeCode('482 913-075') // the bytes of "482913075"
 * normalizeCode('ABC-def') // the bytes of "abcdef": typing case and dashes do not matter
 * ```
 */
export function normalizeCode(code: string | Uint8Array): Uint8Array {
  if (code instanceof Uint8Array) {
    if (code.length === 0) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'the enrollment code is empty')
    return new Uint8Array(code) // a copy even for a Buffer, whose slice() is a view: we wipe ours
  }
  if (typeof code !== 'string') throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'the enrollment code must be a string')
  const text = code.normalize('NFKC').toLowerCase().replace(/[\s-]+/g, '')
  if (text.length === 0) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'the enrollment code is empty')
  return encoder.encode(text)
}

/**
 * Options for {@link EnrollmentCode}.
 * @example
 * ```ts
 * const options: EnrollmentCodeOptions = { uses: 10, maxGuesses: 20 } // one code for a batch of ten devices
 * const code = EnrollmentCode.generate(9, options)
 * ```
 */
export interface EnrollmentCodeOptions {
  /**
   * How many challenges under this code may go unanswered (wrong guesses, or exchanges still in
   * flight) before it refuses more (default 5). A challenge answered correctly does not count.
   */
  maxGuesses?: number
  /**
   * How many devices the code may enroll (default 1; `Infinity` for a code that works until the
   * server stops). Every device then shares the guess budget above.
   */
  uses?: number
}

/**
 * Why a code cannot start another exchange: every use taken, or no guesses left.
 * @example
 * ```ts
 * if (code.spent === 'burnt') console.error('too many wrong guesses: issue a new code')
 * ```
 */
export type CodeSpentReason = 'used' | 'burnt'

/**
 * A one-time code held by the server: good for `uses` enrollments (default 1), refused once
 * `maxGuesses` challenges issued under it went unanswered. Share one instance between connections so
 * the limits hold across them.
 *
 * Accounting: every challenge issued under the code counts as a guess when it is issued; a correct
 * response turns that guess into a use. So `maxGuesses` bounds the wrong guesses (and exchanges still
 * in flight) across all connections, and the last allowed guess can still succeed.
 *
 * @example
 * ```ts
 * const code = EnrollmentCode.generate()
 * console.log(`enrollment code: ${code.text}`) // e.g. "482-913-075"
 * const fleet = EnrollmentCode.generate(9, { uses: 10 }) // one code for ten devices
 * ```
 */
export class EnrollmentCode {
  /** The code as shown to people. */
  readonly text: string
  /** How many devices it may enroll. */
  readonly uses: number
  /** How many challenges may go unanswered. */
  readonly maxGuesses: number
  private readonly normalized: Uint8Array
  private guesses = 0
  private successes = 0

  /**
   * @param code - the code text (or raw bytes)
   * @param options - `maxGuesses`, `uses`
   */
  constructor(code: string | Uint8Array, options: EnrollmentCodeOptions = {}) {
    this.normalized = normalizeCode(code)
    this.text = typeof code === 'string' ? code : Buffer.from(code).toString('hex')
    const max = options.maxGuesses ?? 5
    if (!Number.isInteger(max) || max < 1) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'maxGuesses must be a positive integer')
    const uses = options.uses ?? 1
    if (!(uses === Infinity || (Number.isInteger(uses) && uses >= 1))) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'uses must be a positive integer or Infinity')
    }
    this.maxGuesses = max
    this.uses = uses
  }

  /**
   * A random code of `digits` decimal digits (default 9, about 30 bits), grouped by three.
   * Thirty bits are plenty because guesses are online only and limited by `maxGuesses`.
   */
  static generate(digits = 9, options: EnrollmentCodeOptions = {}): EnrollmentCode {
    if (!Number.isInteger(digits) || digits < 6 || digits > 64) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'a generated code needs 6 to 64 digits')
    }
    let text = ''
    for (let i = 0; i < digits; i++) text += String(randomInt(10))
    return new EnrollmentCode(text.replace(/(\d{3})(?=\d)/g, '$1-'), options)
  }

  /** Why the code cannot start another exchange, or null while it can. */
  get spent(): CodeSpentReason | null {
    if (this.successes >= this.uses) return 'used'
    if (this.guesses - this.successes >= this.maxGuesses) return 'burnt'
    return null
  }

  /** True while the code can start another exchange. */
  get usable(): boolean {
    return this.spent === null
  }

  /** Challenges issued so far under this code. */
  get guessesUsed(): number {
    return this.guesses
  }

  /** Devices enrolled with this code so far. */
  get enrolled(): number {
    return this.successes
  }

  /**
   * Counts one guess and returns the normalized code bytes for it.
   * @throws SecretChannelError `ERR_CODE_SPENT` once the code is used up or burnt
   * @internal used by the server state machine
   */
  takeGuess(): Uint8Array {
    this.assertUsable()
    this.guesses++
    return new Uint8Array(this.normalized)
  }

  /** Throws `ERR_CODE_SPENT` unless the code is {@link usable}. */
  assertUsable(): void {
    const spent = this.spent
    if (spent) throw spentError(spent, this.maxGuesses)
  }

  /**
   * Turns a correctly answered guess into a use. Only the use count matters here: the guess was
   * counted when its challenge went out, so the last allowed guess can succeed.
   * @throws SecretChannelError `ERR_CODE_SPENT` when other devices took every use meanwhile
   * @internal used by the server state machine
   */
  redeem(): void {
    if (this.successes >= this.uses) throw spentError('used', this.maxGuesses)
    this.successes++
    if (this.successes >= this.uses) this.normalized.fill(0)
  }

  /** Marks the code used up (no further device can enroll with it). */
  consume(): void {
    this.successes = Math.max(this.successes, this.uses === Infinity ? Number.MAX_SAFE_INTEGER : this.uses)
    this.normalized.fill(0)
  }
}

function spentError(reason: CodeSpentReason, maxGuesses: number): SecretChannelError {
  return reason === 'used'
    ? new SecretChannelError(ErrorCodes.CODE_SPENT, Phase.ENROLLMENT, 'the enrollment code was already used')
    : new SecretChannelError(ErrorCodes.CODE_SPENT, Phase.ENROLLMENT, `the enrollment code is burnt: ${maxGuesses} challenge(s) under it went unanswered`)
}
