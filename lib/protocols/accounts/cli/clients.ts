/**
 * `accounts-register`, `accounts-backup`, `accounts-restore`, `accounts-prove`, `accounts-login`.
 * @module
 */
import { rmSync } from 'node:fs'
import { generateKeyPair } from '../../../keys.js'
import { ErrorCodes, isSecretChannelError } from '../../../errors.js'
import { register, backup, restore, proveIdentity } from '../workflows.js'
import { connectFlat } from '../flat/net.js'
import { CLIENT_OPTIONS, endpoint, idOf, loadKey, need, opt, readPassword, saveKey, usage } from './shared.js'
import type { CliArgs, CliCommand } from './shared.js'

/** An error that proves the server did not register the key: a typed refusal, or no connection at all. */
function definitelyNotRegistered(err: unknown): boolean {
  if (isSecretChannelError(err)) return err.code !== ErrorCodes.TRUNCATED && err.code !== ErrorCodes.IDLE_TIMEOUT && err.code !== ErrorCodes.INVALID_STATE
  const code = (err as { code?: string } | null)?.code
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH'
}

const identityOf = (args: CliArgs) => endpoint(need(args, 'identity'), need(args, 'identity-id'))
const keyServerOf = (args: CliArgs) => endpoint(need(args, 'key-server'), need(args, 'key-server-id'))
const SERVERS = `      --identity HOST:PORT    the identity server
      --identity-id ID        its public id (@<base64>.ed25519)
      --key-server HOST:PORT  the key server
      --key-server-id ID      its public id
  -u, --user NAME             the account
      --password-env VAR      read the password from VAR (default SECRET_CHANNEL_PASSWORD), else
                              from the first line of stdin
  -h, --help                  show this help`

/** `secret-channel accounts-register` */
export const registerCommand: CliCommand = {
  name: 'accounts-register',
  summary: 'create an identity and register it with the identity server',
  usage: `Usage: secret-channel accounts-register --identity HOST:PORT --identity-id ID --user NAME --out FILE [--no-password]

Creates an Ed25519 identity, writes it to --out (mode 600), and registers its
public key with the password's KDF salt and login key.

Options:
  -o, --out FILE              where to write the new identity
      --no-password           register a non-interactive account (key only, no password)
${SERVERS}`,
  options: { ...CLIENT_OPTIONS, out: { type: 'string', short: 'o' }, 'no-password': { type: 'boolean' } },
  async run(args, io) {
    const out = need(args, 'out')
    const password = args.values['no-password'] ? undefined : await readPassword(args, io)
    const keyPair = generateKeyPair()
    saveKey(out, keyPair) // first, so a registration whose answer is lost never loses a registered key
    try {
      await register({ identity: identityOf(args), userID: need(args, 'user'), password, keyPair })
    } catch (err) {
      // Refused by the server, or never reached it: nothing was registered, so the file would only
      // block the retry. An unanswered request may have registered the key: then keep the file.
      if (definitelyNotRegistered(err)) rmSync(out, { force: true })
      else io.stderr.write(`the answer was lost; ${out} is kept in case the server registered it\n`)
      throw err
    }
    io.stdout.write(`registered ${need(args, 'user')} as ${idOf(keyPair.publicKey)}; identity written to ${out}\n`)
    return 0
  }
}

/** `secret-channel accounts-backup` */
export const backupCommand: CliCommand = {
  name: 'accounts-backup',
  summary: 'seal the private key with the password and store it on the key server',
  usage: `Usage: secret-channel accounts-backup --keys FILE --identity HOST:PORT --identity-id ID
                                      --key-server HOST:PORT --key-server-id ID --user NAME

Seals the identity in --keys with the password (scrypt + XSalsa20-Poly1305)
and stores it on the key server, with a put-private-key token the identity
server issues to this identity only.

Options:
  -k, --keys FILE             the identity file
${SERVERS}`,
  options: { ...CLIENT_OPTIONS, keys: { type: 'string', short: 'k', aliases: ['key'] } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const password = await readPassword(args, io)
    await backup({ identity: identityOf(args), keyServer: keyServerOf(args), userID: need(args, 'user'), keyPair, password })
    io.stdout.write(`backed up ${idOf(keyPair.publicKey)} for ${need(args, 'user')}\n`)
    return 0
  }
}

/** `secret-channel accounts-restore` */
export const restoreCommand: CliCommand = {
  name: 'accounts-restore',
  summary: 'on a new device: get the identity back with the user name and password',
  usage: `Usage: secret-channel accounts-restore --identity HOST:PORT --identity-id ID
                                       --key-server HOST:PORT --key-server-id ID --user NAME --out FILE

Derives the login key from the password, gets a get-private-key token,
fetches the sealed key and opens it locally; writes the identity to --out
(mode 600).

Options:
  -o, --out FILE              where to write the identity
${SERVERS}`,
  options: { ...CLIENT_OPTIONS, out: { type: 'string', short: 'o' } },
  async run(args, io) {
    const out = need(args, 'out')
    const password = await readPassword(args, io)
    const keyPair = await restore({ identity: identityOf(args), keyServer: keyServerOf(args), userID: need(args, 'user'), password })
    saveKey(out, keyPair)
    io.stdout.write(`restored ${idOf(keyPair.publicKey)} for ${need(args, 'user')} into ${out}\n`)
    return 0
  }
}

/** `secret-channel accounts-prove` */
export const proveCommand: CliCommand = {
  name: 'accounts-prove',
  summary: 'answer the identity server\'s session challenge with an identity',
  usage: `Usage: secret-channel accounts-prove --keys FILE --identity HOST:PORT --identity-id ID --user NAME

Answers the identity server's session challenge with the identity in --keys and
prints the session token it starts (hex, one line on stdout). Anyone holding it
can check whose session it is until it expires or is revoked; keep it secret.

Options:
  -k, --keys FILE             the identity file
${SERVERS}`,
  options: { ...CLIENT_OPTIONS, keys: { type: 'string', short: 'k', aliases: ['key'] } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const session = await proveIdentity({ identity: identityOf(args), userID: need(args, 'user'), keyPair })
    io.stderr.write(`session challenge passed for ${need(args, 'user')}; session valid until ${new Date(session.expiresAt).toISOString()}\n`)
    // The session token alone on stdout, for a script to hand to a service (which checks it with validateSession).
    io.stdout.write(`${Buffer.from(session.sessionToken).toString('hex')}\n`)
    return 0
  }
}

/** `secret-channel accounts-login` */
export const loginCommand: CliCommand = {
  name: 'accounts-login',
  summary: 'log in to a flat-protocol server; stdin → session → stdout',
  usage: `Usage: secret-channel accounts-login HOST:PORT --server-id ID (--user NAME | --keys FILE) [--max-packet N]

Interactive (--user): the server sends the password-sealed key, unlocked here
with the password. Non-interactive (--keys): the identity file's key is used
directly; the server never holds it. Standard input is sent on the session;
what the server sends is written to standard output. HOST:PORT is the
flat-protocol server (also accepted as --server HOST:PORT).

Options:
  -s, --server HOST:PORT  the server's address, as an option
      --server-id ID      the server's public id (@<base64>.ed25519)
  -u, --user NAME         log in as this account (interactive)
  -k, --keys FILE         log in with this identity file (non-interactive)
      --max-packet N      our MAX-PACKET
      --password-env VAR  read the password from VAR (default SECRET_CHANNEL_PASSWORD), else
                          from the first line of stdin
  -h, --help              show this help`,
  options: { server: { type: 'string', short: 's' }, 'server-id': { type: 'string' }, user: { type: 'string', short: 'u' }, keys: { type: 'string', short: 'k', aliases: ['key'] }, 'max-packet': { type: 'string' }, 'password-env': { type: 'string' } },
  async run(args, io) {
    const address = args.positionals[0] ?? opt(args, 'server')
    if (address === undefined) throw usage('missing HOST:PORT, the flat-protocol server')
    if (args.positionals.length > 1 || (args.positionals[0] !== undefined && opt(args, 'server') !== undefined)) throw usage('give the server\'s address once: HOST:PORT')
    const at = endpoint(address, need(args, 'server-id'))
    const user = opt(args, 'user')
    const keyFile = opt(args, 'keys')
    if ((user === undefined) === (keyFile === undefined)) throw usage('give exactly one of --user (interactive) and --keys (non-interactive)')
    const maxPacket = opt(args, 'max-packet') === undefined ? undefined : Number(opt(args, 'max-packet'))
    const password = user === undefined ? undefined : await readPassword(args, io)
    const session = connectFlat({ host: at.host, port: at.port, serverPublicKey: at.publicKey, username: user, password, keyPair: keyFile ? loadKey(keyFile) : undefined, maxPacket })
    const finished = new Promise<void>((resolve, reject) => {
      session.on('data', (d: unknown) => io.stdout.write(d as Buffer))
      session.on('end', () => resolve())
      session.on('error', reject)
    })
    finished.catch(() => {}) // a failed login is reported by `opened` below
    // The first SIGINT/SIGTERM ends the session, during the login or after it.
    const stopped = io.stopped.then(() => 'stopped' as const)
    if (await Promise.race([session.opened.then(() => 'open' as const), stopped]) === 'stopped') {
      session.destroy()
      return 130
    }
    io.stderr.write(`logged in (MAX-PACKET ${session.maxPacket})\n`)
    const onInput = (d: Buffer): void => { if (!session.write(d)) { io.stdin.pause(); session.once('drain', () => io.stdin.resume()) } }
    const onInputEnd = (): void => { session.end() }
    io.stdin.on('data', onInput)
    io.stdin.once('end', onInputEnd)
    io.stdin.resume()
    try {
      if (await Promise.race([finished.then(() => 'done' as const), stopped]) === 'stopped') {
        session.destroy()
        return 130
      }
      return 0
    } finally {
      io.stdin.off('data', onInput)
      io.stdin.off('end', onInputEnd)
      io.stdin.pause()
    }
  }
}
