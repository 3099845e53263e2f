/**
 * Runs the one {@link HandshakeDriver} over a pull-stream duplex of ciphertext: the I/O, the
 * deadline and the single success-or-failure outcome. Every protocol decision (message order and
 * sizes, what a hang-up means at each phase) is the driver's, exactly as in `SecretStream`.
 *
 * ```
 *               ┌─────────────── duplex ───────────────┐
 * transport ──▶ │ sink: chunks ──feed()──▶ driver       │
 * transport ◀── │ source ◀── Pushable ◀── send          │
 *               └──────────────────────────────────────┘
 * on ready: { source: the driver's rest, then the transport; sink: continues the Pushable }
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { HandshakeDriver, Phase, type DriverOutput, type SessionKeys } from '../../handshake/index.js'
import { allocPlatformBytes, copyPlatformBytes, platformBytes } from '#platform-bytes'
import { Pushable } from './pushable.js'
import { isEnd, loop, type Duplex, type End, type Source, type SourceCallback } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

/** Asks the application about a proven client: `answer(err)` or `answer(null, auth)`. */
export type AskAuthorize = (clientKey: PlatformBytes, answer: (err: Error | null, auth?: unknown) => void) => void

/** What a successful handshake hands over: the session and the ciphertext duplex for box-stream. */
export interface PullHandshakeResult {
  session: SessionKeys
  auth: unknown
  wire: Duplex<PlatformBytes, PlatformBytes>
}

function typed(err: unknown, phase: string): SecretChannelError {
  return err instanceof SecretChannelError ? err : new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'the handshake step failed', { cause: err })
}

/**
 * Starts a handshake; returns the ciphertext duplex to connect to the transport.
 * @param makeDriver - builds the driver (a throw fails the handshake through `done`, after we return)
 * @param timeoutMs - deadline for the whole handshake (`Infinity` for none)
 * @param authorize - server: asks the application about the proven client
 * @param done - told once: the typed error, or the result (called outside any error guard)
 * @example
 * ```ts
 * const duplex = runPullHandshake(() => new HandshakeDriver(opts), 5000, null, (err, result) => { ... })
 * pull(socket.source, duplex, socket.sink)
 * ```
 */
export function runPullHandshake(
  makeDriver: () => HandshakeDriver,
  timeoutMs: number,
  authorize: AskAuthorize | null,
  done: (err: SecretChannelError | null, result?: PullHandshakeResult) => void
): Duplex<Uint8Array, PlatformBytes> {
  let driver: HandshakeDriver | null = null
  let settled = false
  let read: Source<Uint8Array> | null = null
  let reading = false
  let inputEnd: true | Error | null = null
  let rest: Uint8Array[] = []
  let auth: unknown
  let timer: ReturnType<typeof setTimeout> | null = null

  const phase = (): string => driver?.phase ?? Phase.HANDSHAKE
  const stopTimer = (): void => {
    if (timer) clearTimeout(timer)
    timer = null
  }

  const fail = (err: SecretChannelError): void => {
    if (settled) return
    settled = true
    stopTimer()
    driver?.destroy()
    output.end(err)
    if (read && !inputEnd) {
      inputEnd = err
      read(err, () => {})
    }
    done(err)
  }

  // The peer hanging up shows either as the end of its bytes or as an abort of ours.
  const output = new Pushable((reason) => {
    if (settled || !driver) return
    const err = driver.hangUp(reason === true ? { kind: 'end' } : { kind: 'error', cause: reason })
    fail(err ?? new SecretChannelError(ErrorCodes.TRUNCATED, phase(), driver.busy ? 'the transport closed while a handshake step was under way' : 'the transport closed while we decided on the client'))
  })

  const restSource: Source<PlatformBytes> = (abort: End, cb: SourceCallback<PlatformBytes>): void => {
    if (isEnd(abort)) {
      rest = []
      if (inputEnd || !read) return cb(abort)
      inputEnd = abort
      return read(abort, () => cb(abort))
    }
    if (rest.length > 0) return cb(null, platformBytes(rest.shift()!))
    if (inputEnd) return cb(inputEnd)
    read!(null, (end, data) => {
      if (isEnd(end)) {
        if (!inputEnd) inputEnd = end
        return cb(end)
      }
      cb(null, data ? platformBytes(data) : allocPlatformBytes(0))
    })
  }

  const finish = (session: SessionKeys, remaining: Uint8Array[]): void => {
    settled = true
    stopTimer()
    rest = remaining
    const wire: Duplex<PlatformBytes, PlatformBytes> = { source: restSource, sink: (source) => output.continueWith(source) }
    done(null, { session, auth, wire })
  }

  /**
   * Applies what the driver decided; true when it is not for the transport's next bytes to go on
   * (a failure, an application to ask, the end, or a step waiting for an asynchronous public-key
   * operation, which goes on here when it settles, as a pending `authorize` does).
   */
  const settle = (out: DriverOutput): boolean => {
    for (const message of out.send) output.push(platformBytes(message))
    if (out.error) fail(out.error)
    else if (out.authorize) ask(copyPlatformBytes(out.authorize))
    else if (out.ready) finish(out.ready, out.rest)
    else if (out.pending) void out.pending.then((later) => settled || apply(later))
    else return false
    return true
  }

  const apply = (out: DriverOutput): void => {
    if (!settle(out)) pump()
  }

  const ask = (clientKey: PlatformBytes): void => {
    if (!authorize) {
      auth = true
      return apply(driver!.decide(true))
    }
    authorize(clientKey, (err, verdict) => {
      if (settled || !driver) return
      if (err || !verdict) return apply(driver.decide(false, err ?? undefined))
      auth = verdict
      apply(driver.decide(true))
    })
  }

  /** Reads transport chunks into the driver while it wants bytes. */
  const pump = (): void => {
    if (!read || reading || settled || inputEnd) return
    loop((next) => {
      if (settled || inputEnd || !driver || driver.state === 'authorize' || driver.busy) return
      reading = true
      read!(null, (end, data) => {
        reading = false
        if (settled) return
        if (isEnd(end)) {
          inputEnd = end
          const err = driver!.hangUp(end === true ? { kind: 'end' } : { kind: 'error', cause: end })
          if (err) fail(err)
          return
        }
        if (data && data.length > 0 && settle(driver!.feed(platformBytes(data)))) return
        next()
      })
    })
  }

  if (Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      fail(new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, phase(), `the handshake did not complete within ${timeoutMs} ms`))
    }, timeoutMs)
  }
  try {
    driver = makeDriver()
  } catch (err) {
    // A key that is not a valid point: fail through the callback, as the reference does, after we return.
    queueMicrotask(() => fail(typed(err, Phase.HANDSHAKE)))
  }
  if (driver) apply(driver.start())

  return {
    source: output.source,
    sink: (source: Source<Uint8Array>) => {
      read = source
      if (settled && !inputEnd) {
        // Failed before the transport showed up: tell it to stop at once.
        inputEnd = true
        source(true, () => {})
        return
      }
      pump()
    }
  }
}
