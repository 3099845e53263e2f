/** `secret-channel accounts-register` (see docs/accounts.md). */
import { registerCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-register` subcommand. */
export const accountsRegister = accountsCommand(registerCommand)
