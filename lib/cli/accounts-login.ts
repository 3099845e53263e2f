/** `secret-channel accounts-login` (see docs/accounts.md). */
import { loginCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-login` subcommand. */
export const accountsLogin = accountsCommand(loginCommand)
