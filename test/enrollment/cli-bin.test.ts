/**
 * The real `secret-channel` binary: enroll-server and enroll as two processes over TCP on
 * 127.0.0.1, then the new identity file works as-is with `listen` / `connect`.
 */
import test from 'tape'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { formatId, parseIdentityFile } from '../../lib/keys.js'
import { runCli, startCli, tempIdentities, type CliProcess } from '../helpers/net.js'

async function waitForStderr(child: CliProcess, re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  const started = Date.now()
  for (;;) {
    const m = child.stderrSoFar().match(re)
    if (m) return m
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${re}; stderr so far: ${child.stderrSoFar()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('CLI: enroll-server prints a code, enroll uses it, and the identity then passes listen/connect', async (t) => {
  const ids = tempIdentities(['server'])
  try {
    const storePath = join(ids.dir, 'enrolled.json')
    const devicePath = join(ids.dir, 'device', 'secret')
    const serverId = formatId(ids.keys.server!.publicKey)
    const server = startCli(['enroll-server', '--keys', ids.file.server!, '--store', storePath])
    const [, port] = await waitForStderr(server, /listening on 127\.0\.0\.1:(\d+)/)
    const [, code] = await waitForStderr(server, /enrollment code: (\S+)/)

    const enrolled = await runCli(['enroll', `127.0.0.1:${port}`, '--code', code!, '--server', serverId, '--keys', devicePath])
    t.equal(enrolled.code, 0, `enroll exits 0 ${enrolled.stderr}`)
    const deviceId = formatId(parseIdentityFile(readFileSync(devicePath, 'utf8')).publicKey)
    t.equal(enrolled.stdout.toString(), `${deviceId}\n`, 'enroll prints the new id on stdout')
    t.match(enrolled.stderr, /-> CLIENT_HELLO \(37 bytes\)[\s\S]*<- ISSUED_KEY \(82 bytes\)/, 'every step on stderr')
    t.match(enrolled.stderr, /server authenticated by: code \+ server-key/, 'and how the server was authenticated')
    t.equal(statSync(devicePath).mode & 0o777, 0o600, 'identity file is 0600')
    const served = await server.result
    t.equal(served.code, 0, 'enroll-server exits 0 after one enrollment')
    t.equal(served.stdout.toString(), `${deviceId}\n`, 'enroll-server prints the enrolled id')
    t.equal(JSON.parse(readFileSync(storePath, 'utf8')).devices[0].id, deviceId, 'recorded in the store')

    const again = await runCli(['enroll', `127.0.0.1:${port}`, '--code', code!, '--keys', devicePath])
    t.equal(again.code, 1, 'enrolling over an existing identity exits 1')
    t.match(again.stderr, /^connecting to .*\nsecret-channel enroll: enrollment: .*already exists; refusing to overwrite an identity\n$/, 'without touching it')

    const listener = startCli(['listen', '--port', '0', '--host', '127.0.0.1', '--keys', ids.file.server!, '--allow', deviceId])
    const [, shsPort] = await waitForStderr(listener, /listening on [^:]+:(\d+)/)
    listener.stdin.end('hello device')
    const connected = await runCli(['connect', `127.0.0.1:${shsPort}`, '--server', serverId, '--keys', devicePath], 'hello server')
    t.equal(connected.code, 0, `connect with the enrolled identity exits 0 ${connected.stderr}`)
    t.equal(connected.stdout.toString(), 'hello device', 'and talks to the server')
    t.equal((await listener.result).stdout.toString(), 'hello server', 'both ways')
  } finally {
    ids.cleanup()
  }
})

test('CLI: a wrong code fails on both sides with ERR_INVALID_TOKEN; usage errors exit 2', async (t) => {
  const ids = tempIdentities(['server'])
  try {
    const server = startCli(['enroll-server', '--keys', ids.file.server!, '--store', join(ids.dir, 'e.json'), '--code', '123-456-789'])
    const [, port] = await waitForStderr(server, /listening on 127\.0\.0\.1:(\d+)/)
    const wrong = await runCli(['enroll', `127.0.0.1:${port}`, '--code', '987-654-321', '--keys', join(ids.dir, 'dev')])
    t.equal(wrong.code, 1, 'enroll exits 1')
    t.match(wrong.stderr, /-> ABORT \(2 bytes\)\nsecret-channel enroll: enrollment challenge: no challenge opened in 3 attempts: the enrollment code is wrong/, 'typed error')
    await waitForStderr(server, /ERR_INVALID_TOKEN/)
    t.pass('the server reports ERR_INVALID_TOKEN and keeps listening')
    server.kill('SIGTERM')
    t.equal((await server.result).code, 143, 'enroll-server stops on SIGTERM with 128 + 15')

    for (const [args, what] of [
      [['enroll', '127.0.0.1:1', '--server', 'nope'], 'bad server id'],
      [['enroll-server', '--code', 'x', '--no-code'], '--code with --no-code']
    ] as Array<[string[], string]>) {
      const r = await runCli(args)
      t.equal(r.code, 2, `${what}: exit 2`)
    }
    const help = await runCli(['enroll', '--help'])
    t.match(help.stdout.toString(), /^Usage: secret-channel enroll HOST:PORT/, 'enroll --help')
  } finally {
    ids.cleanup()
  }
})

test('CLI: enroll-server --list and --revoke ID manage the store', async (t) => {
  const ids = tempIdentities(['server'])
  try {
    const storePath = join(ids.dir, 'enrolled.json')
    const server = startCli(['enroll-server', '--keys', ids.file.server!, '--store', storePath, '--no-code'])
    const [, port] = await waitForStderr(server, /listening on 127\.0\.0\.1:(\d+)/)
    const enrolled = await runCli(['enroll', `127.0.0.1:${port}`, '--keys', join(ids.dir, 'device')])
    t.equal(enrolled.code, 0, `enrolled ${enrolled.stderr}`)
    const deviceId = enrolled.stdout.toString().trim()
    t.equal((await server.result).code, 0, 'server done')
    const list = await runCli(['enroll-server', '--keys', ids.file.server!, '--store', storePath, '--list'])
    t.equal(list.code, 0, 'list exits 0')
    t.match(list.stdout.toString(), new RegExp(`^${deviceId.replace(/[+.]/g, '\\$&')} ed25519 enrolled \\S+ without code\n$`), 'the device on stdout')
    const revoke = await runCli(['enroll-server', '--keys', ids.file.server!, '--store', storePath, '--revoke', deviceId])
    t.equal(revoke.code, 0, `revoke exits 0 ${revoke.stderr}`)
    t.equal(JSON.parse(readFileSync(storePath, 'utf8')).devices.length, 0, 'gone from the store')
    const again = await runCli(['enroll-server', '--keys', ids.file.server!, '--store', storePath, '--revoke', deviceId])
    t.equal(again.code, 1, 'revoking an unknown id exits 1')
    t.match(again.stderr, /no enrolled device/, 'and says so')
  } finally {
    ids.cleanup()
  }
})
