/** `secret-channel accounts-flat-server` (see docs/accounts.md). */
import { flatServerCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-flat-server` subcommand. */
export const accountsFlatServer = accountsCommand(flatServerCommand)
