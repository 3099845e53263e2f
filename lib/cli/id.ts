/**
 * `secret-channel id [FILE]`: prints the public id of an identity file.
 * @module
 */
import { resolve } from 'node:path'
import { formatId } from '../keys.js'
import { UsageError, type Command } from './command.js'
import { KEYS_OPTION, keysPath, loadKeys } from './options.js'

/**
 * The `id` command.
 * @example
 * ```ts
 * await main(['id', 'alice.json'], io) // writes "@<base64>.ed25519\n" to io.stdout
 * ```
 */
export const id: Command = {
  name: 'id',
  summary: 'print the public id of an identity file',
  usage: `Usage: secret-channel id [FILE] [--keys FILE]

Prints the public id (@<base64>.ed25519) of the identity file FILE (or --keys
FILE; by default $SECRET_CHANNEL_KEYS, else ~/.ssb/secret).

Options:
  -k, --keys FILE  identity file, as an option
  -h, --help       show this help`,
  options: { keys: KEYS_OPTION },
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`)
    const file = args.positionals[0]
    if (file !== undefined && args.values.keys !== undefined) throw new UsageError('give the identity file once: as FILE or as --keys FILE')
    const keyPair = await loadKeys(file !== undefined ? resolve(file) : keysPath(args, io.env))
    io.stdout.write(formatId(keyPair.publicKey) + '\n')
    keyPair.secretKey.fill(0)
    return 0
  }
}
