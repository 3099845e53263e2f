/** `secret-channel accounts-key-server` (see docs/accounts.md). */
import { keyServerCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-key-server` subcommand. */
export const accountsKeyServer = accountsCommand(keyServerCommand)
