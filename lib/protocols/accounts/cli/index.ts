/**
 * The accounts subcommands, and a small dispatcher so they run before (or without) the
 * `secret-channel` tool's registry: `runAccountsCli(['accounts-register', ...], io)`.
 * @module
 */
import { parseArgs } from 'node:util'
import { isSecretChannelError } from '../../../errors.js'
import { identityServerCommand, keyServerCommand, flatServerCommand } from './servers.js'
import { registerCommand, backupCommand, restoreCommand, proveCommand, loginCommand } from './clients.js'
import type { CliCommand, CliIO } from './shared.js'

export type { CliCommand, CliIO, CliArgs, CliOption } from './shared.js'
export { identityServerCommand, keyServerCommand, flatServerCommand, registerCommand, backupCommand, restoreCommand, proveCommand, loginCommand }

/** Every accounts subcommand. */
export const accountCommands: readonly CliCommand[] = [
  identityServerCommand, keyServerCommand, flatServerCommand, registerCommand, backupCommand, restoreCommand, proveCommand, loginCommand
]

/**
 * Runs one accounts subcommand: `argv[0]` names it. Errors are printed in one line (with the
 * stable code) to stderr; resolves to the exit status (2 for a bad command line, 1 for a failure).
 */
export async function runAccountsCli(argv: string[], io: CliIO): Promise<number> {
  const command = accountCommands.find((c) => c.name === argv[0])
  if (!command) {
    io.stderr.write(`commands:\n${accountCommands.map((c) => `  ${c.name.padEnd(26)} ${c.summary}`).join('\n')}\n`)
    return argv[0] === undefined || argv[0] === '--help' ? 0 : 2
  }
  let args
  try {
    const parsed = parseArgs({ args: argv.slice(1), options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    args = { values: parsed.values as CliArgsValues, positionals: parsed.positionals }
  } catch (err) {
    io.stderr.write(`${command.name}: ${(err as Error).message}\n`)
    return 2
  }
  if (args.values.help) {
    io.stdout.write(command.usage + '\n')
    return 0
  }
  try {
    return await command.run(args, io)
  } catch (err) {
    if (isSecretChannelError(err)) {
      io.stderr.write(`${command.name}: ${err.message} (${err.code})\n`)
      return err.code === 'ERR_INVALID_ARGUMENT' && err.phase === 'command line' ? 2 : 1
    }
    io.stderr.write(`${command.name}: ${(err as Error)?.message ?? err}\n`)
    return 1
  }
}

type CliArgsValues = Record<string, string | boolean | string[] | boolean[] | undefined>
