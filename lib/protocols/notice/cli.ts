/**
 * The `notice` command: run the notice key agreement over TCP (one side listens, the other
 * connects), show the fingerprints, then act as a secure pipe (stdin to the peer, the peer's bytes
 * to stdout) until both sides said goodbye.
 *
 * Kept free of the CLI framework so it can be called from `lib/cli/notice.ts`, from tests with
 * fake streams, or on its own via {@link noticeCommand}.
 * @module
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { UsageError, parseCommandLine, type OptionSpec } from '../../cli/command.js'
import type { Readable, Writable } from 'node:stream'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { formatId, parseIdentityFile, type KeyPair } from '../../keys.js'
import type { NoticeChannel } from './channel.js'
import { displayFingerprint } from './fingerprint.js'
import { connectNotice } from './framed.js'
import { KnownPeers } from './known-peers.js'
import { DEFAULT_MAX_NOTICE_BYTES } from './layout.js'

/** What the command needs, already parsed. */
export interface NoticeCliOptions {
  /** Listen (responder) on a port, or connect (initiator) to one. */
  mode: { listen: { port: number; host?: string } } | { connect: { host: string; port: number } }
  /** Our identity. */
  keyPair: KeyPair
  /** Our name for the peer in the known-peers file. */
  peerName: string
  /** Path of the known-peers file. */
  knownPeersPath: string
  /** Largest notice in bytes (both sides must agree). Default 200. */
  maxNoticeBytes?: number
  /** Learn unknown peers (trust on first use). Default true. */
  trustOnFirstUse?: boolean
  /** Deadline of the agreement in ms. Default 30 000. */
  timeoutMs?: number
  /** No status lines on stderr. */
  quiet?: boolean
}

/** The process's streams, passed in so the command runs in tests. */
export interface NoticeCliIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopped?: Promise<void>
  /** Called once listening, with the bound port (useful with port 0). */
  onListening?: (port: number) => void
}

/**
 * Runs the agreement and the pipe. Resolves to the exit status: 0 after a clean goodbye both ways,
 * 130 when stopped.
 * @throws SecretChannelError on any failure (`ERR_TRANSPORT` when the TCP connection cannot be
 *   made, else whatever stopped the session, e.g. `ERR_KEY_CHANGED`)
 */
export async function runNoticeCli(options: NoticeCliOptions, io: NoticeCliIO): Promise<number> {
  const log = (line: string): void => {
    if (!options.quiet) io.stderr.write(line + '\n')
  }
  const knownPeers = KnownPeers.load(options.knownPeersPath)
  log(`our key: ${formatId(options.keyPair.publicKey)}  fingerprint ${displayFingerprint(options.keyPair.publicKey)}`)
  let server: Server | null = null
  let socket: Socket
  try {
    if ('listen' in options.mode) {
      const { port, host } = options.mode.listen
      const srv = createServer()
      server = srv
      await new Promise<void>((resolveListen, reject) => {
        srv.once('error', reject)
        srv.listen({ port, host: host ?? '127.0.0.1' }, () => resolveListen())
      })
      const bound = (srv.address() as AddressInfo).port
      log(`listening on ${host ?? '127.0.0.1'}:${bound} for ${options.peerName}`)
      io.onListening?.(bound)
      const first = new Promise<Socket>((resolveConn) => srv.once('connection', resolveConn))
      const got = await Promise.race([first, (io.stopped ?? new Promise<never>(() => {})).then(() => null)])
      if (got === null) return 130
      socket = got
      srv.close() // one peer, like nc -l
    } else {
      const { host, port } = options.mode.connect
      socket = await new Promise<Socket>((resolveConn, reject) => {
        const s = connect(port, host, () => {
          s.off('error', reject)
          resolveConn(s)
        })
        s.once('error', reject)
      })
    }
  } catch (err) {
    server?.close()
    throw new SecretChannelError(ErrorCodes.TRANSPORT, 'notice transport', (err as Error).message, { cause: err })
  }

  const channel = connectNotice(socket, {
    role: 'listen' in options.mode ? 'responder' : 'initiator',
    keyPair: options.keyPair,
    knownPeers,
    peerName: options.peerName,
    maxNoticeBytes: options.maxNoticeBytes ?? DEFAULT_MAX_NOTICE_BYTES,
    trustOnFirstUse: options.trustOnFirstUse ?? true,
    timeoutMs: options.timeoutMs ?? 30_000
  })
  channel.on('peer-key', ({ fingerprint }) => log(`received a key for ${options.peerName}: ${fingerprint} (compare it with them)`))
  channel.on('secure', (info) =>
    log(
      info.learned
        ? `secure with ${options.peerName}: NEW key ${info.fingerprint}, saved to ${options.knownPeersPath} (trust on first use; compare the fingerprint)`
        : `secure with ${options.peerName}: known key ${info.fingerprint}`
    )
  )
  const outcome = await Promise.race([pipe(channel, io.stdin, io.stdout), (io.stopped ?? new Promise<never>(() => {})).then(() => 'stopped' as const)])
  if (outcome === 'stopped') {
    channel.destroy()
    socket.destroy()
    return 130
  }
  if (outcome !== null) {
    socket.destroy()
    throw outcome
  }
  return 0
}

/** Copies stdin to the channel and the channel to stdout; resolves with null after both goodbyes, or the error. */
function pipe(channel: NoticeChannel, input: Readable, output: Writable): Promise<Error | null> {
  return new Promise((resolveRun) => {
    let settled = false
    const settle = (err: Error | null): void => {
      if (settled) return
      settled = true
      input.off('data', onInput)
      input.off('end', onInputEnd)
      input.pause()
      resolveRun(err)
    }
    const onInput = (chunk: Buffer): void => {
      if (!channel.write(chunk)) {
        input.pause()
        channel.once('drain', () => input.resume())
      }
    }
    const onInputEnd = (): void => {
      channel.end()
    }
    // Input is read only once the channel is secure; until then writes would queue in memory.
    channel.once('secure', () => {
      input.on('data', onInput)
      input.once('end', onInputEnd)
    })
    channel.on('data', (chunk) => output.write(chunk as Buffer))
    channel.once('error', (err: Error) => settle(err))
    channel.once('close', () => settle(channel.peer.error))
  })
}

const USAGE = `Usage: secret-channel notice (--listen [HOST:]PORT | --connect HOST:PORT) --peer NAME
                             [--keys FILE] [--known-peers FILE] [--max-notice N]
                             [--no-tofu] [--timeout MS] [--quiet]

Runs the notice key agreement (docs/notice.md) over TCP: announce
fingerprints, exchange missing public keys (trust on first use), agree on a
symmetric key, then copy stdin to the peer and the peer's bytes to stdout as
box-stream. The listening side is the responder, the connecting side the
initiator. Learned keys are stored in the known-peers file under NAME; a known
peer presenting another key is refused (ERR_KEY_CHANGED). Exits 0 after a clean
goodbye both ways.

Options:
  -l, --listen [HOST:]PORT listen on HOST:PORT (default host 127.0.0.1; port 0 picks a free one)
  -H, --host H             address to listen on, as an option
  -c, --connect HOST:PORT  connect to a listening peer
  -p, --peer NAME          our name for the peer (key in the known-peers file)
  -k, --keys FILE          our identity (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
      --known-peers FILE   default: $SECRET_CHANNEL_KNOWN_PEERS, else ~/.ssb/notice-peers.json
      --max-notice N       notice size limit in bytes (default 200; both sides alike)
      --no-tofu            refuse peers whose key we do not know yet
  -t, --timeout MS         give up if the agreement takes longer (default 30000)
  -q, --quiet              no status lines on stderr
  -h, --help               show this help`

/** The options {@link noticeCommand} accepts, in `node:util` parseArgs form. */
export const NOTICE_COMMAND_OPTIONS = {
  listen: { type: 'string', short: 'l' },
  host: { type: 'string', short: 'H' },
  connect: { type: 'string', short: 'c' },
  peer: { type: 'string', short: 'p' },
  keys: { type: 'string', short: 'k', aliases: ['key'] },
  'known-peers': { type: 'string' },
  'max-notice': { type: 'string' },
  'no-tofu': { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  quiet: { type: 'boolean', short: 'q' }
} as const

/** The usage text of the `notice` command. */
export const NOTICE_USAGE = USAGE

/** Parsed option values, as `parseArgs` returns them. */
export type NoticeOptionValues = Partial<Record<keyof typeof NOTICE_COMMAND_OPTIONS, string | boolean | undefined>>

/**
 * Turns option values into {@link NoticeCliOptions}: reads the identity file, checks numbers.
 * @throws SecretChannelError `ERR_USAGE` for a bad command line, `ERR_BAD_KEY` for a bad identity file
 */
export async function resolveNoticeOptions(values: NoticeOptionValues, env: NodeJS.ProcessEnv): Promise<NoticeCliOptions> {
  const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.USAGE, 'notice command', detail)
  const str = (name: keyof typeof NOTICE_COMMAND_OPTIONS): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const int = (name: keyof typeof NOTICE_COMMAND_OPTIONS, min: number, max: number): number | undefined => {
    const text = str(name)
    if (text === undefined) return undefined
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw bad(`--${name} must be a number from ${min} to ${max}`)
    return Number(text)
  }
  const listenText = str('listen')
  const listenMatch = listenText === undefined ? null : /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d{1,5})$/.exec(listenText)
  if (listenText !== undefined && (!listenMatch || Number(listenMatch[3]) > 65535)) throw bad(`--listen expects [HOST:]PORT, got ${JSON.stringify(listenText)}`)
  const listen = listenMatch ? Number(listenMatch[3]) : undefined
  const listenHost = listenMatch ? (listenMatch[1] ?? listenMatch[2]) || undefined : undefined
  const target = str('connect')
  if ((listen === undefined) === (target === undefined)) throw bad('give exactly one of --listen [HOST:]PORT and --connect HOST:PORT')
  let mode: NoticeCliOptions['mode']
  if (target !== undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(target)
    if (!m || Number(m[3]) > 65535) throw bad(`--connect expects HOST:PORT, got ${JSON.stringify(target)}`)
    mode = { connect: { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) } }
  } else {
    mode = { listen: { port: listen!, host: listenHost ?? str('host') } }
  }
  const peerName = str('peer')
  if (!peerName) throw bad('--peer NAME is required (the name the peer has in the known-peers file)')
  const keysPath = resolve(str('keys') ?? (env.SECRET_CHANNEL_KEYS || join(homedir(), '.ssb', 'secret')))
  let text: string
  try {
    text = await readFile(keysPath, 'utf8')
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.BAD_KEY, 'identity file', `cannot read ${keysPath}`, { cause: err })
  }
  return {
    mode,
    keyPair: parseIdentityFile(text),
    peerName,
    knownPeersPath: resolve(str('known-peers') ?? (env.SECRET_CHANNEL_KNOWN_PEERS || join(homedir(), '.ssb', 'notice-peers.json'))),
    maxNoticeBytes: int('max-notice', 32, 65535),
    trustOnFirstUse: values['no-tofu'] !== true,
    timeoutMs: int('timeout', 1, 3_600_000),
    quiet: values.quiet === true
  }
}

/**
 * The whole command from raw arguments (the words after `notice`): parses, runs, reports.
 * @returns the exit status (2 for a bad command line)
 */
export async function noticeCommand(argv: string[], io: NoticeCliIO & { env?: NodeJS.ProcessEnv }): Promise<number> {
  let values: NoticeOptionValues
  try {
    const parsed = parseCommandLine(argv, NOTICE_COMMAND_OPTIONS as unknown as Record<string, OptionSpec>)
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`)
    if (parsed.values.help) {
      io.stdout.write(USAGE + '\n')
      return 0
    }
    values = parsed.values as NoticeOptionValues
  } catch (err) {
    io.stderr.write(`notice: ${(err as Error).message.split('\n')[0]}\n${USAGE}\n`)
    return 2
  }
  let options: NoticeCliOptions
  try {
    options = await resolveNoticeOptions(values, io.env ?? process.env)
  } catch (err) {
    io.stderr.write(`notice: ${(err as Error).message}\n`)
    return (err as SecretChannelError).code === ErrorCodes.USAGE ? 2 : 1
  }
  try {
    return await runNoticeCli(options, io)
  } catch (err) {
    io.stderr.write(`notice: ${(err as Error).message}\n`)
    return 1
  }
}
