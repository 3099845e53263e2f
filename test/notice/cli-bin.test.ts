/** `secret-channel notice` as a real process: two strangers over TCP, then a substituted key. */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatId } from '../../lib/keys.js'
import { displayFingerprint } from '../../lib/protocols/notice/index.js'
import { runCli, startCli, tempIdentities, waitForStderr } from '../helpers/net.js'

async function pair(listenerKeys: string, connectorKeys: string, dir: string, toConnector: Buffer, toListener: Buffer): Promise<{ listener: Awaited<ReturnType<typeof runCli>>; connector: Awaited<ReturnType<typeof runCli>> }> {
  const child = startCli(['notice', '--listen', '0', '--peer', 'alice', '--keys', listenerKeys, '--known-peers', join(dir, 'bob-peers.json')])
  const [, port] = await waitForStderr(child, /listening on 127\.0\.0\.1:(\d+)/)
  child.stdin.end(toConnector)
  const connector = await runCli(['notice', '--connect', `127.0.0.1:${port}`, '--peer', 'bob', '--keys', connectorKeys, '--known-peers', join(dir, 'alice-peers.json')], toListener)
  return { listener: await child.result, connector }
}

test('secret-channel notice: strangers over TCP, bytes both ways, keys remembered; an impostor is refused', async (t) => {
  t.timeoutAfter(20_000)
  const ids = tempIdentities(['alice', 'bob', 'mallory'])
  const toAlice = randomBytes(30_000)
  const toBob = randomBytes(50_000)
  const { listener, connector } = await pair(ids.file.bob!, ids.file.alice!, ids.dir, toAlice, toBob)
  t.equal(listener.code, 0, 'listener exits 0')
  t.equal(connector.code, 0, 'connector exits 0')
  t.ok(listener.stdout.equals(toBob), 'bob printed exactly what alice read from stdin')
  t.ok(connector.stdout.equals(toAlice), 'alice printed exactly what bob read from stdin')
  t.ok(connector.stderr.includes(displayFingerprint(ids.keys.bob!.publicKey)), 'alice was shown bob’s fingerprint')
  t.equal(JSON.parse(readFileSync(join(ids.dir, 'alice-peers.json'), 'utf8')).peers.bob.id, formatId(ids.keys.bob!.publicKey), 'and remembers him')

  const impostor = await pair(ids.file.mallory!, ids.file.alice!, ids.dir, Buffer.from('hi'), Buffer.from('secret'))
  t.equal(impostor.connector.code, 1, 'alice exits 1')
  t.match(impostor.connector.stderr, /^secret-channel notice: .*possible man in the middle/m, `one clear line: ${impostor.connector.stderr.trim().split('\n').pop()}`)
  t.equal(impostor.listener.stdout.length, 0, 'mallory received nothing')
  ids.cleanup()
})

test('secret-channel notice: listed in --help, bad options exit 2', async (t) => {
  const help = await runCli(['--help'])
  t.match(help.stdout.toString(), /notice\s+agree on a key through small notices/, 'listed in --help')
  const bad = await runCli(['notice', '--listen', '0'])
  t.equal(bad.code, 2, 'missing --peer is a usage error')
  t.match(bad.stderr, /--peer NAME is required/, bad.stderr.trim())
})
