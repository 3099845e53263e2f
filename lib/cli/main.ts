/**
 * The entry point of the `secret-channel` command-line tool: finds the subcommand, parses its options,
 * runs it, and turns every failure into one line on stderr and a non-zero exit status (2 for a bad
 * command line, 1 for anything else, 128 + the signal's number after SIGINT/SIGTERM). Stack traces
 * are never shown; set `SECRET_CHANNEL_DEBUG=1` to get them.
 * @module
 */
import { readFileSync } from 'node:fs'
import { isSecretChannelError } from '../errors.js'
import { isUsageError, parseCommandLine, UsageError, type CommandIO } from './command.js'
import { commands } from './commands.js'
import { signalStatus } from './signals.js'

const PROGRAM = 'secret-channel'

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return `Usage: ${PROGRAM} <command> [options]

Encrypted, mutually authenticated byte streams (Scuttlebutt secret handshake + box-stream).

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -V, --version  print the version
  -h, --help     show this help

Run "${PROGRAM} <command> --help" for a command's options.`
}

/**
 * The package's version, from its package.json (two folders above dist/lib/cli/).
 * @example
 * ```ts
 * version() // '0.1.0'
 * ```
 */
export function version(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}

/**
 * One line describing a failure, without a stack trace.
 * @example
 * ```ts
 * describeError(new Error('first line\nsecond')) // 'first line'
 * ```
 */
export function describeError(err: unknown): string {
  if (isSecretChannelError(err)) return err.message
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err)
  return String(err)
}

/**
 * Runs the tool with the given arguments (without `node` and the script) and standard streams.
 * @returns the exit status
 * @example
 * ```ts
 * const status = await main(['id', 'alice.json'], io) // prints alice's id on io.stdout, resolves to 0
 * ```
 */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const text = overview() + '\n'
    if (name === undefined) {
      io.stderr.write(text)
      return 2
    }
    io.stdout.write(text)
    return 0
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${PROGRAM} ${version()}\n`)
    return 0
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    io.stderr.write(`${PROGRAM}: unknown command ${JSON.stringify(name)} (run "${PROGRAM} --help" for the list)\n`)
    return 2
  }
  try {
    const args = parseCommandLine(rest, command.options)
    if (args.values.help === true) {
      io.stdout.write(command.usage + '\n')
      return 0
    }
    return await command.run(args, io)
  } catch (err) {
    if (io.env.SECRET_CHANNEL_DEBUG) io.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`)
    if (isUsageError(err)) {
      const detail = err instanceof UsageError ? err.detail : err.message.slice(err.phase.length + 2)
      io.stderr.write(`${PROGRAM} ${name}: ${detail} (see "${PROGRAM} ${name} --help")\n`)
      return 2
    }
    // Errors name their phase; drop it when it only repeats the command's name ("connect: connect: …").
    const line = describeError(err).replace(new RegExp(`^${name}: `), '')
    io.stderr.write(`${PROGRAM} ${name}: ${line}\n`)
    return 1
  }
}

/** How long a command that handles the stop signal may take to wind down before the process exits anyway. */
const STOP_GRACE_MS = 5000

/**
 * Runs {@link main} on this process: real argv and stdio, SIGINT/SIGTERM as the stop signal, and the
 * exit status applied once stdout has been flushed. Used by `bin/secret-channel.js`.
 *
 * After SIGINT or SIGTERM the status is always 128 + the signal's number (130, 143), as shells report
 * a killed process, whatever the command returns. A command that reads `io.stopped` gets to wind
 * down (close its server, destroy its channel) for up to {@link STOP_GRACE_MS}; one that does not
 * (keygen, a password prompt) is ended at once, as the default signal action would, and a second
 * signal always ends the process at once.
 * @example
 * ```ts
 * // bin/secret-channel.js
 * import('../dist/lib/cli/main.js').then((cli) => cli.run())
 * ```
 */
export async function run(): Promise<void> {
  const fail = (err: unknown): void => {
    process.stderr.write(`${PROGRAM}: ${describeError(err)}\n`)
    process.exit(1)
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  let signalled: NodeJS.Signals | null = null
  let watched = false
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => { stop = resolve })
  const onSignal = (signal: NodeJS.Signals): void => {
    const status = signalStatus(signal)
    if (signalled !== null || !watched) process.exit(status)
    signalled = signal
    stop()
    setTimeout(() => process.exit(status), STOP_GRACE_MS)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const io: CommandIO = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    get stopped () {
      watched = true
      return stopped
    }
  }
  const returned = await main(process.argv.slice(2), io)
  const code = signalled !== null ? signalStatus(signalled) : returned
  // Let stdout drain (it may be a pipe) before exiting; process.exit would cut it short.
  process.stdout.write('', () => process.exit(code))
}
