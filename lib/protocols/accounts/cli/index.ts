/**
 * The accounts subcommands. The `secret-channel` tool registers each of them (lib/cli/accounts-*.ts),
 * so they run as `secret-channel accounts-register …` and friends.
 * @module
 */
import { identityServerCommand, keyServerCommand, flatServerCommand } from './servers.js'
import { registerCommand, backupCommand, restoreCommand, proveCommand, loginCommand } from './clients.js'
import { passwdCommand, revokeCommand, deleteCommand } from './account-admin.js'
import type { CliCommand } from './shared.js'

export type { CliCommand } from './shared.js'

/** Every accounts subcommand, in the order the tool lists them. */
export const accountCommands: readonly CliCommand[] = [
  identityServerCommand, keyServerCommand, flatServerCommand, registerCommand, backupCommand, restoreCommand, proveCommand, loginCommand,
  passwdCommand, revokeCommand, deleteCommand
]
