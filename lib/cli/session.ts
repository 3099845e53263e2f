/**
 * One netcat session as `connect` and `listen` run it: {@link shuttle} between stdin/stdout and an
 * open channel, raced against the stop signal, with the `-v` summary and the `--progress` counter.
 * @module
 */
import type { CommandIO } from './command.js'
import { shuttle, type Channel } from './shuttle.js'
import { showProgress, startCounters, summary } from './transfer.js'

/** How a session reports itself. */
export interface SessionOptions {
  /** The peer's `@…ed25519` id, named in the `-v` summary. */
  peer: string
  /** `-v`: print the transfer figures on stderr at the end. */
  verbose: boolean
  /** `--progress`: a live counter on stderr while it runs (only when stderr is a terminal). */
  progress: boolean
}

/**
 * Runs the session. Resolves to `'done'` after a clean goodbye both ways, or `'stopped'` when the
 * process was asked to stop (the channel is then destroyed); rejects with the channel's error.
 * @example
 * ```ts
 * const outcome = await runSession(stream, io, { peer: formatId(stream.remotePublicKey), verbose: true, progress: false })
 * return outcome === 'done' ? 0 : 130
 * ```
 */
export async function runSession(channel: Channel, io: CommandIO, options: SessionOptions): Promise<'done' | 'stopped'> {
  const counters = startCounters()
  const stopProgress = options.progress ? showProgress(counters, io.stderr, io.stderrIsTTY) : () => {}
  const report = (): void => {
    stopProgress()
    if (options.verbose) io.stderr.write(summary(counters, (performance.now() - counters.startedAt) / 1000, options.peer) + '\n')
  }
  try {
    const outcome = await Promise.race([
      shuttle(channel, io.stdin, io.stdout, { interactive: io.stdinIsTTY, counters }).then(() => 'done' as const),
      io.stopped.then(() => 'stopped' as const)
    ])
    if (outcome === 'stopped') channel.destroy()
    return outcome
  } finally {
    report()
  }
}
