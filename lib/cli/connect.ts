/**
 * `secret-channel connect HOST:PORT --server ID`: a secure netcat client. stdin goes to the server,
 * the server's bytes go to stdout; exit 0 after a clean goodbye in both directions.
 * @module
 */
import { formatId } from '../keys.js'
import { connect as dial } from '../net/connect.js'
import { UsageError, flag, stringOption, type Command } from './command.js'
import { KEYS_OPTION, appKeyOption, keysPath, loadKeys, parseAddress, peerId, timeoutOption } from './options.js'
import { runSession } from './session.js'

/**
 * The `connect` command.
 * @example
 * ```ts
 * const status = await main(['connect', 'example.org:8008', '--server', serverId, '-v'], io)
 * ```
 */
export const connect: Command = {
  name: 'connect',
  summary: 'connect to a server; stdin goes to it, its bytes go to stdout',
  usage: `Usage: secret-channel connect HOST:PORT --server ID [--keys FILE] [--app-key B64] [-v] [--progress]

Opens an encrypted, mutually authenticated connection to a server and copies
stdin to it and its bytes to stdout, like netcat. When stdin ends, a goodbye
is sent; the command exits 0 once the server has said goodbye too, and
non-zero with a one-line reason on any failure (wrong server id, other
network, refused, truncated or tampered stream). HOST:PORT may also be a
Unix socket path.

Options:
  -s, --server ID    the server's public id (@<base64>.ed25519); required
  -k, --keys FILE    our identity file (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -a, --app-key B64  network key (default: the Scuttlebutt main network's)
  -t, --timeout MS   give up if the handshake takes longer (default 10000)
  -v, --verbose      at the end, print bytes sent and received, seconds, MB/s and the peer's id
      --progress     show a live byte counter and rate on stderr (on a terminal)
  -q, --quiet        no status lines on stderr
  -h, --help         show this help`,
  options: {
    server: { type: 'string', short: 's' },
    keys: KEYS_OPTION,
    'app-key': { type: 'string', short: 'a' },
    timeout: { type: 'string', short: 't' },
    verbose: { type: 'boolean', short: 'v' },
    progress: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' }
  },
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`)
    const address = parseAddress(args.positionals[0])
    const serverText = stringOption(args, 'server')
    if (serverText === undefined) throw new UsageError('--server ID is required (SHS1 only connects to a peer you name)')
    const remotePublicKey = peerId(serverText, '--server')
    const appKey = appKeyOption(args)
    const handshakeTimeout = timeoutOption(stringOption(args, 'timeout'))
    const keyPair = await loadKeys(keysPath(args, io.env))
    const log = (line: string): void => { if (!flag(args, 'quiet')) io.stderr.write(line + '\n') }

    const abort = new AbortController()
    void io.stopped.then(() => abort.abort())
    const stream = await dial({ ...address, keyPair, appKey, remotePublicKey, handshakeTimeout, signal: abort.signal })
    const peer = formatId(stream.remotePublicKey)
    log(`connected to ${peer}`)
    const outcome = await runSession(stream, io, { peer, verbose: flag(args, 'verbose'), progress: flag(args, 'progress') })
    return outcome === 'stopped' ? 130 : 0
  }
}
