/** `secret-channel accounts-identity-server` (see docs/accounts.md). */
import { identityServerCommand } from '../protocols/accounts/cli/index.js'
import { accountsCommand } from './accounts-command.js'

/** The `accounts-identity-server` subcommand. */
export const accountsIdentityServer = accountsCommand(identityServerCommand)
