/**
 * What the enrollment client and server state machines add to the protocol kernel
 * (`lib/machine.ts`, which supplies the phase check, `keep()`, poisoning, wiping and the
 * `{ send, events }` step shape): reading a message's type byte, and the error for a message the
 * current phase does not allow.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { Machine, type TerminalPhase } from '../../machine.js'
import { Phase, RefusalReason, messageName, REFUSED_BYTES } from './layout.js'

/**
 * Base class of {@link EnrollmentClient} and {@link EnrollmentServer}.
 * @example
 * ```ts
 * class EnrollmentServer extends EnrollmentMachine<'await-hello' | 'await-response' | 'issue'> { … }
 * ```
 */
export abstract class EnrollmentMachine<S extends string> extends Machine<S> {
  /**
   * The current phase.
   * @deprecated use {@link Machine.phase}, the name every protocol machine shares
   */
  get state(): S | TerminalPhase {
    return this.current
  }

  protected constructor(initial: S) {
    super(initial, Phase.ENROLLMENT)
  }

  /** Checks a received message's basic shape and returns its type byte. */
  protected messageType(message: Uint8Array): number {
    if (!(message instanceof Uint8Array) || message.length === 0) {
      throw this.fail(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, 'empty or non-byte message')
    }
    return message[0]!
  }

  /** The error for a message that is not allowed in this phase. */
  protected unexpected(type: number): SecretChannelError {
    return this.fail(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, `unexpected ${messageName(type)} message in state "${this.current}"`)
  }
}

/**
 * What a REFUSED reason means, as the error the device reports.
 * @example
 * ```ts
 * refusalError(RefusalReason.CODE_USED).code // 'ERR_CODE_SPENT'
 * ```
 */
function refusalError(reason: number): SecretChannelError {
  const phase = Phase.REFUSED
  switch (reason) {
    case RefusalReason.CODE_USED:
      return new SecretChannelError(ErrorCodes.CODE_SPENT, phase, 'the server says the enrollment code was already used (ask the operator for a new one)')
    case RefusalReason.CODE_BURNT:
      return new SecretChannelError(ErrorCodes.CODE_SPENT, phase, 'the server says the enrollment code is burnt after too many wrong guesses (ask the operator for a new one)')
    case RefusalReason.CODE_REQUIRED:
      return new SecretChannelError(ErrorCodes.INVALID_TOKEN, phase, 'the server requires an enrollment code and this device used none')
    case RefusalReason.NO_CODE:
      return new SecretChannelError(ErrorCodes.INVALID_TOKEN, phase, 'the server has no enrollment code, but this device used one')
    default:
      return new SecretChannelError(ErrorCodes.PROTOCOL, phase, `the server refused for an unknown reason ${reason}`)
  }
}

/**
 * Parses a REFUSED message into its error (`ERR_PROTOCOL` when it is malformed).
 * @example
 * ```ts
 * if (message[0] === MessageType.REFUSED) throw parseRefusal(message)
 * ```
 */
export function parseRefusal(message: Uint8Array): SecretChannelError {
  if (message.length !== REFUSED_BYTES) {
    return new SecretChannelError(ErrorCodes.PROTOCOL, Phase.REFUSED, `expected ${REFUSED_BYTES} bytes, got ${message.length}`)
  }
  return refusalError(message[1]!)
}
