/**
 * `secret-channel listen [HOST:]PORT`: a secure netcat server. Without `--exec` it serves one
 * authenticated connection on stdin/stdout and exits like `connect`; with `--exec CMD` it keeps
 * listening and runs CMD once per connection with the command's stdin/stdout on the channel
 * (with `--once`, for one connection, and exits with CMD's status).
 * @module
 */
import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { formatId } from '../keys.js'
import { enrolledAuthorizer, JsonFileEnrollmentStore } from '../protocols/enrollment/index.js'
import { createServer, type ServerStream } from '../net/server.js'
import { UsageError, flag, listOption, stringOption, type Command, type CommandIO } from './command.js'
import { KEYS_OPTION, appKeyOption, keysPath, listenAddress, loadKeys, peerId, timeoutOption } from './options.js'
import { runSession } from './session.js'
import { shuttle } from './shuttle.js'
import { signalStatus } from './signals.js'
import { showProgress, startCounters, summary } from './transfer.js'

/**
 * The `listen` command.
 * @example
 * ```ts
 * const status = await main(['listen', '127.0.0.1:8008', '--allow', clientId], io)
 * ```
 */
export const listen: Command = {
  name: 'listen',
  summary: 'wait for a connection; stdin goes to the peer, its bytes go to stdout (or --exec CMD)',
  usage: `Usage: secret-channel listen [HOST:]PORT [--keys FILE] [--app-key B64] [-v] [--progress]
                             [--allow ID ...] [--allow-enrolled STORE] [--exec CMD [--once]]

Listens for encrypted, mutually authenticated connections. Without --exec,
serves the first client that completes the handshake: stdin goes to it and
its bytes go to stdout; exits 0 after a clean goodbye both ways. With --exec,
keeps listening and runs CMD (through the shell) for every connection, its
stdin/stdout connected to the channel; the peer's id is in the environment
variable SECRET_CHANNEL_REMOTE_ID. Refused or failed handshakes are reported
on stderr and do not stop the server. Status lines go to stderr, e.g.
"listening on 127.0.0.1:8008 as @….ed25519". PORT 0 picks a free port; without
HOST, all interfaces.

Options:
  -p, --port N       the port, as an option (with -H, --host H for the address)
  -H, --host H       address to bind with --port (default: all interfaces)
  -k, --keys FILE    our identity file (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -a, --app-key B64  network key (default: the Scuttlebutt main network's)
      --allow ID     accept only this client id; repeat (or separate with commas) for more
      --allow-enrolled STORE
                     also accept the devices "secret-channel enroll-server" recorded in
                     STORE (its --store file, read at every handshake); with --allow,
                     a client listed in either is accepted
      --allow-any    with --exec, accept any client that knows the app key and our id
  -e, --exec CMD     run CMD per connection (requires --allow, --allow-enrolled or --allow-any)
      --once         with --exec, serve one connection, then exit with CMD's exit status
  -v, --verbose      at the end, print bytes sent and received, seconds, MB/s and the peer's id
      --progress     show a live byte counter and rate on stderr (on a terminal)
  -t, --timeout MS   drop clients whose handshake takes longer (default 10000)
      --idle-timeout MS
                     drop a connection that stays silent this long (default: never)
  -q, --quiet        no status lines on stderr
  -h, --help         show this help`,
  options: {
    port: { type: 'string', short: 'p' },
    host: { type: 'string', short: 'H' },
    keys: KEYS_OPTION,
    'app-key': { type: 'string', short: 'a' },
    allow: { type: 'string', multiple: true },
    'allow-enrolled': { type: 'string' },
    'allow-any': { type: 'boolean' },
    exec: { type: 'string', short: 'e' },
    once: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    progress: { type: 'boolean' },
    timeout: { type: 'string', short: 't' },
    'idle-timeout': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' }
  },
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`)
    const { host, port } = listenAddress(args)
    const allowed = listOption(args, 'allow').map((id) => formatId(peerId(id, '--allow')))
    const storePath = stringOption(args, 'allow-enrolled')
    if (storePath === '') throw new UsageError('--allow-enrolled needs the path of an enrollment store')
    const exec = stringOption(args, 'exec')
    if (exec !== undefined && allowed.length === 0 && storePath === undefined && !flag(args, 'allow-any')) {
      throw new UsageError('--exec runs a command for every client: name them with --allow ID or --allow-enrolled STORE (or accept anyone with --allow-any)')
    }
    if (flag(args, 'once') && exec === undefined) throw new UsageError('--once goes with --exec (without --exec, listen serves one connection anyway)')
    const appKey = appKeyOption(args)
    const handshakeTimeout = timeoutOption(stringOption(args, 'timeout'))
    const idleText = stringOption(args, 'idle-timeout')
    if (idleText !== undefined && !/^\d+$/.test(idleText)) throw new UsageError('--idle-timeout must be a number of milliseconds')
    const idleTimeout = idleText === undefined ? 0 : Number(idleText)
    const keyPair = await loadKeys(keysPath(args, io.env))
    const log = (line: string): void => { if (!flag(args, 'quiet')) io.stderr.write(line + '\n') }

    // Read the store once now, so a wrong path or a damaged file stops us before we listen; it is
    // read again at every handshake, so devices enrolled later are admitted without a restart.
    const store = storePath === undefined ? null : new JsonFileEnrollmentStore(resolvePath(storePath))
    if (store) {
      const count = (await store.list()).length
      log(`admitting the ${count} device(s) enrolled in ${store.path}, and any enrolled later`)
    }
    const enrolled = store ? enrolledAuthorizer(store) : null
    const allowSet = new Set(allowed)
    const notAllowed = store === null ? 'not in --allow' : allowSet.size === 0 ? `not enrolled in ${store.path}` : `not in --allow nor enrolled in ${store.path}`
    const authorize = allowSet.size === 0 && enrolled === null ? undefined : async (key: Buffer): Promise<unknown> => {
      if (allowSet.has(formatId(key))) return true
      const device = enrolled ? await enrolled(key) : false
      if (!device) log(`refusing ${formatId(key)}: ${notAllowed}`)
      return device
    }
    const server = createServer({ keyPair, appKey, authorize, handshakeTimeout, idleTimeout })
    server.on('handshakeError', (err, peer) => {
      const from = peer.remoteAddress !== undefined ? `${peer.remoteAddress}:${peer.remotePort}` : 'a client'
      io.stderr.write(`secret-channel listen: handshake with ${from} failed: ${err.message}\n`)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(host === undefined ? { port } : { port, host }, () => { server.off('error', reject); resolve() })
    })
    const address = server.address() as AddressInfo
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
    log(`listening on ${shown}:${address.port} as ${formatId(keyPair.publicKey)}`)

    const report = { verbose: flag(args, 'verbose'), progress: flag(args, 'progress') }
    try {
      return exec === undefined
        ? await serveOnce(server, io, log, report)
        : await serveExec(server, exec, io, log, { ...report, once: flag(args, 'once') })
    } finally {
      server.close()
    }
  }
}

type Server = ReturnType<typeof createServer>

/** `-v` and `--progress`. */
interface Report { verbose: boolean, progress: boolean }

/** Serves the first authenticated client on stdin/stdout, then stops listening. */
async function serveOnce(server: Server, io: CommandIO, log: (line: string) => void, report: Report): Promise<number> {
  // One client, like nc -l: the first to finish the handshake; any other that was mid-handshake is dropped.
  const first = new Promise<ServerStream>((resolve) => {
    let taken = false
    server.on('connection', (stream: ServerStream) => {
      if (taken) return void stream.destroy()
      taken = true
      server.close() // the open connection is unaffected
      resolve(stream)
    })
  })
  const got = await Promise.race([first, io.stopped.then(() => null)])
  if (got === null) return 130
  const stream = got
  const peer = formatId(stream.remotePublicKey)
  log(`connection from ${peer} (${stream.remoteAddress ?? 'local'})`)
  const outcome = await runSession(stream, io, { peer, ...report })
  return outcome === 'stopped' ? 130 : 0
}

/**
 * Runs `command` for every client until stopped; with `once`, for the first client only, and
 * resolves to the command's exit status (128 + its signal's number when a signal ended it).
 */
async function serveExec(server: Server, command: string, io: CommandIO, log: (line: string) => void, report: Report & { once: boolean }): Promise<number> {
  const open = new Set<ServerStream>()
  let taken = false
  let firstStatus: (status: number) => void = () => {}
  const first = new Promise<number>((resolve) => { firstStatus = resolve })
  server.on('connection', (stream: ServerStream) => {
    if (report.once && taken) return void stream.destroy()
    taken = true
    if (report.once) server.close() // the open connection is unaffected
    const who = formatId(stream.remotePublicKey)
    log(`connection from ${who} (${stream.remoteAddress ?? 'local'}): running ${command}`)
    open.add(stream)
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...io.env, SECRET_CHANNEL_REMOTE_ID: who, SECRET_CHANNEL_REMOTE_ADDRESS: stream.remoteAddress ?? '' }
    })
    child.on('error', (err) => {
      io.stderr.write(`secret-channel listen: cannot run ${command}: ${err.message}\n`)
      stream.destroy()
    })
    child.stdin.on('error', () => {}) // the command may exit without reading everything
    let failed = false
    const counters = startCounters()
    const stopProgress = report.progress ? showProgress(counters, io.stderr, io.stderrIsTTY) : () => {}
    const session = shuttle(stream, child.stdout, child.stdin, { counters }).then(
      () => child.stdin.end(),
      (err: unknown) => {
        failed = true
        io.stderr.write(`secret-channel listen: connection from ${who} failed: ${(err as Error).message}\n`)
        child.kill()
      }
    ).finally(() => open.delete(stream))
    // The peer's goodbye ends the command's stdin; shuttle writes into child.stdin and ends it then.
    stream.once('end', () => child.stdin.end())
    child.on('close', (code, signal) => {
      if (!failed) log(`connection from ${who} ended (${signal ?? `exit ${code}`})`)
      void session.then(() => {
        stopProgress()
        if (report.verbose) io.stderr.write(summary(counters, (performance.now() - counters.startedAt) / 1000, who) + '\n')
        firstStatus(failed ? 1 : signal !== null ? signalStatus(signal) : code ?? 1)
      })
    })
  })
  // Without --once, only a stop signal ends the server (main turns it into 130/143).
  const status = await Promise.race([io.stopped.then(() => null), report.once ? first : new Promise<never>(() => {})])
  for (const stream of open) stream.destroy()
  return status ?? 130
}
