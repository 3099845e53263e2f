/** The stream adapter: end to end over an in-memory pair and over TCP on 127.0.0.1, and its failure paths. */
import test from 'tape'
import net from 'node:net'
import { mkdtempSync, readFileSync, statSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  acceptEnrollment, enroll, EnrollmentCode, JsonFileEnrollmentStore, MemoryEnrollmentStore, MessageType, encodeFrame,
  type EnrollmentLogEvent
} from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair, parseIdentityFile, formatId } from '../../lib/keys.js'
import { SecretChannelError } from '../../lib/errors.js'
import { duplexPair } from '../helpers/duplex-pair.js'
import { flip } from './helpers.js'

const serverKeys = generateKeyPair()
const dir = mkdtempSync(join(tmpdir(), 'enroll-stream-'))
test.onFinish(() => rmSync(dir, { recursive: true, force: true }))

async function settle<T>(p: Promise<T>): Promise<{ value?: T, error?: SecretChannelError }> {
  try { return { value: await p } } catch (error) { return { error: error as SecretChannelError } }
}

test('in-memory pair: enrolls, records the device, saves a 0600 identity file that parses', async (t) => {
  const [a, b] = duplexPair()
  const store = new MemoryEnrollmentStore()
  const code = EnrollmentCode.generate()
  const identityPath = join(dir, 'device.json')
  const events: string[] = []
  const log = (side: string) => (e: EnrollmentLogEvent): void => { events.push(`${side} ${e.direction} ${e.message}`) }
  const [device, result] = await Promise.all([
    acceptEnrollment(b, { store, code, keyPair: serverKeys, log: log('server') }),
    enroll(a, { code: code.text, serverPublicKey: serverKeys.publicKey, identityPath, log: log('client') })
  ])
  t.equal(result.key.id, device.id, 'same id both sides')
  t.ok(await store.has(device.id), 'device recorded')
  t.equal(statSync(identityPath).mode & 0o777, 0o600, 'identity file mode 0600')
  const pair = parseIdentityFile(readFileSync(identityPath, 'utf8'))
  t.equal(formatId(pair.publicKey), device.id, 'identity file holds the issued key')
  t.deepEqual(events.filter((e) => e.startsWith('client sent')), ['client sent CLIENT_HELLO', 'client sent RESPONSE'], 'client log')
  t.deepEqual(events.filter((e) => e.startsWith('server sent')), ['server sent SERVER_HELLO', 'server sent CHALLENGE', 'server sent ISSUED_KEY'], 'server log')
  const again = await settle(enroll(duplexPair()[0], { identityPath }))
  t.equal(again.error?.code, 'ERR_ALREADY_EXISTS', 'an existing identity file is refused before any message is sent')
})

test('TCP on 127.0.0.1: enrolls into a JSON-file store (RSA keys too)', async (t) => {
  const storePath = join(dir, 'enrolled.json')
  const store = new JsonFileEnrollmentStore(storePath)
  const code = new EnrollmentCode('246-810', { maxGuesses: 10 })
  const accepted: Array<Promise<unknown>> = []
  const keyType = 'ed25519'
  const server = net.createServer((socket) => {
    const p = acceptEnrollment(socket, { store, keyPair: serverKeys, code, keyType })
    p.catch(() => undefined)
    accepted.push(p)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  try {
    const connect = (): net.Socket => net.connect(port, '127.0.0.1')
    const r1 = await enroll(connect(), { code: '246810', serverPublicKey: serverKeys.publicKey })
    t.equal(r1.key.type, 'ed25519', 'Ed25519 over TCP')
    // The code is one-time: a second device needs a fresh one.
    const r2 = await settle(enroll(connect(), { code: '246810' }))
    t.equal(r2.error?.code, 'ERR_CODE_SPENT', 'the used code: the server says why before it hangs up (ERR_CODE_SPENT)')
    const settled = await Promise.allSettled(accepted)
    t.equal((settled[1] as PromiseRejectedResult).reason.code, 'ERR_CODE_SPENT', 'server side: ERR_CODE_SPENT')
    const file = JSON.parse(readFileSync(storePath, 'utf8'))
    t.equal(file.devices.length, 1, 'one device in the JSON file')
    t.equal(file.devices[0].id, r1.key.id, 'the right one')
    t.equal(statSync(storePath).mode & 0o777, 0o600, 'store file mode 0600')
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  const rsaServer = net.createServer((socket) => { acceptEnrollment(socket, { store, keyType: 'rsa' }).catch(() => undefined) })
  await new Promise<void>((resolve) => rsaServer.listen(0, '127.0.0.1', resolve))
  try {
    const r = await enroll(net.connect((rsaServer.address() as net.AddressInfo).port, '127.0.0.1'), { identityPath: join(dir, 'rsa.pem') })
    t.equal(r.key.type, 'rsa', 'RSA over TCP')
    t.match(readFileSync(join(dir, 'rsa.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/, 'saved as PKCS#8 PEM')
    t.equal((await store.list()).length, 2, 'both devices in the store')
  } finally {
    await new Promise((resolve) => rsaServer.close(resolve))
  }
})

test('over a stream, a corrupted first challenge is retried and succeeds; a wrong code fails on both sides', async (t) => {
  let challenges = 0
  const [a, b] = duplexPair((chunk) => (chunk[2] === MessageType.CHALLENGE && challenges++ === 0 ? flip(chunk, 20) : chunk))
  const [device, result] = await Promise.all([acceptEnrollment(b, { store: new MemoryEnrollmentStore() }), enroll(a)])
  t.equal(result.attempts, 2, 'client retried once')
  t.equal(device.id, result.key.id, 'enrolled')

  const [c, d] = duplexPair()
  const [server, client] = await Promise.all([
    settle(acceptEnrollment(d, { store: new MemoryEnrollmentStore(), code: '1234' })),
    settle(enroll(c, { code: '4321' }))
  ])
  t.equal(client.error?.code, 'ERR_INVALID_TOKEN', 'device: ERR_INVALID_TOKEN')
  t.equal(server.error?.code, 'ERR_INVALID_TOKEN', 'server: ERR_INVALID_TOKEN (ABORT delivered over the stream)')
})

test('a substituted server over a stream: ERR_SERVER_KEY_MISMATCH', async (t) => {
  const [a, b] = duplexPair()
  const [server, client] = await Promise.all([
    settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore(), keyPair: generateKeyPair() })),
    settle(enroll(a, { serverPublicKey: serverKeys.publicKey }))
  ])
  t.equal(client.error?.code, 'ERR_SERVER_KEY_MISMATCH', 'device detects it')
  t.equal(server.error?.code, 'ERR_SERVER_KEY_MISMATCH', 'impostor is told')
})

test('stream failures: garbage frame, oversized frame, hang-up, timeout, abort', async (t) => {
  {
    const [a, b] = duplexPair()
    const p = settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore() }))
    a.write(encodeFrame(Uint8Array.of(0x42, 1, 2, 3)))
    t.equal((await p).error?.code, 'ERR_PROTOCOL', 'unknown message type: ERR_PROTOCOL')
  }
  {
    const [a, b] = duplexPair()
    const p = settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore(), maxFrameBytes: 1024 }))
    a.write(Uint8Array.of(0x10, 0x00))
    t.equal((await p).error?.code, 'ERR_PROTOCOL', 'a 4096-byte length over a 1024 cap: ERR_PROTOCOL before buffering')
  }
  {
    const [a, b] = duplexPair()
    const p = settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore() }))
    a.write(Uint8Array.of(0x00, 0x00))
    t.equal((await p).error?.code, 'ERR_PROTOCOL', 'a zero-length frame: ERR_PROTOCOL')
  }
  {
    const [a, b] = duplexPair()
    const p = settle(enroll(a))
    b.end(undefined) // streamx's typings want an argument; undefined ends without writing
    t.equal((await p).error?.code, 'ERR_TRUNCATED', 'the server hangs up: ERR_TRUNCATED')
  }
  {
    const [a, b] = duplexPair()
    const p = settle(acceptEnrollment(b, { store: new MemoryEnrollmentStore() }))
    a.write(Uint8Array.of(0x00, 37, 1, 1))
    a.end(undefined) // as above
    t.equal((await p).error?.code, 'ERR_TRUNCATED', 'half a frame then end: ERR_TRUNCATED')
  }
  {
    const [a] = duplexPair()
    const started = Date.now()
    const p = await settle(enroll(a, { timeout: 80 }))
    t.equal(p.error?.code, 'ERR_HANDSHAKE_TIMEOUT', 'a silent server: ERR_HANDSHAKE_TIMEOUT')
    t.ok(Date.now() - started < 1000, 'promptly')
  }
  {
    const [a] = duplexPair()
    const ac = new AbortController()
    const p = settle(enroll(a, { signal: ac.signal }))
    ac.abort()
    t.equal((await p).error?.code, 'ERR_ABORTED', 'abort: ERR_ABORTED')
    const q = await settle(enroll(duplexPair()[0], { signal: AbortSignal.abort() }))
    t.equal(q.error?.code, 'ERR_ABORTED', 'already aborted: ERR_ABORTED')
  }
})

test('one byte at a time over TCP still works (framing reassembles)', async (t) => {
  const store = new MemoryEnrollmentStore()
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const original = socket.write.bind(socket)
    // Dribble the server's frames out one byte per write.
    socket.write = ((chunk: Uint8Array) => { for (const byte of chunk) original(Uint8Array.of(byte)); return true }) as typeof socket.write // only the (chunk) form is used here
    acceptEnrollment(socket, { store, keyPair: serverKeys }).catch(() => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const r = await enroll(net.connect((server.address() as net.AddressInfo).port, '127.0.0.1'), { serverPublicKey: serverKeys.publicKey })
    t.ok(await store.has(r.key.id), 'enrolled')
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
