/** The notice command over TCP on 127.0.0.1, run in-process with fake standard streams. */
import test from 'tape'
import { PassThrough } from 'node:stream'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noticeCommand } from '../../lib/protocols/notice/cli.js'
import { displayFingerprint } from '../../lib/protocols/notice/index.js'
import { toIdentityFile, formatId } from '../../lib/keys.js'
import { testKeys } from './helpers.js'

function fakeIO(input: string): { io: { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough }; out: () => string; err: () => string } {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let o = ''
  let e = ''
  stdout.on('data', (d) => (o += d))
  stderr.on('data', (d) => (e += d))
  stdin.end(input)
  return { io: { stdin, stdout, stderr }, out: () => o, err: () => e }
}

async function session(dir: string, listenerKeys: string, input: [string, string]): Promise<{ codes: number[]; outs: string[]; errs: string[] }> {
  const bob = fakeIO(input[1])
  let onPort!: (p: number) => void
  const port = new Promise<number>((r) => (onPort = r))
  const listener = noticeCommand(['--listen', '0', '--peer', 'alice', '--keys', listenerKeys, '--known-peers', join(dir, 'bob-peers.json')], { ...bob.io, onListening: onPort })
  const alice = fakeIO(input[0])
  const connector = noticeCommand(['--connect', `127.0.0.1:${await port}`, '--peer', 'bob', '--keys', join(dir, 'alice.keys'), '--known-peers', join(dir, 'alice-peers.json')], alice.io)
  const codes = await Promise.all([connector, listener])
  return { codes, outs: [alice.out(), bob.out()], errs: [alice.err(), bob.err()] }
}

test('notice command: two strangers over TCP, then known peers, then an impostor', async (t) => {
  t.timeoutAfter(15_000)
  const dir = mkdtempSync(join(tmpdir(), 'notice-cli-'))
  const [alice, bob, mallory] = [testKeys(1), testKeys(2), testKeys(3)]
  writeFileSync(join(dir, 'alice.keys'), JSON.stringify(toIdentityFile(alice)))
  writeFileSync(join(dir, 'bob.keys'), JSON.stringify(toIdentityFile(bob)))
  writeFileSync(join(dir, 'mallory.keys'), JSON.stringify(toIdentityFile(mallory)))

  const first = await session(dir, join(dir, 'bob.keys'), ['hello from alice\n', 'hello from bob\n'])
  t.deepEqual(first.codes, [0, 0], 'both exit 0')
  t.equal(first.outs[1], 'hello from alice\n', 'bob printed what alice typed')
  t.equal(first.outs[0], 'hello from bob\n', 'alice printed what bob typed')
  t.ok(first.errs[0]!.includes(`NEW key ${displayFingerprint(bob.publicKey)}`), 'alice is shown bob’s fingerprint as new')
  t.equal(JSON.parse(readFileSync(join(dir, 'alice-peers.json'), 'utf8')).peers.bob.id, formatId(bob.publicKey), 'alice stored bob')

  const second = await session(dir, join(dir, 'bob.keys'), ['again\n', 'again too\n'])
  t.deepEqual(second.codes, [0, 0], 'second session exits 0')
  t.ok(second.errs[0]!.includes(`known key ${displayFingerprint(bob.publicKey)}`), 'bob is now known')

  const impostor = await session(dir, join(dir, 'mallory.keys'), ['secret\n', 'gimme\n'])
  t.deepEqual(impostor.codes, [1, 1], 'both sides fail')
  t.ok(/key/i.test(impostor.errs[0]!) && impostor.errs[0]!.includes('possible man in the middle'), `alice refuses: ${impostor.errs[0]!.trim().split('\n').pop()}`)
  t.equal(impostor.outs[1], '', 'mallory got nothing')
  rmSync(dir, { recursive: true, force: true })
})

test('notice command: bad command lines exit 2', async (t) => {
  for (const argv of [[], ['--listen', '1', '--connect', 'x:1', '--peer', 'p'], ['--listen', '99999', '--peer', 'p'], ['--connect', 'nohost', '--peer', 'p'], ['--listen', '0'], ['--bogus']]) {
    const { io, err } = fakeIO('')
    t.equal(await noticeCommand(argv, { ...io, env: {} }), 2, `${JSON.stringify(argv)} → 2 (${err().split('\n')[0]})`)
  }
})
