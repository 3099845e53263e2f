/**
 * The error an `AbortSignal` produces, following the platform's convention: `name` is
 * `'AbortError'` (what `fetch`, `events.once` and `stream.pipeline` throw), the `code` stays
 * `ERR_ABORTED`, and the signal's `reason` is kept as `cause`.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'

/**
 * A `SecretChannelError` with `code` `ERR_ABORTED`, `name` `'AbortError'` and `cause` the signal's reason.
 * @param phase - what was aborted (the message's prefix)
 * @param signal - the signal that fired (its `reason` becomes `cause`)
 * @example
 * ```ts
 * signal.addEventListener('abort', () => stream.destroy(abortError('handshake', signal)))
 * ```
 */
export function abortError(phase: string, signal: AbortSignal | undefined, detail = 'aborted by the AbortSignal'): SecretChannelError {
  const err = new SecretChannelError(ErrorCodes.ABORTED, phase, detail, { cause: signal?.reason })
  err.name = 'AbortError'
  return err
}
