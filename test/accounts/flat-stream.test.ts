/** FlatStream over real TCP: interactive and non-interactive logins, MAX-PACKET, END, bounded memory. */
import test from 'tape'
import net from 'node:net'
import v8 from 'node:v8'
import vm from 'node:vm'
import { TEST_KDF, close, collect, listen } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { sealPrivateKey } from '../../lib/protocols/accounts/sealed-key.js'
import { createFlatServer, connectFlat } from '../../lib/protocols/accounts/flat/net.js'
import { flatLookupFromStores } from '../../lib/protocols/accounts/flat/lookup.js'
import { FlatStream } from '../../lib/protocols/accounts/flat/stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'

const crypto = getCryptoBackend()
const serverKeys = generateKeyPair()
const alice = generateKeyPair()
const bot = generateKeyPair()

async function fixture(maxPacket?: number) {
  const store = new MemoryStore()
  const { sealed } = await sealPrivateKey(alice.secretKey, 'pw-alice', { kdf: TEST_KDF })
  await store.putSealedKey({ userID: 'alice', publicKey: alice.publicKey, sealed, updatedAt: 0 })
  for (const [id, kp] of [['alice', alice], ['bot', bot]] as const) {
    await store.insertUser({ userID: id, publicKey: kp.publicKey, thumbprint: crypto.sha256(kp.publicKey), kdfSalt: sealed.salt, kdfParams: TEST_KDF, loginHash: null, loginSalt: null, loginParams: null, createdAt: 0 })
  }
  const sessions: FlatStream[] = []
  const errors: Error[] = []
  // An echo service that upper-cases nothing: it sends back exactly what it got, then ends.
  const server = createFlatServer({ keyPair: serverKeys, lookup: flatLookupFromStores(store, store), maxPacket, onError: (e) => errors.push(e) }, (s) => {
    sessions.push(s)
    s.on('data', (d: unknown) => {
      if (!s.write(d)) { s.pause(); s.once('drain', () => s.resume()) }
    })
    s.on('end', () => s.end())
    s.on('error', () => {})
  })
  const port = await listen(server)
  return { server, port, sessions, errors }
}

test('flat over TCP: interactive login, echo, END closes both sides cleanly', async (t) => {
  const { server, port, sessions } = await fixture()
  const s = connectFlat({ port, serverPublicKey: serverKeys.publicKey, username: 'alice', password: 'pw-alice', maxPacket: 4096 })
  await s.opened
  t.equal(s.maxPacket, 4096, 'client MAX-PACKET 4096 < server 64 KiB: 4096 wins')
  const echoed = collect(s)
  s.write('hello, ')
  s.write(Buffer.from('flat world'))
  s.end()
  t.equal((await echoed).toString(), 'hello, flat world', 'echo round trip')
  t.equal(sessions[0]!.username, 'alice', 'server knows who logged in')
  t.ok(sessions[0]!.interactive, 'interactive')
  t.equal(sessions[0]!.maxPacket, 4096, 'server agrees on MAX-PACKET')
  await close(server)
})

test('flat over TCP: non-interactive login by certificate id', async (t) => {
  const { server, port, sessions } = await fixture(2048)
  const s = connectFlat({ port, serverPublicKey: serverKeys.publicKey, keyPair: bot })
  await s.opened
  t.equal(s.maxPacket, 2048, 'server MAX-PACKET 2048 < client default: 2048 wins')
  const payload = crypto.randomBytes(10_000)
  const echoed = collect(s)
  s.end(Buffer.from(payload))
  t.ok((await echoed).equals(Buffer.from(payload)), '10 000 bytes in 2048-byte packets come back intact')
  t.equal(sessions[0]!.username, 'bot', 'authenticated as bot')
  t.notOk(sessions[0]!.interactive, 'non-interactive')
  await close(server)
})

test('flat over TCP: wrong password, unknown user and unknown certificate fail without a session', async (t) => {
  const { server, port, sessions } = await fixture()
  const wrong = connectFlat({ port, serverPublicKey: serverKeys.publicKey, username: 'alice', password: 'nope' })
  wrong.on('error', () => {})
  const e1 = await wrong.opened.catch((e) => e)
  t.ok(isSecretChannelError(e1, 'ERR_WRONG_PASSWORD'), `wrong password: ${e1.code}`)
  const nobody = connectFlat({ port, serverPublicKey: serverKeys.publicKey, username: 'nobody', password: 'x' })
  nobody.on('error', () => {})
  const e2 = await nobody.opened.catch((e) => e)
  t.ok(isSecretChannelError(e2, 'ERR_WRONG_PASSWORD'), `unknown user looks the same: ${e2.code}`)
  const stranger = connectFlat({ port, serverPublicKey: serverKeys.publicKey, keyPair: generateKeyPair() })
  stranger.on('error', () => {})
  const e3 = await stranger.opened.catch((e) => e)
  t.ok(isSecretChannelError(e3, 'ERR_UNAUTHORIZED'), `unknown certificate: ${e3.code}`)
  t.equal(sessions.length, 0, 'no session was ever handed to the application')
  await close(server)
})

test('flat over TCP: junk gets a clear ERROR and a closed connection', async (t) => {
  const { server, port, errors, sessions } = await fixture()
  const socket = net.connect({ port, host: '127.0.0.1' })
  const reply = collect(socket)
  socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'))
  const got = await reply
  t.equal(got[0], 0x14, 'server answered with an ERROR command')
  t.match(got.subarray(5).toString(), /ERR_PROTOCOL .*unknown command 0x47/, `and says why: ${got.subarray(5).toString()}`)
  t.ok(errors.some((e) => isSecretChannelError(e, 'ERR_PROTOCOL')), 'the server reported ERR_PROTOCOL for that connection')
  t.equal(sessions.length, 0, 'nothing delivered')
  await close(server)
})

test('flat over an in-memory duplex pair: composes with the same transports as SecretStream', async (t) => {
  const [a, b] = createDuplexPair()
  const server = new FlatStream(b, { isInitiator: false, keyPair: serverKeys, lookup: () => ({ username: 'bot', publicKey: bot.publicKey }) })
  const client = new FlatStream(a, { isInitiator: true, serverPublicKey: serverKeys.publicKey, keyPair: bot })
  server.on('data', (d: unknown) => { server.write(d) })
  server.on('end', () => server.end())
  const connected = new Promise<void>((resolve) => server.once('connect', () => resolve()))
  await Promise.all([client.opened, server.opened, connected])
  t.equal(server.username, 'bot', 'server side knows the account')
  t.ok(Buffer.from(client.remotePublicKey!).equals(Buffer.from(serverKeys.publicKey)), 'client side knows the server')
  const echoed = collect(client)
  client.end('over memory')
  t.equal((await echoed).toString(), 'over memory', 'round trip over the in-memory pair')
})

test('flat inside a SecretStream: the login itself is hidden from the network', async (t) => {
  const [a, b] = createDuplexPair()
  const appKey = Buffer.alloc(32, 9)
  const outerServerKeys = generateKeyPair()
  const outerServer = new SecretStream(b, { isInitiator: false, keyPair: outerServerKeys, appKey })
  const outerClient = new SecretStream(a, { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: outerServerKeys.publicKey })
  const server = new FlatStream(outerServer, { isInitiator: false, keyPair: serverKeys, lookup: () => ({ username: 'bot', publicKey: bot.publicKey }) })
  const client = new FlatStream(outerClient, { isInitiator: true, serverPublicKey: serverKeys.publicKey, keyPair: bot })
  server.on('data', (d: unknown) => { server.write(d) })
  server.on('end', () => server.end())
  await client.opened
  const echoed = collect(client)
  client.end('layered')
  t.equal((await echoed).toString(), 'layered', 'flat session runs over a SecretStream')
})

test('flat over TCP: a client that never finishes the login is dropped at the deadline', async (t) => {
  const errors: Error[] = []
  const server = createFlatServer({ keyPair: serverKeys, lookup: () => null, handshakeTimeout: 200, onError: (e) => errors.push(e) }, () => t.fail('no session'))
  const port = await listen(server)
  const socket = net.connect({ port, host: '127.0.0.1' })
  socket.on('data', () => {})
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.on('close', () => resolve()))
  t.ok(errors.some((e) => isSecretChannelError(e, 'ERR_HANDSHAKE_TIMEOUT')), 'the server gave up with ERR_HANDSHAKE_TIMEOUT and closed the socket')
  await close(server)
})

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
/** Live JS heap plus Buffer memory after full collections (and the background sweep) settle. */
async function liveBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)) }
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

test('flat over TCP: a large transfer streams in bounded memory', async (t) => {
  const { server, port, sessions } = await fixture(64 * 1024)
  // FLAT_BIG_BYTES=1073741824 npm test -- flat-stream  runs the 1 GiB case (a few minutes).
  const total = Number(process.env.FLAT_BIG_BYTES || 16 * 1024 * 1024)
  const s = connectFlat({ port, serverPublicKey: serverKeys.publicKey, keyPair: bot })
  await s.opened
  const chunk = Buffer.alloc(64 * 1024, 7)
  let received = 0
  let held = 0
  const baseline = await liveBytes()
  const rssBefore = process.memoryUsage().rss
  let rssPeak = 0
  const done = new Promise<void>((resolve, reject) => {
    s.on('data', (d: unknown) => {
      received += (d as Uint8Array).length
      held = Math.max(held, s.bufferedBytes + (sessions[0]?.bufferedBytes ?? 0))
      if ((received & 0xfffff) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss - rssBefore)
    })
    s.on('end', resolve)
    s.on('error', reject)
  })
  let sent = 0
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length
        if (!s.write(chunk)) { s.once('drain', pump); return }
      }
      s.end()
      resolve()
    }
    pump()
  })
  await done
  t.equal(received, total, `${total} bytes echoed through the server`)
  t.ok(held < 1024 * 1024, `both sessions together never held more than ${(held / 1024).toFixed(0)} KiB (< 1 MiB) in their queues`)
  const after = await liveBytes()
  t.ok(after - baseline < 4 * 1024 * 1024, `nothing retained afterwards: live memory ${((after - baseline) / 1048576).toFixed(2)} MiB above baseline (< 4 MiB)`)
  t.ok(rssPeak < 256 * 1024 * 1024, `process RSS grew at most ${(rssPeak / 1048576).toFixed(0)} MiB while ${(2 * total / 1048576).toFixed(0)} MiB moved`)
  await close(server)
})
