/**
 * `accounts-passwd`, `accounts-revoke`, `accounts-delete`: what an account's owner does with the
 * identity file in hand (issue 13 items 2 and 8).
 * @module
 */
import { changePassword, deleteAccount, revokeTokens } from '../workflows.js'
import { CLIENT_OPTIONS, endpoint, idOf, loadKey, need, opt, readPassword } from './shared.js'
import type { CliArgs, CliCommand } from './shared.js'

const identityOf = (args: CliArgs) => endpoint(need(args, 'identity'), need(args, 'identity-id'))
const keyServerOf = (args: CliArgs) => endpoint(need(args, 'key-server'), need(args, 'key-server-id'))
const KEYS = { keys: { type: 'string', short: 'k', aliases: ['key'] } } as const
/** The client options without a password (revoke and delete are proved by the identity key alone). */
const { 'password-env': _password, ...NO_PASSWORD } = CLIENT_OPTIONS
const SERVERS = `      --identity HOST:PORT    the identity server
      --identity-id ID        its public id (@<base64>.ed25519)
      --key-server HOST:PORT  the key server
      --key-server-id ID      its public id
  -u, --user NAME             the account
  -k, --keys FILE             the account's identity file (it alone authorises this)
  -h, --help                  show this help`

/** `secret-channel accounts-passwd` */
export const passwdCommand: CliCommand = {
  name: 'accounts-passwd',
  summary: 'change the account\'s password on both servers (old password required)',
  usage: `Usage: secret-channel accounts-passwd --keys FILE --identity HOST:PORT --identity-id ID
                                      --key-server HOST:PORT --key-server-id ID --user NAME

Proves the old password, re-seals the identity under the new one on the key
server and switches the identity server's login key in the same step.
The old password comes from --password-env (default SECRET_CHANNEL_PASSWORD)
or the first line of stdin; the new one from --new-password-env (default
SECRET_CHANNEL_NEW_PASSWORD) or the next line.

Options:
      --password-env VAR      the old password's variable
      --new-password-env VAR  the new password's variable
${SERVERS}`,
  options: { ...CLIENT_OPTIONS, ...KEYS, 'new-password-env': { type: 'string' } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const oldPassword = await readPassword(args, io, { prompt: 'old password' })
    const newPassword = await readPassword(args, io, { option: 'new-password-env', variable: 'SECRET_CHANNEL_NEW_PASSWORD', prompt: 'new password' })
    await changePassword({ identity: identityOf(args), keyServer: keyServerOf(args), userID: need(args, 'user'), keyPair, oldPassword, newPassword })
    io.stdout.write(`password changed for ${need(args, 'user')}\n`)
    return 0
  }
}

/** `secret-channel accounts-revoke` */
export const revokeCommand: CliCommand = {
  name: 'accounts-revoke',
  summary: 'end every session and void every token of the account',
  usage: `Usage: secret-channel accounts-revoke --keys FILE --identity HOST:PORT --identity-id ID --user NAME

Over a channel authenticated with the identity in --keys, revokes every
session and access token the identity server holds for the account.

Options:
${SERVERS}`,
  options: { ...NO_PASSWORD, ...KEYS },
  async run(args, io) {
    const n = await revokeTokens({ identity: identityOf(args), userID: need(args, 'user'), keyPair: loadKey(need(args, 'keys')) })
    io.stdout.write(`revoked ${n} token(s) and session(s) of ${need(args, 'user')}\n`)
    return 0
  }
}

/** `secret-channel accounts-delete` */
export const deleteCommand: CliCommand = {
  name: 'accounts-delete',
  summary: 'delete the account on the key server and the identity server',
  usage: `Usage: secret-channel accounts-delete --keys FILE --identity HOST:PORT --identity-id ID
                                      [--key-server HOST:PORT --key-server-id ID] --user NAME

Deletes the sealed key on the key server (when given), then the account, its
tokens and sessions on the identity server. Proved by the identity in --keys;
no password is asked for. Running it again after a failure is safe.

Options:
${SERVERS}`,
  options: { ...NO_PASSWORD, ...KEYS },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const keyServer = opt(args, 'key-server') === undefined ? undefined : keyServerOf(args)
    const { backupDeleted } = await deleteAccount({ identity: identityOf(args), keyServer, userID: need(args, 'user'), keyPair })
    io.stdout.write(`deleted ${need(args, 'user')} (${idOf(keyPair.publicKey)})${backupDeleted ? ' and its backup' : ''}\n`)
    return 0
  }
}
