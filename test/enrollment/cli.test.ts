/** The enroll-server and enroll command cores, run in-process over TCP on 127.0.0.1. */
import test from 'tape'
import net from 'node:net'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runEnroll, runEnrollServer, type EnrollCommandIO } from '../../lib/protocols/enrollment/cli.js'
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
  } catch (err: any) {
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
  } catch (err: any) {
    t.equal(err.code, 'ERR_TRANSPORT', 'ERR_TRANSPORT')
  } finally {
    await new Promise((resolve) => taken.close(resolve))
  }
})
