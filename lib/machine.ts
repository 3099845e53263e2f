/**
 * The fail-closed state-machine kernel every sans-I/O protocol machine builds on (SHS1 handshake,
 * enrollment, flat login, notice).
 *
 * One vocabulary for all of them:
 * ```
 * phase        the machine's step: one of its own names, then "done" (success) or "failed"
 * expect()     the first thing every protocol step does: a call out of turn is ERR_INVALID_STATE and poisons
 * outOfTurn()  for calls on a live session (write before it is open, a second re-key) that are refused
 *              before they touch any protocol state: ERR_INVALID_STATE, and the session goes on
 * keep()       registers a secret buffer; finish(), destroy() and every failure wipe them together
 * fail()       poisons (phase "failed"), wipes, and returns the error to throw
 * guard()      runs a step so that whatever it throws leaves the machine failed and wiped
 * Step         { send, events }: the messages to send, in order, and what happened
 * farewell     a last message the adapter sends before hanging up after a failure, or null
 * ```
 * A machine never touches a stream, a timer or a global: it takes bytes (and `now` where it keeps
 * time) and returns what to send. Adapters apply that and own the I/O.
 * @module
 */
import { wipe } from './crypto/policy.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from './errors.js'

/** The two phases every machine ends in. */
export type TerminalPhase = 'done' | 'failed'

/**
 * What one step of a machine produced: messages to send, in order, and events for the adapter.
 * @example
 * ```ts
 * const step: Step<{ type: 'ready' }> = { send: [hello], events: [] }
 * for (const message of step.send) transport.write(message)
 * ```
 */
export interface Step<E> {
  /** Messages to send, in order. */
  send: Uint8Array[]
  /** What happened, in order. */
  events: E[]
}

/**
 * A step that sends nothing and reports nothing.
 * @example
 * ```ts
 * return emptyStep()
 * ```
 */
export function emptyStep<E>(): Step<E> {
  return { send: [], events: [] }
}

/**
 * Appends `more` to `step` (messages after messages, events after events) and returns `step`.
 * @example
 * ```ts
 * return mergeSteps(this.answer(account), this.drain())
 * ```
 */
export function mergeSteps<E>(step: Step<E>, more: Step<E>): Step<E> {
  step.send.push(...more.send)
  step.events.push(...more.events)
  return step
}

/** One entry of {@link stepActions}: a message to send, or an event. */
export type StepAction<E> = { type: 'send', bytes: Uint8Array } | E

/**
 * A step as one ordered list, messages first (`{ type: 'send', bytes }`), then events: for adapters
 * written against action lists (the flat login stream).
 * @example
 * ```ts
 * for (const a of stepActions(step)) if (a.type === 'send') socket.write(a.bytes)
 * ```
 */
export function stepActions<E>(step: Step<E>): Array<StepAction<E>> {
  return [...step.send.map((bytes) => ({ type: 'send' as const, bytes })), ...step.events]
}

/**
 * Base class of every protocol state machine.
 *
 * @example
 * ```ts
 * class Ping extends Machine<'await-ping'> {
 *   constructor () { super('await-ping', 'ping') }
 *   receive (message: Uint8Array): Step<never> {
 *     this.expect('receive', 'await-ping')
 *     return this.guard(() => {
 *       if (message.length !== 4) throw this.fail('ERR_PROTOCOL', 'ping', 'expected 4 bytes')
 *       this.finish()
 *       return { send: [message], events: [] }
 *     })
 *   }
 * }
 * ```
 */
export abstract class Machine<P extends string> {
  /** The current step; `"done"` after success, `"failed"` after any error or {@link destroy}. */
  get phase(): P | TerminalPhase {
    return this.current
  }

  /**
   * A message for the adapter to send before hanging up, set by a machine that fails in a way the
   * peer should hear about (an ABORT, a refusal); null otherwise.
   */
  farewell: Uint8Array | null = null

  /** The current step; subclasses move it forward. */
  protected current: P | TerminalPhase
  /** Names the protocol in error messages about misuse ("handshake", "enrollment", …). */
  protected readonly protocolName: string
  /** Every secret this machine created; wiped together. */
  private readonly secrets: Uint8Array[] = []

  /**
   * @param initial - the first phase
   * @param protocolName - the phase prefix of misuse errors
   */
  protected constructor(initial: P, protocolName: string) {
    this.current = initial
    this.protocolName = protocolName
  }

  /** Registers a secret so completion, failure and {@link destroy} wipe it; returns it for chaining. */
  protected keep<T extends Uint8Array>(secret: T): T {
    this.secrets.push(secret)
    return secret
  }

  /** The phase check every step makes first: `ERR_INVALID_STATE` (and poisoned) unless in one of `phases`. */
  protected expect(step: string, ...phases: P[]): void {
    if (!(phases as string[]).includes(this.current)) {
      const was = this.current
      this.destroy()
      throw new SecretChannelError(ErrorCodes.INVALID_STATE, this.protocolName, `${step} called out of turn (state was "${was}")`)
    }
  }

  /**
   * The error for an application call the session refuses before touching any protocol state
   * (`write()` before it is open, a second `rekey()`): `ERR_INVALID_STATE`, not poisoned, because
   * nothing the peer sent is in doubt. Protocol steps use {@link expect} instead.
   */
  protected outOfTurn(detail: string): SecretChannelError {
    return new SecretChannelError(ErrorCodes.INVALID_STATE, this.protocolName, `${detail} (state "${this.current}")`)
  }

  /** `ERR_PROTOCOL` (and poisoned) unless `message` is a byte array of exactly `length` bytes. */
  protected expectLength(message: Uint8Array, length: number, phase: string): void {
    if (!(message instanceof Uint8Array) || message.length !== length) {
      const got = message instanceof Uint8Array ? `${message.length} bytes` : typeof message
      throw this.fail(ErrorCodes.PROTOCOL, phase, `expected exactly ${length} bytes, got ${got}`)
    }
  }

  /** Poisons the machine, wipes its secrets and returns the error to throw. */
  protected fail(code: ErrorCode, phase: string, detail: string, cause?: unknown): SecretChannelError {
    this.destroy()
    return new SecretChannelError(code, phase, detail, cause === undefined ? undefined : { cause })
  }

  /**
   * Runs `step` so that any error it throws leaves the machine failed and wiped. A foreign error
   * (a bug, a library throwing) becomes `ERR_PROTOCOL` with the original as its `cause`.
   */
  protected guard<T>(step: () => T): T {
    try {
      return step()
    } catch (err) {
      this.destroy()
      if (err instanceof SecretChannelError) throw err
      throw new SecretChannelError(ErrorCodes.PROTOCOL, this.protocolName, 'unexpected failure', { cause: err })
    }
  }

  /** Wipes every secret registered so far (the list is kept so tests can prove the wipe). */
  protected wipeSecrets(): void {
    wipe(...this.secrets)
  }

  /** Marks success and wipes every secret. */
  protected finish(): void {
    this.current = 'done'
    this.wipeSecrets()
  }

  /** Abandons the exchange: wipes every secret and makes further calls fail. Safe to call twice. */
  destroy(): void {
    if (this.current !== 'done') this.current = 'failed'
    this.wipeSecrets()
  }

  /**
   * The secret buffers this machine registered, for tests that prove they are zeroed.
   * @internal
   */
  secretBuffersForTesting(): readonly Uint8Array[] {
    return this.secrets
  }
}
