/**
 * Interop over WebSockets with the reference stack, wired the way multiserver's `ws` + `shs`
 * transport wires it: the reference secret-handshake / pull-box-stream over a pull duplex of the
 * WebSocket (one binary message per chunk). Our side is fromWebSocket + SecretStream, or
 * createWebSocketServer. Same bytes as over TCP: nothing WebSocket-specific in the framing.
 */
import test from 'tape'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { fromWebSocket } from '../../lib/transports/websocket.js'
import { createWebSocketServer } from '../../lib/transports/websocket-server.js'
import { deferred, payload, pipeToSocket, pull, refShs, sendAndReceive, sha256, toPull, type PlainStream } from '../pull/helpers.js'
import type { Duplex } from '../../lib/streams/pull/types.js'
import { bufferKeys } from '../pull/interop.js'
import { readAll } from '../helpers/net.js'

/**
 * A pull duplex of a `ws` WebSocket, one binary message per chunk (as pull-ws does). With
 * `keepOpenAfterSinkEnds`, ending the sink does not close the socket: a WebSocket cannot half-close,
 * so a peer that closes right after its own goodbye cuts off what the other side still has to send
 * (see the last test); the other side closes once both goodbyes are through, as fromWebSocket does.
 */
function pullOf(ws: WebSocket, keepOpenAfterSinkEnds = false): Duplex<Buffer, Buffer> {
  const stream = createWebSocketStream(ws)
  if (keepOpenAfterSinkEnds) stream._final = (cb: (err?: Error | null) => void) => cb()
  return toPull.duplex(stream)
}

test('our WebSocket client (fromWebSocket + SecretStream) ↔ the reference SHS1 server over ws', async (t) => {
  const appKey = payload(32)
  const serverKeys = bufferKeys()
  const clientKeys = bufferKeys()
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(wss, 'listening')
  const accepted = deferred<PlainStream>()
  wss.on('connection', (ws) => {
    const shake = refShs.createServer(serverKeys, (_pub: Buffer, cb: (e: null, ok: boolean) => void) => cb(null, true), appKey)(accepted.cb)
    pipeToSocket(shake, pullOf(ws))
  })
  const client = new SecretStream(fromWebSocket(new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)), {
    isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey
  })
  const server = await accepted.promise
  t.ok(server.remote.equals(clientKeys.publicKey), 'the reference server proved our client id')
  pull(server.source, server.sink) // echo
  const data = payload(1024 * 1024 + 3)
  const echoed = readAll(client)
  client.end(data)
  t.equal(sha256(await echoed), sha256(data), '1 MiB echoed intact, goodbyes both ways')
  await new Promise<void>((resolve) => wss.close(() => resolve()))
})

test('the reference SHS1 client over ws ↔ our createWebSocketServer', async (t) => {
  const appKey = payload(32)
  const serverKeys = bufferKeys()
  const clientKeys = bufferKeys()
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1' }, (stream) => stream.pipe(stream))
  await once(server, 'listening')
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const connected = deferred<PlainStream>()
  const shake = refShs.createClient(clientKeys, appKey)(serverKeys.publicKey, connected.cb)
  pipeToSocket(shake, pullOf(ws, true))
  const client = await connected.promise
  t.ok(client.remote.equals(serverKeys.publicKey), 'the reference client proved our server id')
  const data = payload(700_001)
  const got = await sendAndReceive(client, data, 7)
  t.error(got.err, 'the reference client saw a clean end (our goodbye)')
  t.equal(got.hash, sha256(data), 'echoed intact')
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

test('a peer that closes its WebSocket right after its goodbye (as pull-ws does) cuts what we still send: an error on both sides, never a silent loss', async (t) => {
  const appKey = payload(32)
  const serverKeys = bufferKeys()
  const clientKeys = bufferKeys()
  const failures: string[] = []
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1' }, (stream) => {
    stream.on('error', (err: unknown) => failures.push(String((err as Error & { code?: string }).code)))
    // Answer only after a delay, by which time the client has said goodbye and closed.
    stream.on('data', () => {})
    stream.on('end', () => setTimeout(() => stream.end(payload(100_000)), 100))
  })
  await once(server, 'listening')
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const connected = deferred<PlainStream>()
  pipeToSocket(refShs.createClient(clientKeys, appKey)(serverKeys.publicKey, connected.cb), pullOf(ws))
  const client = await connected.promise
  const got = await sendAndReceive(client, payload(1000), 3)
  t.ok(got.err, `the reference client sees an unclean end (${got.err?.message})`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.deepEqual(failures, ['ERR_TRANSPORT'], 'our server stream fails with ERR_TRANSPORT: its answer could not be sent')
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
