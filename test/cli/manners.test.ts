/**
 * The CLI's netcat manners, each driven through real processes: --version, `id FILE`, a plain word
 * when `listen` has no port, one vocabulary (--keys/--key, [HOST:]PORT for every server), -v
 * figures, --progress on a terminal, and the exit statuses the README's table promises.
 */
import test from 'tape'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createTcpServer, type Server } from 'node:net'
import { join } from 'node:path'
import { formatId } from '../../lib/keys.js'
import { bin, closeServer, listenLocal, root, runCli, startCli, startListener, tempIdentities, waitForStderr, type CliProcess } from '../helpers/net.js'

const escape = (text: string): string => text.replace(/[+/.*?()[\]^$\\]/g, '\\$&')
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

test('--version and -V print the package version', async (t) => {
  for (const flag of ['--version', '-V']) {
    const run = await runCli([flag])
    t.equal(run.code, 0, `${flag} exits 0`)
    t.equal(run.stdout.toString(), `secret-channel ${version}\n`, `${flag} prints "secret-channel ${version}"`)
  }
  const help = await runCli(['--help'])
  t.match(help.stdout.toString(), /-V, --version/, 'the overview lists it')
})

test('id FILE reads FILE, not the default identity', async (t) => {
  const ids = tempIdentities(['given', 'default'])
  const env = { SECRET_CHANNEL_KEYS: ids.file.default! }
  const shown = await runCli(['id', ids.file.given!], '', env)
  t.equal(shown.code, 0)
  t.equal(shown.stdout.toString(), formatId(ids.keys.given!.publicKey) + '\n', 'the id of the file named')
  const byDefault = await runCli(['id'], '', env)
  t.equal(byDefault.stdout.toString(), formatId(ids.keys.default!.publicKey) + '\n', 'without FILE, the default identity')
  const viaKey = await runCli(['id', '--key', ids.file.given!], '', env)
  t.equal(viaKey.stdout.toString(), formatId(ids.keys.given!.publicKey) + '\n', '--key is --keys')
  const missing = await runCli(['id', join(ids.dir, 'nope.json')], '', env)
  t.equal(missing.code, 1, 'a missing FILE fails')
  t.match(missing.stderr, /nope\.json does not exist/, 'naming the file')
  ids.cleanup()
})

test('enroll reports an unreachable server in one line of its own, and refuses an existing identity before dialling', async (t) => {
  const ids = tempIdentities(['existing'])
  const nowhere = join(ids.dir, 'no-such.sock')
  const unreachable = await runCli(['enroll', nowhere, '--code', 'abc', '--keys', join(ids.dir, 'new.json')])
  t.equal(unreachable.code, 1, 'exit 1')
  t.match(unreachable.stderr, /^connecting to .*\nsecret-channel enroll: .*ENOENT.*\n$/, `one line naming the command: ${JSON.stringify(unreachable.stderr)}`)
  const existing = await runCli(['enroll', nowhere, '--code', 'abc', '--keys', ids.file.existing!])
  t.equal(existing.code, 1)
  t.match(existing.stderr, /^connecting to .*\nsecret-channel enroll: enrollment: .*already exists; refusing to overwrite an identity\n$/, 'the existing identity is the reason, whatever the network does')
  ids.cleanup()
})

test('listen without a port says so plainly', async (t) => {
  const ids = tempIdentities(['server'])
  const run = await runCli(['listen', '--keys', ids.file.server!])
  t.equal(run.code, 2, 'a usage error: exit 2')
  t.match(run.stderr, /^secret-channel listen: no port to listen on: give \[HOST:\]PORT/, `one line: ${run.stderr.trim()}`)
  const bad = await runCli(['listen', 'localhost:http', '--keys', ids.file.server!])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /expected \[HOST:\]PORT/)
  ids.cleanup()
})

/** A free TCP port on 127.0.0.1 (bound, read and released). */
async function freePort(): Promise<number> {
  const server = createTcpServer()
  const port = await listenLocal(server)
  await closeServer(server)
  return port
}

test('accounts-login takes the server as HOST:PORT, like connect', async (t) => {
  const ids = tempIdentities(['bot'])
  const closed = createTcpServer()
  const port = await listenLocal(closed)
  await closeServer(closed) // nothing listens there now
  const id = formatId(ids.keys.bot!.publicKey)
  const missing = await runCli(['accounts-login', '--server-id', id, '--keys', ids.file.bot!])
  t.equal(missing.code, 2, 'no address: a usage error')
  t.match(missing.stderr, /missing HOST:PORT/)
  const refused = await runCli(['accounts-login', `127.0.0.1:${port}`, '--server-id', id, '--keys', ids.file.bot!])
  t.equal(refused.code, 1, 'the positional address is used: the connection is refused')
  t.match(refused.stderr, /ECONNREFUSED|refused/i, refused.stderr.trim())
  const twice = await runCli(['accounts-login', `127.0.0.1:${port}`, '--server', `127.0.0.1:${port}`, '--server-id', id, '--keys', ids.file.bot!])
  t.equal(twice.code, 2, 'the address given twice is a usage error')
  ids.cleanup()
})

test('one vocabulary: listen HOST:PORT, --key for --keys; -v prints the transfer figures at the end', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const port = await freePort()
  const listener = startCli(['listen', `127.0.0.1:${port}`, '--key', ids.file.server!, '-v'])
  await waitForStderr(listener, new RegExp(`listening on 127\\.0\\.0\\.1:${port} `))
  listener.stdin.end('x'.repeat(1000))
  const client = await runCli(['connect', `127.0.0.1:${port}`, '--server', formatId(ids.keys.server!.publicKey), '--key', ids.file.client!, '--verbose'], 'y'.repeat(250_000))
  const server = await listener.result
  t.equal(client.code, 0, 'connect exits 0')
  t.equal(server.code, 0, 'listen exits 0')
  const figures = (sent: number, received: number, peer: string): RegExp =>
    new RegExp(`^sent ${sent} bytes, received ${received} bytes in \\d+\\.\\d\\d s \\(\\d+\\.\\d\\d MB/s\\) with ${escape(peer)}$`, 'm')
  t.match(client.stderr, figures(250_000, 1000, formatId(ids.keys.server!.publicKey)), `connect -v: ${client.stderr.trim().split('\n').pop()}`)
  t.match(server.stderr, figures(1000, 250_000, formatId(ids.keys.client!.publicKey)), `listen -v: ${server.stderr.trim().split('\n').pop()}`)
  ids.cleanup()
})

test('--progress draws a live counter on a terminal, and nothing on a pipe', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const port = await freePort()
  // `script` gives the listener a pseudo-terminal for stdin, stdout and stderr.
  const command = [process.execPath, bin, 'listen', `127.0.0.1:${port}`, '--keys', ids.file.server!, '--progress'].join(' ')
  const tty = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let screen = ''
  tty.stdout.on('data', (d: Buffer) => { screen += d })
  const exited = new Promise<number | null>((resolve) => tty.on('close', (code) => resolve(code)))
  for (let i = 0; i < 200 && !screen.includes('listening on'); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const client = await runCli(['connect', `127.0.0.1:${port}`, '--server', formatId(ids.keys.server!.publicKey), '--keys', ids.file.client!, '--progress'], Buffer.alloc(3_000_000, 1))
  t.equal(client.code, 0, 'connect exits 0')
  t.equal(await exited, 0, 'listen on a terminal exits 0')
  t.match(screen, /\r\x1b\[K↑ 0\.0 MB {2}↓ 3\.0 MB {2}\d+\.\d\d MB\/s/, 'the terminal shows the counter, redrawn in place') // eslint-disable-line no-control-regex -- the terminal's carriage return and erase-line escape are what is tested
  t.doesNotMatch(client.stderr, /MB\/s/, 'stderr on a pipe gets no counter')
  ids.cleanup()
})

/** Waits for `pattern` on stdout (the accounts servers print their address there). */
function waitForStdout(child: CliProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let text = ''
    child.stdout.on('data', (d: Buffer) => {
      text += d
      if (pattern.test(text)) resolve()
    })
  })
}

test('SIGINT exits 130 and SIGTERM 143, for every command that can be waiting', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const serverId = formatId(ids.keys.server!.publicKey)
  // A TCP server that accepts and never answers: clients stay in their handshake.
  const silent: Server = createTcpServer((socket) => { socket.resume() })
  const silentPort = await listenLocal(silent)
  // A client is past its start-up (signal handlers in place) once it has connected.
  const dialled = (): Promise<unknown> => once(silent, 'connection')
  const { child: peer, port: peerPort } = await startListener(['--keys', ids.file.server!, '--allow-any', '--exec', 'cat'])

  const cases: Array<{ what: string, args: string[], ready: (c: CliProcess) => Promise<unknown> }> = [
    { what: 'listen', args: ['listen', '127.0.0.1:0', '--keys', ids.file.server!], ready: (c) => waitForStderr(c, /listening on/) },
    { what: 'listen --exec', args: ['listen', '127.0.0.1:0', '--keys', ids.file.server!, '--allow-any', '--exec', 'cat'], ready: (c) => waitForStderr(c, /listening on/) },
    { what: 'connect (in a session)', args: ['connect', `127.0.0.1:${peerPort}`, '--server', serverId, '--keys', ids.file.client!], ready: (c) => waitForStderr(c, /connected to/) },
    { what: 'connect (in the handshake)', args: ['connect', `127.0.0.1:${silentPort}`, '--server', serverId, '--keys', ids.file.client!], ready: dialled },
    { what: 'enroll-server', args: ['enroll-server', '127.0.0.1:0', '--keys', ids.file.server!, '--store', join(ids.dir, 'enrolled.json')], ready: (c) => waitForStderr(c, /enrollment code/) },
    { what: 'enroll', args: ['enroll', `127.0.0.1:${silentPort}`, '--code', 'abc', '--keys', join(ids.dir, 'device.json')], ready: dialled },
    { what: 'notice', args: ['notice', '--listen', '127.0.0.1:0', '--peer', 'x', '--keys', ids.file.server!, '--known-peers', join(ids.dir, 'peers.json')], ready: (c) => waitForStderr(c, /listening on/) },
    { what: 'accounts-identity-server', args: ['accounts-identity-server', '127.0.0.1:0', '--keys', ids.file.server!, '--db', join(ids.dir, 'id.db')], ready: (c) => waitForStdout(c, /listening on/) },
    { what: 'accounts-register (at the password prompt)', args: ['accounts-register', '--identity', `127.0.0.1:${silentPort}`, '--identity-id', serverId, '--user', 'u', '--out', join(ids.dir, 'u.json')], ready: (c) => waitForStderr(c, /password/) }
  ]
  for (const { what, args, ready } of cases) {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const child = startCli(args)
      const started = ready(child) // listening before the child can connect
      await started
      child.kill(signal)
      const { code } = await child.result
      t.equal(code, status, `${what}: ${signal} -> ${status}`)
    }
  }
  peer.kill('SIGTERM')
  await peer.result
  await closeServer(silent)
  ids.cleanup()
})

test('listen --exec --once serves one connection and exits with the command\'s status', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const serverId = formatId(ids.keys.server!.publicKey)
  const { child: listener, port } = await startListener(['--keys', ids.file.server!, '--allow-any', '--exec', 'cat; exit 7', '--once'])
  const client = await runCli(['connect', `127.0.0.1:${port}`, '--server', serverId, '--keys', ids.file.client!], 'echo me')
  t.equal(client.code, 0, 'the client is served')
  t.equal(client.stdout.toString(), 'echo me', 'by the command')
  t.equal((await listener.result).code, 7, 'listen exits with the command\'s status')

  const { child: killed, port: port2 } = await startListener(['--keys', ids.file.server!, '--allow-any', '--exec', 'kill -TERM $$', '--once'])
  await runCli(['connect', `127.0.0.1:${port2}`, '--server', serverId, '--keys', ids.file.client!], '')
  t.equal((await killed.result).code, 143, 'a command ended by SIGTERM gives 128 + 15')

  const alone = await runCli(['listen', '0', '--keys', ids.file.server!, '--once'])
  t.equal(alone.code, 2, '--once without --exec is a usage error')
  ids.cleanup()
})
