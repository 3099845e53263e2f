/** The handshake machines: turn order, lengths, typed failures, and secrets wiped. */
import test from 'tape'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { generateKeyPair } from '../../lib/keys.js'
import { ErrorCodes } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'

const appKey = Buffer.alloc(32, 3)
const clientKeys = generateKeyPair(Buffer.alloc(32, 4))
const serverKeys = generateKeyPair(Buffer.alloc(32, 5))

function machines(): { client: ClientHandshake; server: ServerHandshake } {
  return {
    client: new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey }),
    server: new ServerHandshake({ appKey, keyPair: serverKeys })
  }
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: string }).code
  }
}

test('a full exchange has the exact sizes 64/64/112/80 and agrees on keys', (t) => {
  const { client, server } = machines()
  t.equal(server.expectedLength, 64, 'server waits for 64 bytes')
  const m1 = client.createHello()
  t.equal(m1.length, 64)
  t.equal(client.expectedLength, 64, 'client waits for 64 bytes')
  server.receiveHello(m1)
  const m2 = server.createHello()
  t.equal(m2.length, 64)
  client.receiveHello(m2)
  const m3 = client.createAuth()
  t.equal(m3.length, 112)
  t.equal(server.expectedLength, 112)
  t.equal(client.expectedLength, 80)
  const clientId = server.receiveAuth(m3)
  t.ok(Buffer.from(clientId).equals(Buffer.from(clientKeys.publicKey)), 'server learns the client key')
  const { message: m4, session: s } = server.createAccept()
  t.equal(m4.length, 80)
  const c = client.receiveAccept(m4)
  t.ok(Buffer.from(c.encryptKey).equals(Buffer.from(s.decryptKey)), 'client encrypt = server decrypt')
  t.ok(Buffer.from(c.decryptKey).equals(Buffer.from(s.encryptKey)), 'client decrypt = server encrypt')
  t.ok(Buffer.from(c.encryptNonce).equals(Buffer.from(s.decryptNonce)), 'nonces agree')
  t.notOk(Buffer.from(c.encryptKey).equals(Buffer.from(c.decryptKey)), 'the two directions use different keys')
  t.equal(client.expectedLength, 0)
  t.end()
})

test('calls out of turn are ERR_INVALID_STATE and poison the machine', (t) => {
  const { client, server } = machines()
  t.equal(codeOf(() => client.createAuth()), ErrorCodes.INVALID_STATE, 'createAuth before hello')
  t.equal(client.phase, 'failed', 'client poisoned')
  t.equal(codeOf(() => client.createHello()), ErrorCodes.INVALID_STATE, 'nothing works after poisoning')
  t.equal(codeOf(() => server.createHello()), ErrorCodes.INVALID_STATE, 'server createHello before receiving one')
  const fresh = machines()
  fresh.server.receiveHello(fresh.client.createHello())
  t.equal(codeOf(() => fresh.server.createAccept()), ErrorCodes.INVALID_STATE, 'createAccept before auth')
  t.end()
})

test('wrong lengths are ERR_PROTOCOL', (t) => {
  for (const len of [0, 63, 65, 112]) {
    const { server } = machines()
    t.equal(codeOf(() => server.receiveHello(new Uint8Array(len))), ErrorCodes.PROTOCOL, `server hello of ${len} bytes`)
  }
  const { client, server } = machines()
  server.receiveHello(client.createHello())
  client.receiveHello(server.createHello())
  client.createAuth()
  t.equal(codeOf(() => server.receiveAuth(new Uint8Array(111))), ErrorCodes.PROTOCOL, '111-byte auth')
  t.equal(codeOf(() => client.receiveAccept(new Uint8Array(81))), ErrorCodes.PROTOCOL, '81-byte accept')
  t.end()
})

test('a hello with a low-order ephemeral key and a valid HMAC is refused, not a crash', (t) => {
  const crypto = getCryptoBackend()
  const zero = new Uint8Array(32)
  const hello = Buffer.concat([crypto.auth(zero, appKey), zero])
  const { server } = machines()
  t.equal(codeOf(() => server.receiveHello(hello)), ErrorCodes.PROTOCOL, 'server: ERR_PROTOCOL for ap = 0')
  const { client } = machines()
  client.createHello()
  t.equal(codeOf(() => client.receiveHello(hello)), ErrorCodes.PROTOCOL, 'client: ERR_PROTOCOL for bp = 0')
  t.end()
})

test('wrong app key, wrong server key, forged accept', (t) => {
  {
    const client = new ClientHandshake({ appKey: Buffer.alloc(32, 9), keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
    const { server } = machines()
    t.equal(codeOf(() => server.receiveHello(client.createHello())), ErrorCodes.WRONG_APP_KEY, 'server: wrong app key')
  }
  {
    const stranger = generateKeyPair()
    const client = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: stranger.publicKey })
    const { server } = machines()
    server.receiveHello(client.createHello())
    client.receiveHello(server.createHello())
    t.equal(codeOf(() => server.receiveAuth(client.createAuth())), ErrorCodes.SERVER_KEY_MISMATCH, 'server: wrong number')
  }
  {
    // An impostor holding another key answers a client who dialed serverKeys.
    const impostor = new ServerHandshake({ appKey, keyPair: generateKeyPair() })
    const { client } = machines()
    impostor.receiveHello(client.createHello())
    client.receiveHello(impostor.createHello())
    t.equal(codeOf(() => impostor.receiveAuth(client.createAuth())), ErrorCodes.SERVER_KEY_MISMATCH, 'the impostor cannot even open msg3')
    t.equal(codeOf(() => client.receiveAccept(new Uint8Array(80))), ErrorCodes.SERVER_KEY_MISMATCH, 'client: a forged accept is refused')
  }
  t.end()
})

test('ephemeral secrets and intermediates are wiped after success, rejection and failure', (t) => {
  const allZero = (bufs: readonly Uint8Array[]): boolean => bufs.every((b) => b.every((x) => x === 0))
  {
    const { client, server } = machines()
    server.receiveHello(client.createHello())
    client.receiveHello(server.createHello())
    server.receiveAuth(client.createAuth())
    client.receiveAccept(server.createAccept().message)
    const cs = client.secretBuffersForTesting()
    const ss = server.secretBuffersForTesting()
    t.ok(cs.length >= 6 && ss.length >= 6, `tracks the secrets (${cs.length} client, ${ss.length} server)`)
    t.ok(allZero(cs), 'client secrets zeroed after success')
    t.ok(allZero(ss), 'server secrets zeroed after success')
  }
  {
    const { client, server } = machines()
    server.receiveHello(client.createHello())
    client.receiveHello(server.createHello())
    server.receiveAuth(client.createAuth())
    server.reject()
    t.ok(allZero(server.secretBuffersForTesting()), 'server secrets zeroed after reject')
    t.equal(server.phase, 'failed')
    client.destroy()
    t.ok(allZero(client.secretBuffersForTesting()), 'client secrets zeroed after destroy')
  }
  {
    const { client } = machines()
    client.createHello()
    codeOf(() => client.receiveHello(new Uint8Array(64)))
    t.ok(allZero(client.secretBuffersForTesting()), 'client secrets zeroed after a failure')
  }
  t.end()
})
