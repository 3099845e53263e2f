/** `secret-channel accounts-restore` (see docs/accounts.md). */
import { restoreCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-restore` subcommand. */
export const accountsRestore = accountsCommand(restoreCommand)
