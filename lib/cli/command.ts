/**
 * The shape every subcommand of the `secret-channel` tool has, and the small argument parser they share.
 *
 * A command is a plain object: a name, a one-line summary, its usage text, the options it accepts and a
 * `run` function that gets the parsed arguments plus the process's standard streams and resolves to an
 * exit status. Nothing here touches `process` directly, so a command can be run from a test with fake
 * streams, and `main.ts` stays the only place that reads `process.argv` or calls `process.exit`.
 * @module
 */
import type { Readable, Writable } from 'node:stream'
import { parseArgs } from 'node:util'

/** How one option is spelled and typed. `multiple` options may be repeated (`--allow A --allow B`). */
export interface OptionSpec {
  /** `string` options take a value, `boolean` options are flags. */
  type: 'string' | 'boolean'
  /** A one-letter alias, e.g. `o` for `--out`. */
  short?: string
  /** When true the option may appear several times and its value is an array. */
  multiple?: boolean
}

/** The parsed command line: option values by long name, then the positional arguments. */
export interface ParsedArgs {
  /** Option values; absent options are `undefined`. */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  /** Arguments that are not options, in order. */
  positionals: string[]
}

/** The process's standard streams and environment, passed in so commands can be tested without a process. */
export interface CommandIO {
  /** Bytes to send (connect, listen). */
  stdin: Readable
  /** Results and received bytes. */
  stdout: Writable
  /** Status lines and the one-line error. */
  stderr: Writable
  /** Environment (`SECRET_CHANNEL_KEYS`, `SECRET_CHANNEL_DEBUG`). */
  env: NodeJS.ProcessEnv
  /** True when stdin is an interactive terminal (changes when `connect` gives up on it). */
  stdinIsTTY: boolean
  /** True when stderr is a terminal (progress lines may then be redrawn in place). */
  stderrIsTTY: boolean
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands race it. */
  stopped: Promise<void>
}

/** One subcommand of the tool. Register it in `commands.ts`. */
export interface Command {
  /** The word after `secret-channel`. */
  name: string
  /** One line for the command list in `secret-channel --help`. */
  summary: string
  /** The full `--help` text: usage line, description, options. */
  usage: string
  /** The options this command accepts (`--help` is added for every command). */
  options: Record<string, OptionSpec>
  /** Runs the command; resolves to the exit status. Throw {@link UsageError} for a bad command line. */
  run(args: ParsedArgs, io: CommandIO): Promise<number>
}

/** A mistake on the command line: reported in one line with a hint to `--help`, exit status 2. */
export class UsageError extends Error {
  /** @param message - what is wrong, in a few words */
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * Parses `argv` (the words after the command name) against a command's options.
 * @throws UsageError for unknown options, a missing value or a value given to a flag
 */
export function parseCommandLine(argv: string[], options: Record<string, OptionSpec>): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true
    })
    return { values: values as ParsedArgs['values'], positionals }
  } catch (err) {
    // node:util's messages are long and suggest "--" tricks; say the one thing that matters.
    const code = (err as { code?: string }).code
    const text = (err as Error).message
    const quoted = /'(-[^']*)'/.exec(text)?.[1] ?? ''
    const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(/argument missing/.test(text) ? `option ${option} needs a value` : `option ${option} takes no value`)
    }
    throw new UsageError(text.split('\n')[0] ?? 'bad command line')
  }
}

/** The value of a string option, or `undefined`; throws if it was given twice. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new UsageError(`option --${name} needs a value`)
  return value
}

/** The values of a repeatable string option (empty when absent). Commas also separate values. */
export function listOption(args: ParsedArgs, name: string): string[] {
  const value = args.values[name]
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  return list.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

/** True when a boolean flag was given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}
