/**
 * `accounts-identity-server`, `accounts-key-server`, `accounts-flat-server`: run until stopped.
 * @module
 */
import { openAccountStore } from '../open-store.js'
import { IdentityServer } from '../identity-server.js'
import { KeyServer } from '../key-server.js'
import { createFlatServer } from '../flat/net.js'
import { flatLookupFromStores } from '../flat/lookup.js'
import { parseId } from '../../../keys.js'
import { endpoint, idOf, listenAddress, loadDecoySecret, loadKey, need, opt, usage } from './shared.js'
import type { CliCommand } from './shared.js'
import type { AddressInfo } from 'node:net'
import { closeServer } from '../close-server.js'

/**
 * Where a server keeps its data: `--db` (a SQLite file path or a `postgres://` URL), else
 * `$DATABASE_URL` (so the password in a URL need not appear in the process list).
 */
function database(args: Parameters<CliCommand['run']>[0], io: Parameters<CliCommand['run']>[1]): string {
  const location = opt(args, 'db') || io.env.DATABASE_URL
  if (!location) throw usage('--db FILE|URL is required (or set DATABASE_URL)')
  return location
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []
}

/** `secret-channel accounts-identity-server` */
export const identityServerCommand: CliCommand = {
  name: 'accounts-identity-server',
  summary: 'run the identity server (accounts, access tokens, session challenges)',
  usage: `Usage: secret-channel accounts-identity-server [[HOST:]PORT] --keys FILE --db FILE|URL --allow-key-server ID ...

Runs the identity server (accounts, access tokens, session challenges; see
docs/accounts.md) until interrupted. Accounts and tokens live in the SQLite
file --db (WAL, synchronous=FULL), or in PostgreSQL when --db is a
postgres:// URL: then any number of identity servers on that database act as
one (tokens, login throttle and rate limits are shared). Only key servers
listed with --allow-key-server may validate tokens. Listens on [HOST:]PORT
(default 127.0.0.1 and a free port).

Options:
  -k, --keys FILE            the server's identity file
      --db FILE|URL          SQLite database (created when missing) or
                             postgres://user@host/db (schema migrated on
                             start); default $DATABASE_URL
      --listen HOST:PORT     where to listen, as an option
      --allow-key-server ID  a key server's public id (repeatable)
      --decoy-secret FILE    share decoy answers with a flat server (created when missing)
  -h, --help                 show this help`,
  options: { keys: { type: 'string', short: 'k', aliases: ['key'] }, db: { type: 'string' }, listen: { type: 'string' }, 'allow-key-server': { type: 'string', multiple: true }, 'decoy-secret': { type: 'string' } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const keyServers = list(args.values['allow-key-server']).map((id) => parseId(id))
    if (keyServers.length === 0) io.stderr.write('warning: no --allow-key-server: backups and restores will be refused\n')
    const at = listenAddress(opt(args, 'listen') ?? args.positionals[0])
    const decoy = opt(args, 'decoy-secret')
    const server = await IdentityServer.start({ keyPair, database: database(args, io), keyServers, ...at, ...(decoy ? { decoySecret: loadDecoySecret(decoy) } : {}), onError: (e) => io.stderr.write(`connection failed: ${(e as Error).message}\n`) })
    io.stdout.write(`identity server ${idOf(server.publicKey)} listening on ${server.host}:${server.port}\n`)
    await io.stopped
    await server.close()
    return 0
  }
}

/** `secret-channel accounts-key-server` */
export const keyServerCommand: CliCommand = {
  name: 'accounts-key-server',
  summary: 'run the key server (password-sealed private keys)',
  usage: `Usage: secret-channel accounts-key-server [[HOST:]PORT] --keys FILE --db FILE|URL --identity HOST:PORT --identity-id ID

Runs the key server (password-sealed private keys; see docs/accounts.md)
until interrupted; every token is validated with the identity server.
Listens on [HOST:]PORT (default 127.0.0.1 and a free port).

Options:
  -k, --keys FILE            the key server's identity file (the identity server must allow its id)
      --db FILE|URL          SQLite database (created when missing) or
                             postgres:// URL; default $DATABASE_URL
      --identity HOST:PORT   the identity server
      --identity-id ID       the identity server's public id
      --listen HOST:PORT     where to listen, as an option
  -h, --help                 show this help`,
  options: { keys: { type: 'string', short: 'k', aliases: ['key'] }, db: { type: 'string' }, listen: { type: 'string' }, identity: { type: 'string' }, 'identity-id': { type: 'string' } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const at = listenAddress(opt(args, 'listen') ?? args.positionals[0])
    const server = await KeyServer.start({
      keyPair, database: database(args, io), identityServer: endpoint(need(args, 'identity'), need(args, 'identity-id')), ...at,
      onError: (e) => io.stderr.write(`connection failed: ${(e as Error).message}\n`)
    })
    io.stdout.write(`key server ${idOf(server.publicKey)} listening on ${server.host}:${server.port}\n`)
    await io.stopped
    await server.close()
    return 0
  }
}

/** `secret-channel accounts-flat-server` */
export const flatServerCommand: CliCommand = {
  name: 'accounts-flat-server',
  summary: 'run a flat-protocol login server that echoes each session',
  usage: `Usage: secret-channel accounts-flat-server [[HOST:]PORT] --keys FILE [--keys-db FILE|URL] [--identity-db FILE|URL] [--max-packet N]

Accepts flat-protocol logins (see docs/accounts.md): interactive (USERNAME,
certificates from the key server's database) and non-interactive
(CERTIFICATE-ID, public keys from the identity server's database). Each
authenticated session is echoed back, so a client can see its data make the
round trip. Listens on [HOST:]PORT (default 127.0.0.1 and a free port).

Options:
  -k, --keys FILE         the server's identity file (clients pin its id)
      --keys-db FILE|URL  the key server's database: SQLite file or postgres://
                          URL (interactive accounts)
      --identity-db FILE|URL  the identity server's database (non-interactive accounts)
      --max-packet N      this server's MAX-PACKET (default 65536)
      --decoy-secret FILE share decoy answers with the identity server (created when missing)
      --listen HOST:PORT  where to listen, as an option
  -h, --help              show this help`,
  options: { keys: { type: 'string', short: 'k', aliases: ['key'] }, 'keys-db': { type: 'string' }, 'identity-db': { type: 'string' }, listen: { type: 'string' }, 'max-packet': { type: 'string' }, 'decoy-secret': { type: 'string' } },
  async run(args, io) {
    const keyPair = loadKey(need(args, 'keys'))
    const keysDb = opt(args, 'keys-db')
    const identityDb = opt(args, 'identity-db')
    if (!keysDb && !identityDb) throw usage('give --keys-db, --identity-db or both')
    const keys = keysDb ? await openAccountStore(keysDb) : null
    const identity = identityDb ? await openAccountStore(identityDb) : null
    const maxPacket = opt(args, 'max-packet') === undefined ? undefined : Number(opt(args, 'max-packet'))
    const decoy = opt(args, 'decoy-secret')
    const server = createFlatServer({ keyPair, lookup: flatLookupFromStores(keys, identity), maxPacket, ...(decoy ? { decoySecret: loadDecoySecret(decoy) } : {}), onError: (e) => io.stderr.write(`session refused: ${e.message}\n`) }, (s) => {
      io.stderr.write(`${s.username} logged in (${s.interactive ? 'interactive' : 'non-interactive'}, MAX-PACKET ${s.maxPacket})\n`)
      s.on('data', (d: unknown) => { if (!s.write(d as Buffer)) { s.pause(); s.once('drain', () => s.resume()) } })
      s.on('end', () => s.end())
      s.on('error', (e: Error) => io.stderr.write(`${s.username}: ${e.message}\n`))
    })
    const at = listenAddress(opt(args, 'listen') ?? args.positionals[0])
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(at.port, at.host, () => resolve()) })
    const addr = server.address() as AddressInfo
    io.stdout.write(`flat server ${idOf(keyPair.publicKey)} listening on ${addr.address}:${addr.port}\n`)
    await io.stopped
    await closeServer(server)
    await keys?.close()
    await identity?.close()
    return 0
  }
}
