/**
 * The entry point of the `secret-channel` command-line tool: finds the subcommand, parses its options,
 * runs it, and turns every failure into one line on stderr and a non-zero exit status (2 for a bad
 * command line, 1 for anything else). Stack traces are never shown; set `SECRET_CHANNEL_DEBUG=1` to get them.
 * @module
 */
import { isSecretChannelError } from '../errors.js'
import { UsageError, parseCommandLine, type CommandIO } from './command.js'
import { commands } from './commands.js'

const PROGRAM = 'secret-channel'

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return `Usage: ${PROGRAM} <command> [options]

Encrypted, mutually authenticated byte streams (Scuttlebutt secret handshake + box-stream).

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "${PROGRAM} <command> --help" for a command's options.`
}

/** One line describing a failure, without a stack trace. */
export function describeError(err: unknown): string {
  if (isSecretChannelError(err)) return err.message
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err)
  return String(err)
}

/**
 * Runs the tool with the given arguments (without `node` and the script) and standard streams.
 * @returns the exit status
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
    if (err instanceof UsageError) {
      io.stderr.write(`${PROGRAM} ${name}: ${err.message} (see "${PROGRAM} ${name} --help")\n`)
      return 2
    }
    // Errors name their phase; drop it when it only repeats the command's name ("connect: connect: …").
    const line = describeError(err).replace(new RegExp(`^${name}: `), '')
    io.stderr.write(`${PROGRAM} ${name}: ${line}\n`)
    return 1
  }
}

/**
 * Runs {@link main} on this process: real argv and stdio, SIGINT/SIGTERM as the stop signal, and the
 * exit status applied once stdout has been flushed. Used by `bin/secret-channel.js`.
 */
export async function run(): Promise<void> {
  const fail = (err: unknown): void => {
    process.stderr.write(`${PROGRAM}: ${describeError(err)}\n`)
    process.exit(1)
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  const code = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stopped
  })
  // Let stdout drain (it may be a pipe) before exiting; process.exit would cut it short.
  process.stdout.write('', () => process.exit(code))
}
