/**
 * Runs one SHS1 state machine over a pull-stream duplex of ciphertext: the I/O, the deadline and
 * the single success-or-failure outcome. The protocol itself stays in lib/handshake.
 *
 * ```
 *               ┌──────────── PullShake.duplex ────────────┐
 * transport ──▶ │ sink ─▶ ExactReader ─read(n)─▶ state machine │
 * transport ◀── │ source ◀─ Pushable ◀─push()──┘               │
 *               └──────────────────────────────────────────┘
 * on success: finish() → { source: the reader's rest, sink: continues the Pushable }
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { Phase } from '../../handshake/index.js'
import { Pushable } from './pushable.js'
import { ExactReader } from './reader.js'
import type { Duplex, Source } from './types.js'

/** Describes what it means that the transport ended while we waited for a message. */
export type EndMeaning = (end: true | Error, partialBytes: number) => SecretChannelError

/** What a protocol step returns: nothing, or the success callback to run outside the error guard. */
export type Step = void | (() => void)

/** One handshake's I/O: exact reads, queued writes, a whole-handshake deadline, one outcome. */
export class PullShake {
  private readonly reader = new ExactReader()
  private readonly output: Pushable
  private settled = false
  private timer: NodeJS.Timeout | null = null
  private phase: string = Phase.HANDSHAKE
  private meaning: EndMeaning = (end) =>
    new SecretChannelError(ErrorCodes.TRUNCATED, this.phase, 'the transport ended during the handshake', { cause: end === true ? undefined : end })
  private cleanup: () => void = () => {}

  /** The ciphertext duplex to connect to the transport. */
  readonly duplex: Duplex<Uint8Array, Buffer>

  /**
   * @param timeoutMs - deadline for the whole handshake (`Infinity` for none)
   * @param onFailure - told once, with a typed error, if the handshake fails
   */
  constructor(timeoutMs: number, private readonly onFailure: (err: SecretChannelError) => void) {
    // The peer hanging up shows either as the end of its bytes or as an abort of ours; both mean
    // the same at a given step.
    this.output = new Pushable((reason) => this.fail(this.meaning(reason, this.reader.buffered)))
    this.duplex = {
      source: this.output.source,
      sink: (read: Source<Uint8Array>) => this.reader.attach(read)
    }
    if (Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(() => {
        this.fail(new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, this.phase, `the handshake did not complete within ${timeoutMs} ms`))
      }, timeoutMs)
    }
  }

  /** True once the handshake succeeded or failed. */
  get isSettled(): boolean {
    return this.settled
  }

  /** Registers what to wipe if the handshake fails (the state machine's `destroy`). */
  onCleanup(fn: () => void): void {
    this.cleanup = fn
  }

  /**
   * Names the message we wait for next and what a hang-up then means. Call it before writing the
   * message that the peer answers: over an in-memory pipe the peer may hang up inside that write.
   */
  awaiting(phase: string, meaning: EndMeaning): void {
    this.phase = phase
    this.meaning = meaning
  }

  /** Queues a handshake message for the transport. */
  write(message: Uint8Array): void {
    this.output.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength))
  }

  /**
   * Reads exactly `n` bytes for `phase`, then runs `step` with them. If the transport ends first,
   * `meaning` turns that into the error; if `step` throws, that is the error.
   */
  read(n: number, phase: string, meaning: EndMeaning, step: (message: Buffer) => Step): void {
    if (this.settled) return
    this.awaiting(phase, meaning)
    this.reader.read(n, (end, data) => {
      if (this.settled) return
      if (end) return this.fail(meaning(end, this.reader.buffered))
      this.run(() => step(data!))
    })
  }

  /**
   * Runs a protocol step; any throw fails the handshake with a typed error instead of escaping.
   * If the step returns a function, that runs afterwards, outside the guard: it is where the
   * user's callback is called, so an exception of theirs is never mistaken for a protocol failure.
   */
  run(step: () => Step): void {
    if (this.settled) return
    let after: Step
    try {
      after = step()
    } catch (err) {
      this.fail(
        err instanceof SecretChannelError
          ? err
          : new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, 'the handshake step failed', { cause: err })
      )
      return
    }
    if (typeof after === 'function') after()
  }

  /**
   * Fails the handshake: nothing more is sent, the transport is aborted, secrets are wiped and
   * the failure callback runs, all exactly once.
   */
  fail(err: SecretChannelError): void {
    if (this.settled) return
    this.settled = true
    this.stopTimer()
    this.cleanup()
    this.output.end(err)
    this.reader.abort(err)
    this.onFailure(err)
  }

  /**
   * Ends the handshake successfully and returns the transport for box-stream: the bytes already
   * received after the last handshake message come first on `source`; `sink` continues after
   * the queued handshake messages.
   */
  finish(): Duplex<Buffer, Buffer> {
    this.settled = true
    this.stopTimer()
    return {
      source: this.reader.rest(),
      sink: (read: Source<Buffer>) => this.output.continueWith(read)
    }
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
