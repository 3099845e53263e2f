/**
 * What `-v` and `--progress` print about a session: byte counters that {@link shuttle} fills in,
 * a closing summary line (as `ncat -v` prints one) and a live counter redrawn in place on a terminal.
 *
 * ```
 * sent 1048576 bytes, received 12 bytes in 0.42 s (2.50 MB/s) with @<base64>.ed25519
 * ↑ 12.3 MB  ↓ 0.0 MB  4.51 MB/s     (redrawn every 250 ms with "\r", only on a TTY)
 * ```
 * @module
 */
import type { Writable } from 'node:stream'

/** Plaintext bytes moved so far, each way; {@link shuttle} adds to them as chunks pass. */
export interface TransferCounters {
  /** Bytes we wrote into the channel (our input). */
  sent: number
  /** Bytes the channel delivered to us (our output). */
  received: number
}

/**
 * A fresh pair of counters with the clock started.
 * @example
 * ```ts
 * const counters = startCounters()
 * await shuttle(stream, process.stdin, process.stdout, { counters })
 * ```
 */
export function startCounters(): TransferCounters & { readonly startedAt: number } {
  return { sent: 0, received: 0, startedAt: performance.now() }
}

const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1)

/** Bytes per second as MB/s with two decimals; 0 when no time has passed. */
function rate(bytes: number, seconds: number): string {
  return (seconds > 0 ? bytes / 1e6 / seconds : 0).toFixed(2)
}

/**
 * The closing line of `-v`: bytes each way, seconds, MB/s (both directions together), the peer's id.
 * @example
 * ```ts
 * summary({ sent: 2_000_000, received: 0 }, 1, '@abc.ed25519')
 * // 'sent 2000000 bytes, received 0 bytes in 1.00 s (2.00 MB/s) with @abc.ed25519'
 * ```
 */
export function summary(counters: TransferCounters, seconds: number, peer: string): string {
  const total = counters.sent + counters.received
  return `sent ${counters.sent} bytes, received ${counters.received} bytes in ${seconds.toFixed(2)} s (${rate(total, seconds)} MB/s) with ${peer}`
}

/**
 * Shows a live counter on `stderr`, redrawn in place every `intervalMs`, until the returned function is
 * called (which ends the line). Does nothing when `stderr` is not a terminal, where "\r" redraws would
 * only fill a log file.
 * @example
 * ```ts
 * const stop = showProgress(counters, process.stderr, process.stderr.isTTY)
 * await session
 * stop()
 * ```
 */
export function showProgress(counters: TransferCounters & { readonly startedAt: number }, stderr: Writable, isTTY: boolean, intervalMs = 250): () => void {
  if (!isTTY) return () => {}
  let drawn = false
  const draw = (): void => {
    const seconds = (performance.now() - counters.startedAt) / 1000
    stderr.write(`\r\x1b[K↑ ${megabytes(counters.sent)} MB  ↓ ${megabytes(counters.received)} MB  ${rate(counters.sent + counters.received, seconds)} MB/s`)
    drawn = true
  }
  const timer = setInterval(draw, intervalMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    draw()
    if (drawn) stderr.write('\n')
  }
}
