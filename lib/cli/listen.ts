/**
 * `secret-channel listen --port N`: a secure netcat server. Without `--exec` it serves one
 * authenticated connection on stdin/stdout and exits like `connect`; with `--exec CMD` it keeps
 * listening and runs CMD once per connection with the command's stdin/stdout on the channel.
 * @module
 */
import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { formatId } from '../keys.js'
import { enrolledAuthorizer, JsonFileEnrollmentStore } from '../protocols/enrollment/index.js'
import { createServer, type ServerStream } from '../net/server.js'
import { UsageError, flag, listOption, stringOption, type Command, type CommandIO } from './command.js'
import { appKeyOption, keysPath, loadKeys, parsePort, peerId, timeoutOption } from './options.js'
import { shuttle } from './shuttle.js'

/** The `listen` command. */
export const listen: Command = {
  name: 'listen',
  summary: 'wait for a connection; stdin goes to the peer, its bytes go to stdout (or --exec CMD)',
  usage: `Usage: secret-channel listen --port N [--host H] [--keys FILE] [--app-key B64]
                             [--allow ID ...] [--allow-enrolled STORE] [--exec CMD]

Listens for encrypted, mutually authenticated connections. Without --exec,
serves the first client that completes the handshake: stdin goes to it and
its bytes go to stdout; exits 0 after a clean goodbye both ways. With --exec,
keeps listening and runs CMD (through the shell) for every connection, its
stdin/stdout connected to the channel; the peer's id is in the environment
variable SECRET_CHANNEL_REMOTE_ID. Refused or failed handshakes are reported
on stderr and do not stop the server. Status lines go to stderr, e.g.
"listening on 127.0.0.1:8008 as @….ed25519".

Options:
  -p, --port N       TCP port (0 picks a free one)
  -H, --host H       address to bind (default: all interfaces)
  -k, --keys FILE    our identity file (default: $SECRET_CHANNEL_KEYS, else ~/.ssb/secret)
  -a, --app-key B64  network key (default: the Scuttlebutt main network's)
      --allow ID     accept only this client id; repeat (or separate with commas) for more
      --allow-enrolled STORE
                     also accept the devices "secret-channel enroll-server" recorded in
                     STORE (its --store file, read at every handshake); with --allow,
                     a client listed in either is accepted
      --allow-any    with --exec, accept any client that knows the app key and our id
  -e, --exec CMD     run CMD per connection (requires --allow, --allow-enrolled or --allow-any)
  -t, --timeout MS   drop clients whose handshake takes longer (default 10000)
      --idle-timeout MS
                     drop a connection that stays silent this long (default: never)
  -q, --quiet        no status lines on stderr
  -h, --help         show this help`,
  options: {
    port: { type: 'string', short: 'p' },
    host: { type: 'string', short: 'H' },
    keys: { type: 'string', short: 'k' },
    'app-key': { type: 'string', short: 'a' },
    allow: { type: 'string', multiple: true },
    'allow-enrolled': { type: 'string' },
    'allow-any': { type: 'boolean' },
    exec: { type: 'string', short: 'e' },
    timeout: { type: 'string', short: 't' },
    'idle-timeout': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' }
  },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
    const port = parsePort(stringOption(args, 'port'), '--port')
    const host = stringOption(args, 'host')
    const allowed = listOption(args, 'allow').map((id) => formatId(peerId(id, '--allow')))
    const storePath = stringOption(args, 'allow-enrolled')
    if (storePath === '') throw new UsageError('--allow-enrolled needs the path of an enrollment store')
    const exec = stringOption(args, 'exec')
    if (exec !== undefined && allowed.length === 0 && storePath === undefined && !flag(args, 'allow-any')) {
      throw new UsageError('--exec runs a command for every client: name them with --allow ID or --allow-enrolled STORE (or accept anyone with --allow-any)')
    }
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

    try {
      return exec === undefined ? await serveOnce(server, io, log) : await serveExec(server, exec, io, log)
    } finally {
      server.close()
    }
  }
}

type Server = ReturnType<typeof createServer>

/** Serves the first authenticated client on stdin/stdout, then stops listening. */
async function serveOnce(server: Server, io: CommandIO, log: (line: string) => void): Promise<number> {
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
  log(`connection from ${formatId(stream.remotePublicKey as Uint8Array)} (${stream.remoteAddress ?? 'local'})`)
  const outcome = await Promise.race([
    shuttle(stream, io.stdin, io.stdout, { interactive: io.stdinIsTTY }).then(() => 'done' as const),
    io.stopped.then(() => 'stopped' as const)
  ])
  if (outcome === 'stopped') {
    stream.destroy()
    return 130
  }
  return 0
}

/** Runs `command` for every client until stopped. */
async function serveExec(server: Server, command: string, io: CommandIO, log: (line: string) => void): Promise<number> {
  const open = new Set<ServerStream>()
  server.on('connection', (stream: ServerStream) => {
    const who = formatId(stream.remotePublicKey as Uint8Array)
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
    shuttle(stream, child.stdout, child.stdin, {}).then(
      () => child.stdin.end(),
      (err: unknown) => {
        failed = true
        io.stderr.write(`secret-channel listen: connection from ${who} failed: ${(err as Error).message}\n`)
        child.kill()
      }
    ).finally(() => open.delete(stream))
    // The peer's goodbye ends the command's stdin; shuttle writes into child.stdin and ends it then.
    stream.once('end', () => child.stdin.end())
    child.on('exit', (code, signal) => {
      if (!failed) log(`connection from ${who} ended (${signal ?? `exit ${code}`})`)
    })
  })
  await io.stopped
  for (const stream of open) stream.destroy()
  return 0
}
