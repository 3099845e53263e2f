/**
 * `secret-channel enroll HOST:PORT`: gets this device an identity from an enrollment server
 * (design document 000, see docs/enrollment.md) and saves it where the other commands look for it.
 * @module
 */
import { runEnroll } from '../protocols/enrollment/cli.js'
import { UsageError, flag, stringOption, type Command } from './command.js'
import { KEYS_OPTION, keysPath, parseAddress, peerId } from './options.js'

function integerOption(text: string | undefined, name: string, min: number): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`)
  return Number(text)
}

/**
 * The `enroll` command.
 * @example
 * ```ts
 * await main(['enroll', 'server.example:7000', '--code', 'K7F-3QX-9MP', '--server', serverId], io)
 * ```
 */
export const enroll: Command = {
  name: 'enroll',
  summary: 'get an identity from an enrollment server (one-time code) and save it',
  usage: `Usage: secret-channel enroll HOST:PORT [--code CODE] [--server ID] [--keys FILE] [--force]
                              [--max-attempts N] [--timeout MS]

Enrolls this device with an enrollment server (see "secret-channel enroll-server"):
agrees on a key, proves it, receives a new Ed25519 identity and writes it
(mode 0600) where the other commands read it, so "secret-channel connect"
can use it right away. Prints the new id on stdout; every protocol step and
what authenticated the server go to stderr.

Give the one-time code the server's operator read out (--code), and the
server's id when you know it (--server). Without either, anyone between
you and the server can hand you a key of his own choosing: a warning says so.

Options:
  -c, --code CODE       the one-time enrollment code
  -s, --server ID       the server's id (@<base64>.ed25519): it must sign the exchange
  -k, --keys FILE       where to write the identity (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -f, --force           overwrite an existing identity file
      --max-attempts N  key exchanges to try when a challenge does not decrypt (default 3)
  -t, --timeout MS      give up after MS milliseconds (default 30000)
  -h, --help            show this help`,
  options: {
    code: { type: 'string', short: 'c' },
    server: { type: 'string', short: 's' },
    keys: KEYS_OPTION,
    force: { type: 'boolean', short: 'f' },
    'max-attempts': { type: 'string' },
    timeout: { type: 'string', short: 't' }
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one HOST:PORT')
    const address = parseAddress(args.positionals[0])
    const serverId = stringOption(args, 'server')
    const stop = new AbortController()
    void io.stopped.then(() => stop.abort())
    return runEnroll({
      ...('path' in address ? { path: address.path, port: 0 } : { host: address.host, port: address.port }),
      identityPath: keysPath(args, io.env),
      code: stringOption(args, 'code'),
      serverPublicKey: serverId === undefined ? undefined : peerId(serverId, '--server'),
      overwrite: flag(args, 'force'),
      maxAttempts: integerOption(stringOption(args, 'max-attempts'), 'max-attempts', 1),
      timeout: integerOption(stringOption(args, 'timeout'), 'timeout', 0)
    }, {
      out: (line) => { io.stdout.write(`${line}\n`) },
      status: (line) => { io.stderr.write(`${line}\n`) },
      signal: stop.signal
    })
  }
}
