/**
 * Exit statuses for signals, as shells report them: 128 + the signal's number (SIGINT 130,
 * SIGTERM 143), for every command of the tool and for commands `listen --exec` runs.
 * @module
 */
import { constants } from 'node:os'

/**
 * 128 + the number of `signal`.
 * @example
 * ```ts
 * signalStatus('SIGINT')  // 130
 * signalStatus('SIGTERM') // 143
 * ```
 */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0)
}
