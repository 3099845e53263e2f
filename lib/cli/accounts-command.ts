/**
 * Adapts the accounts subcommands (lib/protocols/accounts/cli) to this tool's {@link Command}:
 * their command-line mistakes become {@link UsageError}s, so they exit 2 like every other command.
 * @module
 */
import { isSecretChannelError } from '../errors.js'
import type { CliCommand } from '../protocols/accounts/cli/index.js'
import { UsageError, type Command } from './command.js'

/** Wraps one accounts subcommand. */
export function accountsCommand(command: CliCommand): Command {
  return {
    ...command,
    async run(args, io) {
      try {
        return await command.run(args, io)
      } catch (err) {
        if (isSecretChannelError(err, 'ERR_INVALID_ARGUMENT') && err.phase === 'command line') throw new UsageError(err.message.replace(/^command line: /, ''))
        throw err
      }
    }
  }
}
