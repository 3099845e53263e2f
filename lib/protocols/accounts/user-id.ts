/**
 * Account names ("user ids"): what is allowed, checked the same way by every server.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'

/** Longest user id, in UTF-8 bytes. */
const MAX_USER_ID_BYTES = 128

/**
 * Checks a user id: 1–128 UTF-8 bytes, already in Unicode NFC, no control characters. Returns it.
 * @throws SecretChannelError with `code` (`ERR_INVALID_ARGUMENT` by default)
 */
export function assertUserID(userID: string, phase = 'user id', code: 'ERR_INVALID_ARGUMENT' | 'ERR_PROTOCOL' = ErrorCodes.INVALID_ARGUMENT): string {
  const bytes = typeof userID === 'string' ? Buffer.byteLength(userID, 'utf8') : 0
  // eslint-disable-next-line no-control-regex
  const ok = bytes >= 1 && bytes <= MAX_USER_ID_BYTES && userID.normalize('NFC') === userID && !/[\u0000-\u001f\u007f-\u009f]/.test(userID)
  if (!ok) throw new SecretChannelError(code, phase, `a user id is 1–${MAX_USER_ID_BYTES} bytes of NFC text without control characters`)
  return userID
}
