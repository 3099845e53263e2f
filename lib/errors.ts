/**
 * One error class for everything this package reports, with a stable `code` per cause.
 *
 * Callers branch on `code`, never on the message. The message always names the phase that
 * failed ("client hello", "box-stream", …) so a log line alone says where things broke.
 * The original cause, when there is one, is kept as `cause`.
 * @module
 */

/**
 * Every code a {@link SecretChannelError} can carry. Stable across versions.
 * @example
 * ```ts
 * stream.on('error', (err) => {
 *   if (isSecretChannelError(err) && err.code === ErrorCodes.TRUNCATED) console.warn('the peer vanished without a goodbye')
 * })
 * ```
 */
export const ErrorCodes = Object.freeze({
  /** The whole-handshake deadline passed before the handshake completed. */
  HANDSHAKE_TIMEOUT: 'ERR_HANDSHAKE_TIMEOUT',
  /** The peer's hello was not made with our app key (network identifier): a different network. */
  WRONG_APP_KEY: 'ERR_WRONG_APP_KEY',
  /**
   * The server could not open the client's authentication (the client dialed a key the server
   * does not hold), or the client could not verify the server's acceptance (the server is not who
   * the client dialed).
   */
  SERVER_KEY_MISMATCH: 'ERR_SERVER_KEY_MISMATCH',
  /**
   * The server refused the client in `authorize`, or (seen from the client) the server hung up right
   * after the client authenticated, which SHS1 deliberately makes indistinguishable from a wrong number.
   */
  UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  /** The peer broke the protocol: a wrong length, an invalid or low-order point, a bad signature, an oversized frame. */
  PROTOCOL: 'ERR_PROTOCOL',
  /** A box-stream header or body failed authentication: tampering, corruption, or a desynchronised stream. */
  BOX_TAMPERED: 'ERR_BOX_TAMPERED',
  /** The transport ended before the protocol said it was done (before the handshake finished or before the goodbye). */
  TRUNCATED: 'ERR_TRUNCATED',
  /** An `AbortSignal` fired or the stream was destroyed by its owner. */
  ABORTED: 'ERR_ABORTED',
  /** An open channel saw no traffic for longer than its idle timeout. */
  IDLE_TIMEOUT: 'ERR_IDLE_TIMEOUT',
  /** A call was made that the current state does not allow (a state machine used out of turn, a write after end). */
  INVALID_STATE: 'ERR_INVALID_STATE',
  /** An argument was missing, of the wrong type or of the wrong length. */
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  /** A command-line mistake (unknown option, missing value, bad address): the CLI exits 2. */
  USAGE: 'ERR_USAGE',
  /** The underlying transport failed (connection refused, reset, …); the transport's error is the `cause`. */
  TRANSPORT: 'ERR_TRANSPORT',
  /** A key or identity file could not be read, parsed or decrypted. */
  BAD_KEY: 'ERR_BAD_KEY',
  /** A password did not open a sealed secret. */
  WRONG_PASSWORD: 'ERR_WRONG_PASSWORD',
  /** A token, challenge or code was wrong, expired, replayed or for another user. */
  INVALID_TOKEN: 'ERR_INVALID_TOKEN',
  /**
   * An enrollment code can no longer be used: it already enrolled every device it was good for, or
   * it has no guesses left (burnt). Ask the operator for a new code.
   */
  CODE_SPENT: 'ERR_CODE_SPENT',
  /** A stored peer key differs from the one presented (possible man in the middle). */
  KEY_CHANGED: 'ERR_KEY_CHANGED',
  /** A requested item does not exist. */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** The requested item already exists. */
  ALREADY_EXISTS: 'ERR_ALREADY_EXISTS',
  /**
   * A server refused the request because this source (or the server as a whole) has too much
   * expensive work in flight or used up its allowance for the current window. Retry later.
   */
  RATE_LIMITED: 'ERR_RATE_LIMITED'
} as const)

/**
 * The union of all error codes.
 * @example
 * ```ts
 * const retryable: ErrorCode[] = ['ERR_TRANSPORT', 'ERR_HANDSHAKE_TIMEOUT']
 * if (isSecretChannelError(err) && retryable.includes(err.code)) setTimeout(reconnect, 1000)
 * ```
 */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** Options for constructing a {@link SecretChannelError}. */
export interface SecretChannelErrorOptions {
  /** The error that caused this one, kept for debugging; never contains key material. */
  cause?: unknown
}

/**
 * The only error class this package throws or emits.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => {
 *   if (err instanceof SecretChannelError && err.code === 'ERR_WRONG_APP_KEY') console.error('other network')
 * })
 * ```
 */
export class SecretChannelError extends Error {
  /** A stable, machine-readable code; see {@link ErrorCodes}. */
  readonly code: ErrorCode
  /** The protocol phase that failed, e.g. `"client hello"`, `"box-stream"`, `"handshake"`. */
  readonly phase: string

  /**
   * @param code - one of {@link ErrorCodes}
   * @param phase - the phase that failed; becomes the message's prefix
   * @param detail - what went wrong, in words
   * @param options - `cause`, the underlying error
   */
  constructor(code: ErrorCode, phase: string, detail: string, options?: SecretChannelErrorOptions) {
    super(`${phase}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SecretChannelError'
    this.code = code
    this.phase = phase
  }
}

/**
 * True when `err` is a {@link SecretChannelError}, optionally with the given code.
 * @param err - any thrown value
 * @param code - when given, the code it must carry
 * @example
 * ```ts
 * try {
 *   await connect({ host, port, keyPair, appKey, remotePublicKey })
 * } catch (err) {
 *   if (isSecretChannelError(err, 'ERR_WRONG_APP_KEY')) console.error('the server is on another network')
 *   else if (isSecretChannelError(err)) console.error(err.code, err.phase)
 *   else throw err
 * }
 * ```
 */
export function isSecretChannelError(err: unknown, code?: ErrorCode): err is SecretChannelError {
  return err instanceof SecretChannelError && (code === undefined || err.code === code)
}
