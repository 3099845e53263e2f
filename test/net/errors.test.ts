/** connect() rejects with the right typed error for each way a connection can fail; the server reports the other side. */
import test from 'tape'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { ErrorCodes, isSecretChannelError } from '../../lib/errors.js'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer, type PeerAddress } from '../../lib/net/index.js'
import { closeServer, listenLocal } from '../helpers/net.js'
import type { SecretChannelError } from '../../lib/errors.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY

async function rejection(promise: Promise<unknown>): Promise<SecretChannelError> {
  try {
    await promise
  } catch (err) {
    if (isSecretChannelError(err)) return err
    throw err
  }
  throw new Error('expected a rejection')
}

/** A server plus the handshake errors it reported. */
async function reportingServer(options: Partial<Parameters<typeof createServer>[0]> = {}) {
  const keyPair = generateKeyPair()
  const failures: Array<{ err: SecretChannelError, peer: PeerAddress }> = []
  let connections = 0
  const server = createServer({ keyPair, appKey, ...options }, (stream) => {
    connections++
    stream.on('error', () => {})
  })
  server.on('handshakeError', (err, peer) => failures.push({ err, peer }))
  const port = await listenLocal(server)
  return { server, port, keyPair, failures, connections: () => connections }
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10))
}

test('nothing listening: ERR_TRANSPORT wrapping ECONNREFUSED', async (t) => {
  const probe = createTcpServer()
  const port = await listenLocal(probe)
  await closeServer(probe)
  const err = await rejection(connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: generateKeyPair().publicKey }))
  t.equal(err.code, ErrorCodes.TRANSPORT)
  t.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED', 'the socket error is the cause')
  t.match(err.message, /connection refused/)
})

test('wrong server key: the client gets ERR_SERVER_KEY_MISMATCH, the server a handshakeError', async (t) => {
  const s = await reportingServer()
  const err = await rejection(connect({ host: '127.0.0.1', port: s.port, keyPair: generateKeyPair(), appKey, remotePublicKey: generateKeyPair().publicKey }))
  t.ok(err.code === ErrorCodes.SERVER_KEY_MISMATCH || err.code === ErrorCodes.UNAUTHORIZED, `client: ${err.code}`)
  await until(() => s.failures.length > 0)
  t.equal(s.failures[0]?.err.code, ErrorCodes.SERVER_KEY_MISMATCH, 'server: the client dialed another key')
  t.equal(s.failures[0]?.peer.remoteAddress, '127.0.0.1', 'the report names the remote address')
  t.equal(s.connections(), 0, 'no connection event')
  await closeServer(s.server)
})

test('wrong app key: both sides fail, the server with ERR_WRONG_APP_KEY', async (t) => {
  const s = await reportingServer()
  const err = await rejection(connect({ host: '127.0.0.1', port: s.port, keyPair: generateKeyPair(), appKey: Buffer.alloc(32, 7), remotePublicKey: s.keyPair.publicKey }))
  t.match(err.message, /app key/, `client: ${err.code}: the message suggests a wrong app key`)
  await until(() => s.failures.length > 0)
  t.equal(s.failures[0]?.err.code, ErrorCodes.WRONG_APP_KEY)
  t.equal(s.connections(), 0)
  await closeServer(s.server)
})

test('authorize refuses: the client gets ERR_UNAUTHORIZED, the server reports it', async (t) => {
  const allowed = generateKeyPair()
  const s = await reportingServer({ authorize: (key) => key.equals(allowed.publicKey) })
  const err = await rejection(connect({ host: '127.0.0.1', port: s.port, keyPair: generateKeyPair(), appKey, remotePublicKey: s.keyPair.publicKey }))
  t.equal(err.code, ErrorCodes.UNAUTHORIZED)
  await until(() => s.failures.length > 0)
  t.equal(s.failures[0]?.err.code, ErrorCodes.UNAUTHORIZED)
  const ok = await connect({ host: '127.0.0.1', port: s.port, keyPair: allowed, appKey, remotePublicKey: s.keyPair.publicKey })
  await until(() => s.connections() > 0)
  t.equal(s.connections(), 1, 'the allowed client gets through')
  ok.destroy()
  await closeServer(s.server)
})

test('a silent server: ERR_HANDSHAKE_TIMEOUT; an abort signal: ERR_ABORTED', async (t) => {
  const sockets: Socket[] = []
  const silent = createTcpServer({ allowHalfOpen: true }, (socket) => { sockets.push(socket) })
  const port = await listenLocal(silent)
  const started = Date.now()
  const timeout = await rejection(connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: generateKeyPair().publicKey, handshakeTimeout: 200 }))
  t.equal(timeout.code, ErrorCodes.HANDSHAKE_TIMEOUT)
  t.ok(Date.now() - started < 2000, 'promptly')
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  const aborted = await rejection(connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: generateKeyPair().publicKey, signal: controller.signal }))
  t.equal(aborted.code, ErrorCodes.ABORTED)
  for (const socket of sockets) socket.destroy()
  await closeServer(silent)
})

test('bad options throw ERR_INVALID_ARGUMENT synchronously or reject', async (t) => {
  t.throws(() => createServer({ keyPair: generateKeyPair(), appKey: Buffer.alloc(3) }), /appKey must be 32 bytes/)
  t.throws(() => createServer({} as never), /keyPair/)
  const err = await rejection(connect({ port: 1, keyPair: generateKeyPair(), appKey, remotePublicKey: Buffer.alloc(5) }))
  t.equal(err.code, ErrorCodes.INVALID_ARGUMENT)
})
