/**
 * `secret-channel enroll-server`: enrolls new devices (design document 000, see docs/enrollment.md):
 * issues each an Ed25519 identity and records it in a store that `enrolledAuthorizer` reads, so the
 * server's secret-handshake endpoint can admit exactly the enrolled devices.
 * @module
 */
import { dirname, join, resolve } from 'node:path'
import { runEnrollList, runEnrollRevoke, runEnrollServer } from '../protocols/enrollment/cli.js'
import { UsageError, flag, stringOption, type Command } from './command.js'
import { KEYS_OPTION, keysPath, listenAddress, loadKeys } from './options.js'

function integerOption(text: string | undefined, name: string, min: number): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`)
  return Number(text)
}

/**
 * The `enroll-server` command.
 * @example
 * ```ts
 * await main(['enroll-server', '127.0.0.1:0', '--keys', 'server.json', '--count', '2'], io)
 * ```
 */
export const enrollServer: Command = {
  name: 'enroll-server',
  summary: 'enroll new devices: issue each an identity and record it (one-time code)',
  usage: `Usage: secret-channel enroll-server [[HOST:]PORT] [--keys FILE] [--store FILE]
                                    [--code CODE | --no-code] [--key-type ed25519|rsa]
                                    [--count N] [--max-guesses N] [--timeout MS]
       secret-channel enroll-server --list | --revoke ID [--keys FILE] [--store FILE]

Waits for devices running "secret-channel enroll", gives each a new identity
and records its public key in the store (JSON, mode 0600). Prints a one-time
enrollment code on stderr (unless --code or --no-code) and each enrolled id
on stdout. The server signs every exchange with its identity (--keys), so a
device that knows the server's id detects an impostor. Stops after --count
enrollments (default 1; 0 = until interrupted); the one code is good for
that many devices, and is refused after --max-guesses unanswered challenges.
It listens on [HOST:]PORT (default 127.0.0.1 and a free port, printed on
stderr). --list prints the enrolled devices; --revoke ID removes one.

Options:
  -p, --port N          the port, as an option (with -H, --host H for the address)
  -H, --host H          address to bind with --port (default 127.0.0.1)
  -k, --keys FILE       the server's identity file (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
      --store FILE      enrolled devices (default: enrolled.json beside the identity file)
  -c, --code CODE       use this code instead of a generated one
      --no-code         open enrollment: anyone who can connect is enrolled (see the warning)
      --key-type T      ed25519 (default) or rsa
  -n, --count N         stop after N enrollments, one code for all N (default 1; 0 = never)
      --max-guesses N   unanswered challenges under the code before it is burnt (default 5)
      --list            print the enrolled devices (id, type, date, code) and exit
      --revoke ID       remove an enrolled device from the store and exit
  -t, --timeout MS      per-device deadline (default 30000)
  -h, --help            show this help`,
  options: {
    port: { type: 'string', short: 'p' },
    host: { type: 'string', short: 'H' },
    keys: KEYS_OPTION,
    store: { type: 'string' },
    code: { type: 'string', short: 'c' },
    'no-code': { type: 'boolean' },
    'key-type': { type: 'string' },
    count: { type: 'string', short: 'n' },
    'max-guesses': { type: 'string' },
    timeout: { type: 'string', short: 't' },
    list: { type: 'boolean' },
    revoke: { type: 'string' }
  },
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`)
    const at = listenAddress(args, 0)
    const code = stringOption(args, 'code')
    if (code !== undefined && flag(args, 'no-code')) throw new UsageError('--code and --no-code exclude each other')
    const keyType = stringOption(args, 'key-type') ?? 'ed25519'
    if (keyType !== 'ed25519' && keyType !== 'rsa') throw new UsageError('--key-type must be ed25519 or rsa')
    const identity = keysPath(args, io.env)
    const storePath = resolve(stringOption(args, 'store') ?? join(dirname(identity), 'enrolled.json'))
    const lines = { out: (line: string) => { io.stdout.write(`${line}\n`) }, status: (line: string) => { io.stderr.write(`${line}\n`) } }
    const revoke = stringOption(args, 'revoke')
    if (flag(args, 'list') && revoke !== undefined) throw new UsageError('--list and --revoke exclude each other')
    if (flag(args, 'list')) return runEnrollList(storePath, lines)
    if (revoke !== undefined) return runEnrollRevoke(storePath, revoke, lines)
    const keyPair = await loadKeys(identity)
    const stop = new AbortController()
    void io.stopped.then(() => stop.abort())
    return runEnrollServer({
      host: at.host,
      port: at.port,
      keyPair,
      storePath,
      code: flag(args, 'no-code') ? null : code,
      keyType,
      count: integerOption(stringOption(args, 'count'), 'count', 0),
      maxGuesses: integerOption(stringOption(args, 'max-guesses'), 'max-guesses', 1),
      timeout: integerOption(stringOption(args, 'timeout'), 'timeout', 0)
    }, { ...lines, signal: stop.signal })
  }
}
