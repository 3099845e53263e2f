/**
 * `secret-channel id`: prints the public id of an identity file.
 * @module
 */
import { formatId } from '../keys.js'
import type { Command } from './command.js'
import { keysPath, loadKeys } from './options.js'

/** The `id` command. */
export const id: Command = {
  name: 'id',
  summary: 'print the public id of an identity file',
  usage: `Usage: secret-channel id [--keys FILE]

Prints the public id (@<base64>.ed25519) of an identity file.

Options:
  -k, --keys FILE  identity file (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -h, --help       show this help`,
  options: { keys: { type: 'string', short: 'k' } },
  async run(args, io) {
    const keyPair = await loadKeys(keysPath(args, io.env))
    io.stdout.write(formatId(keyPair.publicKey) + '\n')
    keyPair.secretKey.fill(0)
    return 0
  }
}
