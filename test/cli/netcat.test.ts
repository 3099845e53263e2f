/**
 * `listen` and `connect` as a secure netcat: bytes both ways between two processes and between the
 * CLI and the library, --allow, --exec, and one clear line plus a non-zero exit for each failure.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer } from '../../lib/net/index.js'
import { createServer as createTcpServer } from 'node:net'
import type { PlainStream } from '../pull/helpers.js'
import { closeServer, listenLocal, readAll, runCli, startCli, startListener, tempIdentities, waitForStderr } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const oneLine = (text: string): boolean => text.endsWith('\n') && text.indexOf('\n') === text.length - 1

test('listen + connect: different bytes each way between two processes, both exit 0', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const toClient = randomBytes(300_000)
  const toServer = randomBytes(500_000)
  const { child: listener, port } = await startListener(['--keys', ids.file.server!])
  listener.stdin.end(toClient)
  const client = await runCli(['connect', `127.0.0.1:${port}`, '--server', formatId(ids.keys.server!.publicKey), '--keys', ids.file.client!], toServer)
  const server = await listener.result
  t.equal(client.code, 0, 'connect exits 0')
  t.equal(server.code, 0, 'listen exits 0')
  t.ok(client.stdout.equals(toClient), 'the client printed exactly what the server read from stdin')
  t.ok(server.stdout.equals(toServer), 'the server printed exactly what the client read from stdin')
  t.match(server.stderr, new RegExp(`connection from ${formatId(ids.keys.client!.publicKey).replace(/[+/.]/g, '\\$&')}`), 'listen names the client')
  ids.cleanup()
})

test('CLI listen <-> library client, and library server <-> CLI connect', async (t) => {
  const ids = tempIdentities(['cli'])
  // CLI server, library client
  const { child: listener, port } = await startListener(['--keys', ids.file.cli!])
  listener.stdin.end('from the cli\n')
  const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: ids.keys.cli!.publicKey })
  const fromCli = readAll(stream)
  stream.end(Buffer.from('from the library\n'))
  t.equal((await fromCli).toString(), 'from the cli\n')
  const served = await listener.result
  t.equal(served.code, 0)
  t.equal(served.stdout.toString(), 'from the library\n')

  // library server, CLI client
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (s) => {
    const got = readAll(s)
    got.then((data) => s.end(Buffer.from(data.toString().toUpperCase())), () => {})
  })
  const libPort = await listenLocal(server)
  const client = await runCli(['connect', `127.0.0.1:${libPort}`, '-s', formatId(serverKeys.publicKey), '-k', ids.file.cli!, '-q'], 'shout this')
  t.equal(client.code, 0)
  t.equal(client.stdout.toString(), 'SHOUT THIS')
  t.equal(client.stderr, '', '--quiet prints nothing on success')
  await closeServer(server)
  ids.cleanup()
})

test('--allow refuses other clients and keeps listening', async (t) => {
  const ids = tempIdentities(['server', 'friend', 'stranger'])
  const server = formatId(ids.keys.server!.publicKey)
  const { child: listener, port } = await startListener(['--keys', ids.file.server!, '--allow', formatId(ids.keys.friend!.publicKey)])
  listener.stdin.end('hi friend')
  const stranger = await runCli(['connect', `127.0.0.1:${port}`, '--server', server, '--keys', ids.file.stranger!], 'let me in')
  t.notEqual(stranger.code, 0, 'the stranger fails')
  t.ok(oneLine(stranger.stderr), 'with one line')
  t.match(stranger.stderr, /^secret-channel connect: .*refused us/, 'saying it was refused')
  t.equal(stranger.stdout.length, 0, 'and gets nothing')
  const friend = await runCli(['connect', `127.0.0.1:${port}`, '--server', server, '--keys', ids.file.friend!], 'hello')
  t.equal(friend.code, 0, 'the friend still gets through')
  t.equal(friend.stdout.toString(), 'hi friend')
  const served = await listener.result
  t.equal(served.code, 0)
  t.equal(served.stdout.toString(), 'hello', 'only the friend\'s bytes reached stdout')
  t.match(served.stderr, /handshake with 127\.0\.0\.1:\d+ failed: .*/, 'the refusal is logged')
  t.ok(served.stderr.includes(`refusing ${formatId(ids.keys.stranger!.publicKey)}: not in --allow`), 'naming the refused id')
  ids.cleanup()
})

test('failures: wrong server id, wrong app key, nothing listening, bad arguments', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const { child: listener, port } = await startListener(['--keys', ids.file.server!])
  const base = ['connect', `127.0.0.1:${port}`, '--keys', ids.file.client!]

  const wrongId = await runCli([...base, '--server', formatId(generateKeyPair().publicKey)])
  t.equal(wrongId.code, 1, 'wrong server id: exit 1')
  t.ok(oneLine(wrongId.stderr), `one line: ${wrongId.stderr.trim()}`)
  t.match(wrongId.stderr, /wrong number|does not hold the key/)

  const wrongApp = await runCli([...base, '--server', formatId(ids.keys.server!.publicKey), '--app-key', randomBytes(32).toString('base64')])
  t.equal(wrongApp.code, 1, 'wrong app key: exit 1')
  t.ok(oneLine(wrongApp.stderr), `one line: ${wrongApp.stderr.trim()}`)
  t.match(wrongApp.stderr, /app key/)

  const probe = createTcpServer()
  const deadPort = await listenLocal(probe)
  await closeServer(probe)
  const refused = await runCli(['connect', `127.0.0.1:${deadPort}`, '--keys', ids.file.client!, '--server', formatId(ids.keys.server!.publicKey)])
  t.equal(refused.code, 1, 'nothing listening: exit 1')
  t.equal(refused.stderr, `secret-channel connect: connection refused by 127.0.0.1:${deadPort} (nothing listening there?)\n`)

  const badId = await runCli([...base, '--server', '@nope.ed25519'])
  t.equal(badId.code, 2, 'a malformed id is a usage error')
  t.ok(oneLine(badId.stderr))
  const badKey = await runCli([...base, '--server', formatId(ids.keys.server!.publicKey), '--app-key', 'short'])
  t.equal(badKey.code, 2, 'a malformed app key is a usage error')
  const noServer = await runCli(base)
  t.equal(noServer.code, 2, '--server is required')
  t.match(noServer.stderr, /--server ID is required/)
  const execOpen = await runCli(['listen', '--port', '0', '--exec', 'cat', '--keys', ids.file.server!])
  t.equal(execOpen.code, 2, '--exec without --allow is refused')
  t.match(execOpen.stderr, /--allow/)

  // The listener saw two failed handshakes and is still waiting; stop it.
  listener.kill('SIGTERM')
  const stopped = await listener.result
  t.equal(stopped.code, 143, 'listen stops on SIGTERM with 128 + 15')
  t.equal((stopped.stderr.match(/handshake with .* failed/g) ?? []).length, 2, 'both failures were logged')
  ids.cleanup()
})

test('listen --exec runs the command per connection with its stdio on the channel', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const client = formatId(ids.keys.client!.publicKey)
  const { child: listener, port } = await startListener(['--keys', ids.file.server!, '--allow', client, '--exec', 'tr a-z A-Z; echo " from $SECRET_CHANNEL_REMOTE_ID"'])
  const connectArgs = ['connect', `127.0.0.1:${port}`, '--server', formatId(ids.keys.server!.publicKey), '--keys', ids.file.client!]
  const first = await runCli(connectArgs, 'first')
  const second = await runCli(connectArgs, 'second')
  t.equal(first.code, 0)
  t.equal(first.stdout.toString(), `FIRST from ${client}\n`, 'the command got the bytes and the peer id')
  t.equal(second.code, 0)
  t.equal(second.stdout.toString(), `SECOND from ${client}\n`, 'a fresh command for the next connection')
  listener.kill('SIGTERM')
  const stopped = await listener.result
  t.equal(stopped.code, 143, 'a stopped --exec server exits 128 + 15')

  // A command that exits without reading its input: the rest is dropped, the session still ends cleanly.
  const { child: rude, port: rudePort } = await startListener(['--keys', ids.file.server!, '--allow-any', '--exec', 'echo bye'])
  const sent = await runCli(['connect', `127.0.0.1:${rudePort}`, '--server', formatId(ids.keys.server!.publicKey), '--keys', ids.file.client!], randomBytes(2_000_000))
  t.equal(sent.code, 0, 'the client still gets a clean goodbye')
  t.equal(sent.stdout.toString(), 'bye\n')
  rude.kill('SIGTERM')
  await rude.result
  ids.cleanup()
})

test('a peer that dies mid-session: connect exits 1 saying the stream was cut', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  const { child: listener, port } = await startListener(['--keys', ids.file.server!])
  const client = startCli(['connect', `127.0.0.1:${port}`, '--server', formatId(ids.keys.server!.publicKey), '--keys', ids.file.client!])
  client.stdin.write('some bytes, and the input stays open')
  await waitForStderr(client, /connected to/)
  await waitForStderr(listener, /connection from/)
  listener.kill('SIGKILL')
  const result = await client.result
  t.equal(result.code, 1, 'exit 1, not a clean end')
  const lines = result.stderr.trim().split('\n')
  t.match(lines[lines.length - 1]!, /^secret-channel connect: box-stream: .*(without the goodbye|ECONNRESET)/, `one line: ${lines[lines.length - 1]}`)
  await listener.result
  ids.cleanup()
})

test('connect talks to a server made with the reference secret-handshake package (as Scuttlebutt peers run)', async (t) => {
  const require = createRequire(import.meta.url)
  const pull = require('pull-stream')
  const toPull = require('stream-to-pull-stream')
  const reference = require('secret-handshake')
  const ids = tempIdentities(['client'])
  const serverKeys = generateKeyPair()
  const accept = reference.createServer(serverKeys, (_pub: Buffer, cb: (err: null, ok: boolean) => void) => cb(null, true), appKey)
  const server = createTcpServer((socket) => {
    const wire = toPull.duplex(socket)
    pull(wire, accept((err: Error | null, stream: PlainStream) => {
      if (err) return
      pull(stream, pull.map((b: Buffer) => Buffer.from(b.toString().toUpperCase())), stream)
    }), wire)
  })
  const port = await listenLocal(server)
  const result = await runCli(['connect', `127.0.0.1:${port}`, '--server', formatId(serverKeys.publicKey), '--keys', ids.file.client!, '-q'], 'interop')
  t.equal(result.code, 0, `exit 0 ${result.stderr}`)
  t.equal(result.stdout.toString(), 'INTEROP')
  await closeServer(server)
  ids.cleanup()
})
