/** The enroll-server and enroll command cores, run in-process over TCP on 127.0.0.1. */
import test from 'tape'
import net from 'node:net'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runEnroll, runEnrollList, runEnrollRevoke, runEnrollServer, type EnrollCommandIO } from '../../lib/protocols/enrollment/cli.js'
import { generateKeyPair, formatId, parseIdentityFile } from '../../lib/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'enroll-cli-'))
test.onFinish(() => rmSync(dir, { recursive: true, force: true }))

function capture(signal?: AbortSignal): EnrollCommandIO & { lines: string[], status: (line: string) => void, statusLines: string[], waitFor(re: RegExp): Promise<RegExpMatchArray> } {
  const lines: string[] = []
  const statusLines: string[] = []
  const waiters: Array<{ re: RegExp, resolve: (m: RegExpMatchArray) => void }> = []
  const check = (line: string): void => {
    for (const w of [...waiters]) {
      const m = line.match(w.re)
      if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m) }
    }
  }
  return {
    lines, statusLines, signal,
    out: (line) => { lines.push(line); check(line) },
    status: (line) => { statusLines.push(line); check(line) },
    waitFor: (re) => new Promise((resolve) => {
      const hit = [...lines, ...statusLines].map((l) => l.match(re)).find(Boolean)
      if (hit) resolve(hit)
      else waiters.push({ re, resolve })
    })
  }
}

test('runEnrollServer + runEnroll: enrolls with the printed code and checks the server key', async (t) => {
  const serverKeys = generateKeyPair()
  const storePath = join(dir, 'enrolled.json')
  const serverIO = capture()
  const serverDone = runEnrollServer({ port: 0, keyPair: serverKeys, storePath }, serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  const [, code] = await serverIO.waitFor(/^enrollment code: (\d{3}-\d{3}-\d{3})$/)

  const deviceIO = capture()
  const identityPath = join(dir, 'device.json')
  t.equal(await runEnroll({ port: Number(port), code, serverPublicKey: serverKeys.publicKey, identityPath }, deviceIO), 0, 'runEnroll returns 0')
  t.equal(await serverDone, 0, 'runEnrollServer returns 0 after one enrollment')
  const id = formatId(parseIdentityFile(readFileSync(identityPath, 'utf8')).publicKey)
  t.deepEqual(deviceIO.lines, [id], 'only the new id on out')
  t.ok(deviceIO.statusLines.includes(`enrolled as ${id} (ed25519) after 1 attempt(s)`), 'status: enrolled')
  t.ok(deviceIO.statusLines.includes('server authenticated by: code + server-key'), 'status: how the server was authenticated')
  t.ok(deviceIO.statusLines.includes('-> CLIENT_HELLO (37 bytes)'), 'status: each step')
  t.deepEqual(serverIO.lines, [id], 'the server puts the enrolled id on out')
  t.equal(JSON.parse(readFileSync(storePath, 'utf8')).devices[0].id, id, 'store holds the device')
  t.equal(statSync(identityPath).mode & 0o777, 0o600, 'identity file is 0600')
})

test('open enrollment warns on both sides; the server stops on abort', async (t) => {
  const ac = new AbortController()
  const serverIO = capture(ac.signal)
  const serverDone = runEnrollServer({ port: 0, storePath: join(dir, 'open.json'), code: null, count: 0 }, serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  t.ok(serverIO.statusLines.some((l) => /^warning: no code/.test(l)), 'server warns about open enrollment')
  t.ok(serverIO.statusLines.some((l) => /^warning: no server key/.test(l)), 'and about the missing key')
  const deviceIO = capture()
  t.equal(await runEnroll({ port: Number(port), identityPath: join(dir, 'open-device.json') }, deviceIO), 0, 'enrolled')
  t.ok(deviceIO.statusLines.some((l) => /^warning: neither a code nor a known server key/.test(l)), 'device warns it could not authenticate the server')
  ac.abort()
  t.equal(await serverDone, 0, 'count 0 keeps serving until aborted')
})

test('a wrong code throws ERR_INVALID_TOKEN from runEnroll; the server reports it and keeps going', async (t) => {
  const ac = new AbortController()
  const serverIO = capture(ac.signal)
  const serverDone = runEnrollServer({ port: 0, storePath: join(dir, 'wrong.json'), code: '111-111-111' }, serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  try {
    await runEnroll({ port: Number(port), code: '222-222-222', identityPath: join(dir, 'wrong-device.json') }, capture())
    t.fail('must throw')
  } catch (caught) {
    const err = caught as Error & { code?: string }
    t.equal(err.code, 'ERR_INVALID_TOKEN', 'ERR_INVALID_TOKEN')
  }
  await serverIO.waitFor(/^error ERR_INVALID_TOKEN: /)
  t.pass('server status line names the code')
  ac.abort()
  t.equal(await serverDone, 0, 'server stops on abort')
})

test('runEnrollServer throws ERR_TRANSPORT when it cannot listen (port taken)', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  try {
    await runEnrollServer({ port: (taken.address() as net.AddressInfo).port, storePath: join(dir, 'x.json') }, capture())
    t.fail('must throw')
  } catch (caught) {
    const err = caught as Error & { code?: string }
    t.equal(err.code, 'ERR_TRANSPORT', 'ERR_TRANSPORT')
  } finally {
    await new Promise((resolve) => taken.close(resolve))
  }
})

test('--count 2 with a code: the one code enrolls two devices, and the server says so', async (t) => {
  const storePath = join(dir, 'two.json')
  const serverIO = capture()
  const serverDone = runEnrollServer({ port: 0, storePath, count: 2 }, serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  const [, code] = await serverIO.waitFor(/^enrollment code: (\d{3}-\d{3}-\d{3})$/)
  t.ok(serverIO.statusLines.includes('this one code is good for 2 devices; it is refused after 5 unanswered challenges'), 'the server says one code serves both devices')
  t.equal(await runEnroll({ port: Number(port), code, identityPath: join(dir, 'two-a.json') }, capture()), 0, 'first device enrolled')
  t.equal(await runEnroll({ port: Number(port), code, identityPath: join(dir, 'two-b.json') }, capture()), 0, 'second device enrolled with the same code')
  t.equal(await serverDone, 0, 'the server stops after two')
  t.equal(JSON.parse(readFileSync(storePath, 'utf8')).devices.length, 2, 'two devices in the store')
})

test('--max-guesses 1: the one allowed guess enrolls the device', async (t) => {
  const serverIO = capture()
  const serverDone = runEnrollServer({ port: 0, storePath: join(dir, 'one-guess.json'), maxGuesses: 1 }, serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  const [, code] = await serverIO.waitFor(/^enrollment code: (\d{3}-\d{3}-\d{3})$/)
  t.equal(await runEnroll({ port: Number(port), code, identityPath: join(dir, 'one-guess-device.json') }, capture()), 0, 'enrolled')
  t.equal(await serverDone, 0, 'server done')
})

test('--list and --revoke: list the store, remove a device, ERR_NOT_FOUND for an unknown id', async (t) => {
  const storePath = join(dir, 'two.json')
  const listed = capture()
  t.equal(await runEnrollList(storePath, listed), 0, 'list exits 0')
  t.equal(listed.lines.length, 2, 'one line per device')
  t.match(listed.lines[0]!, /^@\S+=\.ed25519 ed25519 enrolled \d{4}-\d\d-\d\dT\S+ with code$/, 'id, type, date, code')
  t.ok(listed.statusLines.includes(`2 enrolled devices in ${storePath}`), 'the count on status')
  const id = listed.lines[0]!.split(' ')[0]!
  const revoked = capture()
  t.equal(await runEnrollRevoke(storePath, id, revoked), 0, 'revoke exits 0')
  t.deepEqual(revoked.lines, [id], 'the revoked id on out')
  const after = capture()
  await runEnrollList(storePath, after)
  t.equal(after.lines.length, 1, 'one device left')
  t.notOk(after.lines[0]!.startsWith(id), 'not the revoked one')
  try { await runEnrollRevoke(storePath, id, capture()); t.fail('must throw') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_NOT_FOUND', 'revoking it again: ERR_NOT_FOUND') }
})
