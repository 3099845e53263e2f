/**
 * What the enrollment client and server state machines share: one state field, a list of secrets
 * wiped together, and fail-closed error handling (any error poisons the machine and wipes it).
 * @module
 */
import { wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from '../../errors.js'
import { Phase, messageName } from './layout.js'

/** Base class of {@link EnrollmentClient} and {@link EnrollmentServer}. */
export abstract class EnrollmentMachine<S extends string> {
  /** The current state; `"done"` after success, `"failed"` after any error or {@link destroy}. */
  get state(): S | 'done' | 'failed' {
    return this.current
  }

  protected current: S | 'done' | 'failed'
  private readonly secrets: Uint8Array[] = []

  protected constructor(initial: S) {
    this.current = initial
  }

  /** Registers a secret to wipe on completion or failure; returns it. */
  protected keep<T extends Uint8Array>(secret: T): T {
    this.secrets.push(secret)
    return secret
  }

  /** Poisons the machine, wipes its secrets and returns the error to throw. */
  protected fail(code: ErrorCode, phase: string, detail: string, cause?: unknown): SecretChannelError {
    this.destroy()
    return new SecretChannelError(code, phase, detail, cause === undefined ? undefined : { cause })
  }

  /** Runs `step`, making sure any error it throws leaves the machine failed and wiped. */
  protected guarded<T>(step: () => T): T {
    try {
      return step()
    } catch (err) {
      this.destroy()
      if (err instanceof SecretChannelError) throw err
      throw new SecretChannelError(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, 'unexpected failure', { cause: err })
    }
  }

  /** Throws `ERR_INVALID_STATE` unless the machine is in one of `states`. */
  protected expectState(step: string, ...states: S[]): void {
    if (!(states as string[]).includes(this.current)) {
      const was = this.current
      this.destroy()
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, Phase.ENROLLMENT, `${step} called out of turn (state was "${was}")`)
    }
  }

  /** Checks a received message's basic shape and returns its type byte. */
  protected messageType(message: Uint8Array): number {
    if (!(message instanceof Uint8Array) || message.length === 0) {
      throw this.fail(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, 'empty or non-byte message')
    }
    return message[0]!
  }

  /** Throws `ERR_PROTOCOL` unless `message` has exactly `length` bytes. */
  protected expectLength(message: Uint8Array, length: number, phase: string): void {
    if (message.length !== length) {
      throw this.fail(ErrorCodes.PROTOCOL, phase, `expected ${length} bytes, got ${message.length}`)
    }
  }

  /** The error for a message that is not allowed in this state. */
  protected unexpected(type: number): SecretChannelError {
    return this.fail(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, `unexpected ${messageName(type)} message in state "${this.current}"`)
  }

  /** Wipes every secret registered so far (the machine stays usable; the list is kept for tests). */
  protected wipeSecrets(): void {
    wipe(...this.secrets)
  }

  /** Marks success and wipes every secret. */
  protected finish(): void {
    this.current = 'done'
    this.wipeSecrets()
  }

  /** Abandons the exchange: wipes every secret; further calls fail. Safe to call twice. */
  destroy(): void {
    if (this.current !== 'done') this.current = 'failed'
    this.wipeSecrets()
  }

  /**
   * The secret buffers currently registered, for tests that prove they are zeroed.
   * @internal
   */
  secretBuffersForTesting(): readonly Uint8Array[] {
    return this.secrets
  }
}
