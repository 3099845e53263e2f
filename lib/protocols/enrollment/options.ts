/**
 * Option checks shared by both enrollment state machines.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { Phase } from './layout.js'

/** The default number of key exchanges per connection before giving up. */
const DEFAULT_MAX_ATTEMPTS = 3

/**
 * Validates `maxAttempts` (1…255: the attempt number travels in one byte) and applies the default.
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT`
 */
export function checkAttempts(maxAttempts: number | undefined): number {
  const n = maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  if (!Number.isInteger(n) || n < 1 || n > 255) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'maxAttempts must be an integer from 1 to 255')
  }
  return n
}
