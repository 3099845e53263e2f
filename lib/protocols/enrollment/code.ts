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

/** Options for {@link EnrollmentCode}. */
export interface EnrollmentCodeOptions {
  /** How many challenges may be issued under this code before it is burnt (default 5). */
  maxGuesses?: number
}

/**
 * A one-time code held by the server: consumed by the first successful enrollment, burnt after
 * `maxGuesses` challenges. Share one instance between connections so the limits hold across them.
 *
 * @example
 * ```ts
 * const code = EnrollmentCode.generate()
 * console.log(`enrollment code: ${code.text}`) // e.g. "482-913-075"
 * ```
 */
export class EnrollmentCode {
  /** The code as shown to people. */
  readonly text: string
  private readonly normalized: Uint8Array
  private readonly maxGuesses: number
  private guesses = 0
  private consumed = false

  /**
   * @param code - the code text (or raw bytes)
   * @param options - `maxGuesses`
   */
  constructor(code: string | Uint8Array, options: EnrollmentCodeOptions = {}) {
    this.normalized = normalizeCode(code)
    this.text = typeof code === 'string' ? code : Buffer.from(code).toString('hex')
    const max = options.maxGuesses ?? 5
    if (!Number.isInteger(max) || max < 1) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'maxGuesses must be a positive integer')
    this.maxGuesses = max
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

  /** True while the code can still be used. */
  get usable(): boolean {
    return !this.consumed && this.guesses < this.maxGuesses
  }

  /** Challenges issued so far under this code. */
  get guessesUsed(): number {
    return this.guesses
  }

  /**
   * Counts one guess and returns the normalized code bytes for it.
   * @throws SecretChannelError `ERR_INVALID_TOKEN` once the code is used up or burnt
   * @internal used by the server state machine
   */
  takeGuess(): Uint8Array {
    this.assertUsable()
    this.guesses++
    return new Uint8Array(this.normalized)
  }

  /** Throws `ERR_INVALID_TOKEN` unless the code is {@link usable}. */
  assertUsable(): void {
    if (this.consumed) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, Phase.ENROLLMENT, 'the enrollment code was already used')
    if (this.guesses >= this.maxGuesses) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, Phase.ENROLLMENT, `the enrollment code is burnt after ${this.maxGuesses} attempts`)
  }

  /** Marks the code used; called once the device has been enrolled. */
  consume(): void {
    this.consumed = true
    this.normalized.fill(0)
  }
}
