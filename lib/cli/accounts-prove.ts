/** `secret-channel accounts-prove` (see docs/accounts.md). */
import { proveCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-prove` subcommand. */
export const accountsProve = accountsCommand(proveCommand)
