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
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../errors.js'

/** How one option is spelled and typed. `multiple` options may be repeated (`--allow A --allow B`). */
export interface OptionSpec {
  /** `string` options take a value, `boolean` options are flags. */
  type: 'string' | 'boolean'
  /** A one-letter alias, e.g. `o` for `--out`. */
  short?: string
  /** When true the option may appear several times and its value is an array. */
  multiple?: boolean
  /**
   * Other long names accepted for this option (`['key']` for `--keys`): old spellings keep working
   * while the help text shows one vocabulary. The value is filed under the main name.
   */
  aliases?: readonly string[]
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
  /**
   * Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands race it.
   * A command that reads this takes charge of stopping: the process waits for it to return (a few
   * seconds at most) and then exits 128 + the signal's number. A command that never reads it is
   * ended at once with that status.
   */
  readonly stopped: Promise<void>
}

/**
 * One subcommand of the tool, the only command shape there is (the protocol front ends under
 * lib/protocols use it too). Register it in `commands.ts`.
 * @example
 * ```ts
 * const hello: Command = {
 *   name: 'hello',
 *   summary: 'print a greeting',
 *   usage: 'Usage: secret-channel hello\n\nOptions:\n  -h, --help  show this help',
 *   options: {},
 *   async run(args, io) { io.stdout.write('hello\n'); return 0 }
 * }
 * ```
 */
export interface Command {
  /** The word after `secret-channel`. */
  name: string
  /** One line for the command list in `secret-channel --help`. */
  summary: string
  /** The full `--help` text: usage line, description, options. */
  usage: string
  /** The options this command accepts (`--help` is added for every command). */
  options: Record<string, OptionSpec>
  /**
   * Runs the command; resolves to the exit status. Throw {@link UsageError} (any `ERR_USAGE` error)
   * for a bad command line.
   */
  run(args: ParsedArgs, io: CommandIO): Promise<number>
}

/**
 * A mistake on the command line: a {@link SecretChannelError} with code `ERR_USAGE`, reported in one
 * line with a hint to `--help`, exit status 2. Every command (and the protocol front ends under
 * lib/protocols) throws this code for a bad command line; nothing matches message text.
 * @example
 * ```ts
 * throw new UsageError('--port must be a port number')
 * ```
 */
export class UsageError extends SecretChannelError {
  /** What is wrong, without the phase prefix (the CLI prints it after the command's name). */
  readonly detail: string
  /** @param detail - what is wrong, in a few words */
  constructor(detail: string) {
    super(ErrorCodes.USAGE, 'command line', detail)
    this.detail = detail
  }
}

/**
 * True for a command-line mistake: any {@link SecretChannelError} with code `ERR_USAGE`.
 * @example
 * ```ts
 * if (isUsageError(err)) process.exitCode = 2
 * ```
 */
export function isUsageError(err: unknown): err is SecretChannelError {
  return isSecretChannelError(err, ErrorCodes.USAGE)
}

/**
 * Parses `argv` (the words after the command name) against a command's options.
 * @throws UsageError for unknown options, a missing value or a value given to a flag
 * @example
 * ```ts
 * const args = parseCommandLine(['--key', 'a.json', 'h:1'], { keys: { type: 'string', aliases: ['key'] } })
 * // args.values.keys === 'a.json', args.positionals = ['h:1']
 * ```
 */
export function parseCommandLine(argv: string[], options: Record<string, OptionSpec>): ParsedArgs {
  const spec: Record<string, { type: 'string' | 'boolean', short?: string, multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } }
  const aliasOf = new Map<string, string>()
  for (const [name, { aliases, ...option }] of Object.entries(options)) {
    spec[name] = option
    for (const alias of aliases ?? []) {
      spec[alias] = { type: option.type, ...(option.multiple ? { multiple: true } : {}) }
      aliasOf.set(alias, name)
    }
  }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true })
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
  const values = parsed.values as ParsedArgs['values']
  for (const [alias, name] of aliasOf) {
    const value = values[alias]
    if (value === undefined) continue
    delete values[alias]
    const current = values[name]
    if (current === undefined) values[name] = value
    else if (Array.isArray(current) && Array.isArray(value)) values[name] = [...current, ...value] as string[]
    else throw new UsageError(`--${alias} is another name for --${name}: give it once`)
  }
  return { values, positionals: parsed.positionals }
}

/**
 * The value of a string option, or `undefined`.
 * @example
 * ```ts
 * const out = stringOption(args, 'out') ?? 'id.json'
 * ```
 */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new UsageError(`option --${name} needs a value`)
  return value
}

/**
 * The values of a repeatable string option (empty when absent). Commas also separate values.
 * @example
 * ```ts
 * listOption(parseCommandLine(['--allow', 'a,b', '--allow', 'c'], { allow: { type: 'string', multiple: true } }), 'allow') // ['a', 'b', 'c']
 * ```
 */
export function listOption(args: ParsedArgs, name: string): string[] {
  const value = args.values[name]
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  return list.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

/**
 * True when a boolean flag was given.
 * @example
 * ```ts
 * const quiet = flag(args, 'quiet')
 * ```
 */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}
