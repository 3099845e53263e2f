/**
 * Secret channels over WebSockets in Node: createWebSocketServer + fromWebSocket on a real `ws`
 * connection over 127.0.0.1, the same bytes as TCP, message boundaries that mean nothing, typed
 * handshake failures, truncation and backpressure.
 */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY, type KeyPair } from '../../lib/keys.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createServer } from '../../lib/net/index.js'
import { fromWebSocket } from '../../lib/transports/websocket.js'
import { createWebSocketServer, type SecretWebSocketServer } from '../../lib/transports/websocket-server.js'
import { ErrorCodes, type SecretChannelError } from '../../lib/errors.js'
import { closeServer, listenLocal, readAll } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function listening(server: SecretWebSocketServer): Promise<string> {
  await once(server, 'listening')
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function dial(url: string, keyPair: KeyPair, remotePublicKey: Uint8Array, key: Uint8Array = appKey): SecretStream {
  return new SecretStream(fromWebSocket(new WebSocket(url)), { isInitiator: true, keyPair, appKey: key, remotePublicKey })
}

const closeWs = (server: SecretWebSocketServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

test('echo over a WebSocket: both ids, auth value, 1 MiB each way by SHA-256, clean close', async (t) => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const seen: SecretStream[] = []
  const closes: Array<Promise<unknown>> = []
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1', authorize: (key) => key.equals(clientKeys.publicKey) && { ok: 1 } }, (stream) => {
    seen.push(stream)
    closes.push(once(stream, 'close'))
    stream.pipe(stream)
  })
  const url = await listening(server)
  const client = dial(url, clientKeys, serverKeys.publicKey)
  closes.push(once(client, 'close'))
  await client.opened
  t.ok(Buffer.from(client.remotePublicKey!).equals(serverKeys.publicKey), 'the client sees the server id')
  const data = randomBytes(1024 * 1024)
  const echoed = readAll(client)
  for (let at = 0; at < data.length; at += 50_000) client.write(data.subarray(at, at + 50_000))
  client.end()
  t.equal(sha(await echoed), sha(data), 'every byte came back (SHA-256)')
  t.equal(seen.length, 1, 'one connection')
  t.ok(Buffer.from(seen[0]!.remotePublicKey!).equals(clientKeys.publicKey), 'the server sees the client id')
  t.deepEqual(seen[0]!.auth, { ok: 1 }, 'authorize value exposed as stream.auth')
  await Promise.all(closes)
  t.pass('both ends closed without an error')
  await closeWs(server)
})

/**
 * A relay that takes WebSocket messages and forwards their bytes to a TCP secret-channel server
 * in pieces of random sizes, and back: proves the bytes are the TCP bytes and boundaries mean nothing.
 */
test('same framing as TCP: a WebSocket client talks to a TCP server through a byte relay that rechunks at random', async (t) => {
  const serverKeys = generateKeyPair()
  const tcp = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const port = await listenLocal(tcp)
  const relay = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(relay, 'listening')
  let messagesOut = 0
  relay.on('connection', (ws) => {
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    ws.on('message', (data: Buffer) => {
      for (let at = 0; at < data.length;) {
        const n = 1 + Math.floor(Math.random() * 700)
        sock.write(data.subarray(at, at + n))
        at += n
      }
    })
    sock.on('data', (data: Buffer) => {
      for (let at = 0; at < data.length;) {
        const n = 1 + Math.floor(Math.random() * 3000)
        ws.send(data.subarray(at, at + n))
        messagesOut++
        at += n
      }
    })
    sock.on('end', () => ws.close())
    ws.on('close', () => sock.end())
  })
  const url = `ws://127.0.0.1:${(relay.address() as AddressInfo).port}`
  const client = dial(url, generateKeyPair(), serverKeys.publicKey)
  const data = randomBytes(300_000)
  const echoed = readAll(client)
  client.write(data)
  client.end()
  t.equal(sha(await echoed), sha(data), 'echoed intact through a TCP server')
  t.ok(messagesOut > 100, `the relay split the stream into ${messagesOut} messages`)
  await new Promise<void>((resolve) => relay.close(() => resolve()))
  await closeServer(tcp)
})

test('handshake failures are typed, and the server reports each as handshakeError', async (t) => {
  const serverKeys = generateKeyPair()
  const refused = generateKeyPair()
  const failures: SecretChannelError[] = []
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1', authorize: (key) => !key.equals(refused.publicKey) }, () => t.fail('no connection expected'))
  server.on('handshakeError', (err, peer) => {
    failures.push(err)
    t.equal(peer.remoteAddress, '127.0.0.1', `${err.code}: the peer address is reported`)
  })
  const url = await listening(server)
  const failure = (s: SecretStream): Promise<SecretChannelError> => s.on('error', () => {}).opened.then(() => { throw new Error('opened') }, (e) => e)

  const wrongApp = await failure(dial(url, generateKeyPair(), serverKeys.publicKey, randomBytes(32)))
  t.equal(wrongApp.code, ErrorCodes.WRONG_APP_KEY, 'wrong app key, client: ERR_WRONG_APP_KEY (hang-up before the server hello)')
  t.match(wrongApp.message, /app key/, 'the message suggests a wrong app key')
  const wrongKey = await failure(dial(url, generateKeyPair(), generateKeyPair().publicKey))
  t.equal(wrongKey.code, ErrorCodes.UNAUTHORIZED, 'wrong server key, client: hung up after auth')
  const unauthorized = await failure(dial(url, refused, serverKeys.publicKey))
  t.equal(unauthorized.code, ErrorCodes.UNAUTHORIZED, 'refused by authorize, client: ERR_UNAUTHORIZED')
  while (failures.length < 3) await once(server, 'handshakeError')
  t.deepEqual(failures.map((e) => e.code), [ErrorCodes.WRONG_APP_KEY, ErrorCodes.SERVER_KEY_MISMATCH, ErrorCodes.UNAUTHORIZED], 'server side codes')
  await closeWs(server)
})

test('a WebSocket closed before the goodbye is ERR_TRUNCATED at the SecretStream (close and terminate)', async (t) => {
  const serverKeys = generateKeyPair()
  for (const how of ['close', 'terminate'] as const) {
    const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1' })
    const accepted = once(server, 'connection') as Promise<[SecretStream]>
    const url = await listening(server)
    const ws = new WebSocket(url)
    const client = new SecretStream(fromWebSocket(ws), { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
    client.on('error', () => {})
    await client.opened
    const [stream] = await accepted
    const got = new Promise<SecretChannelError>((resolve) => stream.once('error', (e) => resolve(e as SecretChannelError)))
    client.write('partial')
    await new Promise((resolve) => stream.once('data', resolve))
    ws[how]()
    const err = await got
    t.equal(err.code, ErrorCodes.TRUNCATED, `${how}(): the server stream fails with ERR_TRUNCATED`)
    await closeWs(server)
  }
})

test('backpressure: a reader that stops reading stops the writer (ws pause, bufferedAmount), and nothing is lost', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1' })
  const accepted = once(server, 'connection') as Promise<[SecretStream]>
  const url = await listening(server)
  const ws = new WebSocket(url)
  const client = new SecretStream(fromWebSocket(ws, { highWaterMark: 256 * 1024 }), { isInitiator: true, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  await client.opened
  const [stream] = await accepted
  stream.pause()
  // A writer that honours 'drain' for one second while nobody reads on the other side.
  const chunk = randomBytes(64 * 1024)
  let written = 0
  let stop = false
  const pump = (): void => {
    while (!stop) {
      written += chunk.length
      if (!client.write(chunk)) return
    }
  }
  client.on('drain', pump)
  pump()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  stop = true
  t.ok(written < 16 * 1024 * 1024, `the writer was held back after ${(written / 1048576).toFixed(1)} MiB (socket buffers included)`)
  t.ok(ws.bufferedAmount > 0, `the WebSocket holds ${ws.bufferedAmount} bytes it could not send`)
  const all = readAll(stream)
  const back = readAll(client)
  stream.resume()
  client.end()
  const got = await all
  t.equal(got.length, written, 'every byte arrived once the reader resumed')
  stream.end()
  await back
  await closeWs(server)
})

test('handshakeTimeout and idleTimeout apply to WebSocket channels', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1', handshakeTimeout: 300, idleTimeout: 300 })
  const url = await listening(server)
  const failed = once(server, 'handshakeError') as Promise<[SecretChannelError]>
  const silent = new WebSocket(url) // connects, never says hello
  const [timeout] = await failed
  t.equal(timeout.code, ErrorCodes.HANDSHAKE_TIMEOUT, 'a silent client: handshakeError ERR_HANDSHAKE_TIMEOUT')
  silent.terminate()
  const accepted = once(server, 'connection') as Promise<[SecretStream]>
  const client = dial(url, generateKeyPair(), serverKeys.publicKey)
  client.on('error', () => {})
  const [stream] = await accepted
  const idle = await new Promise<SecretChannelError>((resolve) => stream.once('error', (e) => resolve(e as SecretChannelError)))
  t.equal(idle.code, ErrorCodes.IDLE_TIMEOUT, 'an open channel without traffic: ERR_IDLE_TIMEOUT')
  await closeWs(server)
})

test('a text message is not stream bytes: the channel fails, caused by ERR_PROTOCOL', async (t) => {
  const relay = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(relay, 'listening')
  relay.on('connection', (ws) => ws.send('not bytes'))
  const client = dial(`ws://127.0.0.1:${(relay.address() as AddressInfo).port}`, generateKeyPair(), generateKeyPair().publicKey)
  client.on('error', () => {})
  const err = await client.opened.then(() => null, (e: SecretChannelError) => e)
  t.ok(err?.code, `the channel fails (${err?.code}: during the handshake a transport failure is classified like a hang-up)`)
  t.equal((err?.cause as SecretChannelError)?.code, ErrorCodes.PROTOCOL, 'caused by ERR_PROTOCOL: a non-binary message')
  await new Promise<void>((resolve) => relay.close(() => resolve()))
})
