/** The enroll-server and enroll commands, run in-process over TCP on 127.0.0.1. */
import test from 'tape'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enrollCommand, enrollServerCommand, type EnrollCommandIO } from '../../lib/protocols/enrollment/cli.js'
import { generateKeyPair, toIdentityFile, formatId, parseIdentityFile } from '../../lib/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'enroll-cli-'))
test.onFinish(() => rmSync(dir, { recursive: true, force: true }))

function capture(signal?: AbortSignal): EnrollCommandIO & { lines: string[], errors: string[], waitFor(re: RegExp): Promise<RegExpMatchArray> } {
  const lines: string[] = []
  const errors: string[] = []
  const waiters: Array<{ re: RegExp, resolve: (m: RegExpMatchArray) => void }> = []
  const check = (line: string): void => {
    for (const w of [...waiters]) {
      const m = line.match(w.re)
      if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m) }
    }
  }
  return {
    lines, errors, signal,
    out: (line) => { lines.push(line); check(line) },
    status: (line) => { errors.push(line); check(line) },
    waitFor: (re) => new Promise((resolve) => {
      const hit = [...lines, ...errors].map((l) => l.match(re)).find(Boolean)
      if (hit) resolve(hit)
      else waiters.push({ re, resolve })
    })
  }
}

test('enroll-server + enroll: a device enrolls with the printed code and checks the server id', async (t) => {
  const serverKeys = generateKeyPair()
  const serverIdentity = join(dir, 'server.json')
  writeFileSync(serverIdentity, JSON.stringify(toIdentityFile(serverKeys)))
  const storePath = join(dir, 'enrolled.json')
  const serverIO = capture()
  const serverDone = enrollServerCommand(['--identity', serverIdentity, '--store', storePath, '--port', '0'], serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  const [, code] = await serverIO.waitFor(/^enrollment code: (\S+)$/)

  const deviceIO = capture()
  const identity = join(dir, 'device.json')
  const status = await enrollCommand(['--port', port!, '--code', code!, '--server-id', formatId(serverKeys.publicKey), '--identity', identity], deviceIO)
  t.equal(status, 0, 'enroll exits 0')
  t.equal(await serverDone, 0, 'enroll-server exits 0 after one enrollment')
  const id = formatId(parseIdentityFile(readFileSync(identity, 'utf8')).publicKey)
  t.deepEqual(deviceIO.lines, [id], 'enroll prints only the new id on stdout')
  t.ok(deviceIO.errors.includes(`enrolled as ${id} (ed25519) after 1 attempt(s)`), 'status: enrolled')
  t.ok(deviceIO.errors.includes('server authenticated by: code + server-key'), 'status: how the server was authenticated')
  t.ok(deviceIO.errors.includes('-> CLIENT_HELLO (37 bytes)'), 'status: each step')
  t.deepEqual(serverIO.lines, [id], 'enroll-server prints the enrolled id on stdout')
  t.ok(serverIO.errors.includes(`enrolled ${id} (ed25519) -> ${storePath}`), 'and a status line')
  t.equal(JSON.parse(readFileSync(storePath, 'utf8')).devices[0].id, id, 'store holds the device')
  t.equal(statSync(identity).mode & 0o777, 0o600, 'identity file is 0600')
})

test('enroll with a wrong code fails with ERR_INVALID_TOKEN and exit code 1', async (t) => {
  const ac = new AbortController()
  const serverIO = capture(ac.signal)
  const serverDone = enrollServerCommand(['--store', join(dir, 'wrong.json'), '--code', '111-111-111'], serverIO)
  const [, port] = await serverIO.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/)
  const deviceIO = capture()
  const status = await enrollCommand(['--port', port!, '--code', '222-222-222', '--identity', join(dir, 'wrong-device.json')], deviceIO)
  t.equal(status, 1, 'exit code 1')
  t.match(deviceIO.errors.join('\n'), /error ERR_INVALID_TOKEN: enrollment challenge: no challenge opened in 3 attempts/, 'typed error printed')
  await serverIO.waitFor(/ERR_INVALID_TOKEN/)
  ac.abort()
  t.equal(await serverDone, 0, 'server stops on abort')
})

test('usage errors exit 1 with ERR_INVALID_ARGUMENT', async (t) => {
  const io = capture()
  t.equal(await enrollCommand(['--identity', 'x.json'], io), 1, 'missing --port')
  t.equal(await enrollServerCommand(['--code', '1', '--no-code'], io), 1, '--code with --no-code')
  t.equal(await enrollServerCommand(['--key-type', 'dsa'], io), 1, 'bad key type')
  t.ok(io.errors.every((e: string) => e.startsWith('error ERR_INVALID_ARGUMENT')), 'all ERR_INVALID_ARGUMENT')
})
