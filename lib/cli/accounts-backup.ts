/** `secret-channel accounts-backup` (see docs/accounts.md). */
import { backupCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-backup` subcommand. */
export const accountsBackup = accountsCommand(backupCommand)
