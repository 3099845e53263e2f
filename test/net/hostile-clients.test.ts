/**
 * The server survives 100 connections that send garbage or hang up mid-handshake, reports each one
 * as a handshakeError, never hands any of them to the application, and still serves a good client.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { connect as tcpConnect } from 'node:net'
import { ClientHandshake } from '../../lib/handshake/index.js'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer } from '../../lib/net/index.js'
import { closeServer, listenLocal, readAll } from '../helpers/net.js'
import type { SecretChannelError } from '../../lib/errors.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY

type Attack = (port: number, serverKey: Uint8Array) => Promise<void>

/** Opens a raw TCP connection, runs `act`, and waits until the server has closed it. */
function raw(act: (socket: ReturnType<typeof tcpConnect>, serverKey: Uint8Array) => void): Attack {
  return async (port, serverKey) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }) // not half-open: the server's hang-up closes it
    socket.on('error', () => {}) // resets are expected; events.once would reject on them
    socket.resume()
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const connected = await Promise.race([new Promise((resolve) => socket.once('connect', () => resolve(true))), closed])
    if (connected === true) act(socket, serverKey)
    await closed
  }
}

const hello = (serverKey: Uint8Array): Uint8Array =>
  new ClientHandshake({ appKey, keyPair: generateKeyPair(), serverPublicKey: serverKey }).createHello()

const attacks: Array<[string, Attack]> = [
  ['64 random bytes (a hello with a bad HMAC)', raw((s) => s.write(randomBytes(64)))],
  ['a kilobyte of garbage', raw((s) => s.end(randomBytes(1024)))],
  ['half a hello, then end', raw((s, k) => s.end(hello(k).subarray(0, 30)))],
  ['half a hello, then reset', raw((s, k) => { s.write(hello(k).subarray(0, 30)); setImmediate(() => s.resetAndDestroy()) })],
  ['a valid hello, then end', raw((s, k) => s.end(hello(k)))],
  ['a valid hello, then 112 bytes of garbage auth', raw((s, k) => s.write(Buffer.concat([hello(k), randomBytes(112)])))],
  ['connect and hang up at once', raw((s) => s.end())],
  ['a valid hello, then reset', raw((s, k) => { s.write(hello(k)); setImmediate(() => s.resetAndDestroy()) })],
  ['32 zero bytes of ephemeral key', raw((s) => s.write(Buffer.alloc(64)))],
  ['a silent client (handshake timeout)', raw(() => {})]
]

test('100 hostile connections, then a good client', async (t) => {
  const keyPair = generateKeyPair()
  const errors: SecretChannelError[] = []
  let connections = 0
  const server = createServer({ keyPair, appKey, handshakeTimeout: 300 }, (stream) => {
    connections++
    stream.pipe(stream)
  })
  server.on('handshakeError', (err) => errors.push(err))
  const port = await listenLocal(server)

  // The 10 attacks, 10 times each, all at once.
  await Promise.all(Array.from({ length: 100 }, (_, i) => attacks[i % attacks.length]![1](port, keyPair.publicKey)))
  const deadline = Date.now() + 3000
  while (errors.length < 100 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(errors.length, 100, 'every hostile connection was reported once as a handshakeError')
  t.ok(errors.every((e) => typeof e.code === 'string' && e.code.startsWith('ERR_')), 'each with a typed error')
  const codes = [...new Set(errors.map((e) => e.code))].sort()
  t.comment(`codes seen: ${codes.join(', ')}`)
  t.ok(codes.length >= 3, 'different attacks are told apart')
  t.equal(connections, 0, 'none reached the application')
  await new Promise<void>((resolve) => server.getConnections((_err, n) => { t.equal(n, 0, 'no sockets left open'); resolve() }))

  const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: keyPair.publicKey })
  const echoed = readAll(stream)
  stream.end(Buffer.from('still here?'))
  t.equal((await echoed).toString(), 'still here?', 'a good client is still served')
  t.equal(connections, 1)
  await closeServer(server)
})
