/**
 * `secret-channel keygen`: writes a new identity file (ssb-keys JSON shape, mode 0600) and prints its id.
 * @module
 */
import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { generateKeyPair, toIdentityFile } from '../keys.js'
import { UsageError, flag, stringOption, type Command } from './command.js'
import { defaultKeysPath } from './options.js'

/**
 * The `keygen` command.
 * @example
 * ```ts
 * await main(['keygen', '--out', 'alice.json'], io) // writes the file (mode 0600), prints the id
 * ```
 */
export const keygen: Command = {
  name: 'keygen',
  summary: 'create a new identity file and print its public id',
  usage: `Usage: secret-channel keygen [FILE | --out FILE] [--force]

Creates a new Ed25519 identity and writes it as JSON in the ssb-keys shape
({ curve, public, private, id }), readable only by you (mode 0600). Prints the
public id (@<base64>.ed25519) on stdout. FILE is where to write it, as --out.

Options:
  -o, --out FILE   where to write it (also --keys FILE; default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -f, --force      overwrite an existing file
  -h, --help       show this help`,
  options: { out: { type: 'string', short: 'o', aliases: ['keys', 'key'] }, force: { type: 'boolean', short: 'f' } },
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`)
    const given = args.positionals[0]
    if (given !== undefined && args.values.out !== undefined) throw new UsageError('give the file once: as FILE or as --out FILE')
    const path = given ?? stringOption(args, 'out') ?? defaultKeysPath(io.env)
    const keyPair = generateKeyPair()
    const file = toIdentityFile(keyPair)
    keyPair.secretKey.fill(0)
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    // 'wx' fails if the file exists, so there is no window in which we check and then clobber.
    // With --force the file is truncated in place; chmod afterwards fixes the mode of an old file.
    let handle
    try {
      handle = await open(path, flag(args, 'force') ? 'w' : 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SecretChannelError(ErrorCodes.ALREADY_EXISTS, 'keygen', `${path} already exists (use --force to overwrite it)`)
      }
      throw new SecretChannelError(ErrorCodes.BAD_KEY, 'keygen', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
    }
    try {
      await handle.chmod(0o600)
      await handle.writeFile(JSON.stringify(file, null, 2) + '\n')
    } finally {
      await handle.close()
    }
    io.stdout.write(file.id + '\n')
    return 0
  }
}
