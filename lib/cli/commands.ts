/**
 * The registry of `secret-channel` subcommands. To add one, write `lib/cli/<name>.ts` exporting a
 * {@link Command} and add one line to the list below; `--help` and dispatch pick it up.
 * @module
 */
import type { Command } from './command.js'
import { connect } from './connect.js'
import { enroll } from './enroll.js'
import { enrollServer } from './enroll-server.js'
import { id } from './id.js'
import { keygen } from './keygen.js'
import { listen } from './listen.js'
import { accountsIdentityServer } from './accounts-identity-server.js'
import { accountsKeyServer } from './accounts-key-server.js'
import { accountsFlatServer } from './accounts-flat-server.js'
import { accountsRegister } from './accounts-register.js'
import { accountsBackup } from './accounts-backup.js'
import { accountsRestore } from './accounts-restore.js'
import { accountsProve } from './accounts-prove.js'
import { accountsLogin } from './accounts-login.js'
import { notice } from './notice.js'

/** Every subcommand, in the order `secret-channel --help` lists them. */
export const commands: readonly Command[] = [
  keygen,
  id,
  listen,
  connect,
  accountsIdentityServer,
  accountsKeyServer,
  accountsFlatServer,
  accountsRegister,
  accountsBackup,
  accountsRestore,
  accountsProve,
  accountsLogin,
  enrollServer,
  enroll,
  notice
]
