/**
 * The registry of `secret-channel` subcommands. To add one, write a {@link Command} (in
 * `lib/cli/<name>.ts`, or beside its protocol as the accounts commands are) and add it to the list
 * below; `--help` and dispatch pick it up.
 * @module
 */
import { accountCommands } from '../protocols/accounts/cli/index.js'
import type { Command } from './command.js'
import { connect } from './connect.js'
import { enroll } from './enroll.js'
import { enrollServer } from './enroll-server.js'
import { id } from './id.js'
import { keygen } from './keygen.js'
import { listen } from './listen.js'
import { notice } from './notice.js'

/**
 * Every subcommand, in the order `secret-channel --help` lists them.
 * @example
 * ```ts
 * commands.map((c) => c.name) // ['keygen', 'id', 'listen', 'connect', 'accounts-identity-server', …]
 * ```
 */
export const commands: readonly Command[] = [
  keygen,
  id,
  listen,
  connect,
  ...accountCommands,
  enrollServer,
  enroll,
  notice
]
