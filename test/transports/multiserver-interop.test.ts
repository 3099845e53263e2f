/**
 * Interop with the real `multiserver` package's `ws` + `shs` transport (the one Scuttlebutt's
 * browser clients and ssb-ws use), in Node, both directions:
 * ```
 * multiserver client [ws, shs]  ──ws──▶  our createWebSocketServer
 * our fromWebSocket + SecretStream  ──ws──▶  multiserver server [ws, shs]
 * ```
 * Data both ways (SHA-256 checked), both ids proven, and the goodbyes seen as clean ends on both
 * sides. pull-websocket closes the WebSocket as soon as its own sink has ended, so the multiserver
 * side always ends last (it ends once our goodbye has arrived): a WebSocket cannot half-close.
 */
import test from 'tape'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { WebSocket } from 'ws'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { fromWebSocket } from '../../lib/transports/websocket.js'
import { createWebSocketServer } from '../../lib/transports/websocket-server.js'
import { deferred, hashSink, payload, pull, randomWrites, sha256, type PlainStream, type Source, type Received } from '../pull/helpers.js'
import { bufferKeys } from '../pull/interop.js'
import { readAll } from '../helpers/net.js'

const require = createRequire(import.meta.url)
/** multiserver's composition and its two plugins (CommonJS, untyped). */
const MultiServer = require('multiserver') as (plugs: unknown[][]) => MultiServerApi
const WsPlugin = require('multiserver/plugins/ws') as (opts: { server?: http.Server, host?: string }) => unknown
const ShsPlugin = require('multiserver/plugins/shs') as (opts: { keys: object, appKey: Buffer, auth?: (pub: Buffer, cb: (err: null, ok: boolean) => void) => void }) => unknown

interface MultiServerApi {
  client(address: string, cb: (err: Error | null, stream?: PlainStream & { address: string }) => void): void
  server(onConnect: (stream: PlainStream & { address: string }) => void, onError?: (err: Error) => void, started?: (err: Error | null) => void): (cb?: () => void) => void
  stringify(scope?: string): string
}

/**
 * The multiserver side of a connection: sends `data` in random writes, reads everything, and ends
 * its own source only after the peer's goodbye (pull-websocket closes the socket when it ends).
 */
function exchange(stream: PlainStream, data: Buffer, seed: number): Promise<Received> {
  const h = hashSink()
  const theirs = deferred<void>()
  let ended = false
  h.done.then(() => theirs.cb(null), () => theirs.cb(null))
  const writes = randomWrites(data, seed)
  const source: Source<Buffer> = (abort, cb) => {
    if (ended) return cb(true)
    writes(abort, (end, chunk) => {
      if (end !== true) return cb(end, chunk)
      ended = true
      theirs.promise.then(() => cb(true), () => cb(true))
    })
  }
  h.sink(stream.source)
  pull(source, stream.sink)
  return h.done
}

/** Our side: writes `data`, ends, and reads until the peer's goodbye. */
async function ourExchange(stream: SecretStream, data: Buffer): Promise<Buffer> {
  const got = readAll(stream)
  for (let at = 0; at < data.length; at += 65536) stream.write(data.subarray(at, at + 65536))
  stream.end()
  return got
}

test('a multiserver client (ws + shs plugins) ↔ our createWebSocketServer: ids, data both ways, goodbyes', { timeout: 30_000 }, async (t) => {
  const appKey = payload(32)
  const serverKeys = bufferKeys()
  const clientKeys = bufferKeys()
  const toClient = payload(2 * 1024 * 1024 + 5)
  const toServer = payload(1024 * 1024 + 7)
  const seen = deferred<{ id: Buffer, received: Buffer }>()
  const server = createWebSocketServer({ keyPair: serverKeys, appKey, port: 0, host: '127.0.0.1' }, (stream) => {
    ourExchange(stream, toClient).then((received) => seen.cb(null, { id: stream.remotePublicKey!, received }), (err: Error) => seen.cb(err))
  })
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port

  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const ms = MultiServer([[WsPlugin({}), ShsPlugin({ keys: clientKeys, appKey })]])
  const connected = deferred<PlainStream & { address: string }>()
  ms.client(`ws://127.0.0.1:${port}~shs:${serverKeys.publicKey.toString('base64')}`, connected.cb)
  const client = await connected.promise
  t.ok(client.remote.equals(serverKeys.publicKey), 'the multiserver client proved our server id')
  t.ok(client.address.endsWith(`~shs:${serverKeys.publicKey.toString('base64')}`), `multiserver names the peer by its ws~shs address (${client.address})`)
  const [atClient, atServer] = await Promise.all([exchange(client, toServer, 11), seen.promise])
  t.ok(atServer.id.equals(clientKeys.publicKey), 'our server proved the multiserver client id')
  t.equal(sha256(atServer.received), sha256(toServer), `multiserver → ours: ${toServer.length} bytes, SHA-256 matches`)
  t.error(atClient.err, 'the multiserver client saw a clean end (our goodbye)')
  t.equal(atClient.bytes, toClient.length, 'ours → multiserver: every byte')
  t.equal(atClient.hash, sha256(toClient), 'ours → multiserver: SHA-256 matches')
})

test('our fromWebSocket + SecretStream client ↔ a multiserver server (ws + shs plugins): ids, data both ways, goodbyes', { timeout: 30_000 }, async (t) => {
  const appKey = payload(32)
  const serverKeys = bufferKeys()
  const clientKeys = bufferKeys()
  const toClient = payload(1024 * 1024 + 3)
  const toServer = payload(2 * 1024 * 1024 + 1)
  const httpServer = http.createServer()
  httpServer.listen(0, '127.0.0.1')
  await once(httpServer, 'listening')
  const port = (httpServer.address() as AddressInfo).port
  const admitted: string[] = []
  const ms = MultiServer([[WsPlugin({ server: httpServer }), ShsPlugin({
    keys: serverKeys, appKey, auth: (pub, cb) => { admitted.push(pub.toString('base64')); cb(null, true) }
  })]])
  const accepted = deferred<PlainStream & { address: string }>()
  const close = ms.server((stream) => accepted.cb(null, stream), (err) => accepted.cb(err))
  t.teardown(async () => {
    await new Promise<void>((resolve) => close(() => resolve()))
    httpServer.closeAllConnections()
    await new Promise<void>((resolve) => httpServer.close(() => resolve()))
  })

  const channel = new SecretStream(fromWebSocket(new WebSocket(`ws://127.0.0.1:${port}`)), {
    isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey
  })
  const received = ourExchange(channel, toServer)
  const server = await accepted.promise
  await channel.opened
  t.deepEqual(admitted, [clientKeys.publicKey.toString('base64')], 'the multiserver server asked its auth about our client id')
  t.ok(server.remote.equals(clientKeys.publicKey), 'the multiserver server proved our client id')
  t.ok(server.address.endsWith(`~shs:${clientKeys.publicKey.toString('base64')}`), `multiserver names us by our ws~shs address (${server.address})`)
  t.ok(Buffer.from(channel.remotePublicKey!).equals(serverKeys.publicKey), 'our client proved the multiserver server id')
  const [atServer, atClient] = await Promise.all([exchange(server, toClient, 12), received])
  t.error(atServer.err, 'the multiserver server saw a clean end (our goodbye)')
  t.equal(atServer.bytes, toServer.length, 'ours → multiserver: every byte')
  t.equal(atServer.hash, sha256(toServer), 'ours → multiserver: SHA-256 matches')
  t.equal(sha256(atClient), sha256(toClient), `multiserver → ours: ${toClient.length} bytes, SHA-256 matches, ended by its goodbye`)
})

test('a multiserver client with the wrong app key is refused by our createWebSocketServer: ERR_WRONG_APP_KEY on our side, an error on theirs', { timeout: 30_000 }, async (t) => {
  const serverKeys = bufferKeys()
  const failures: string[] = []
  const server = createWebSocketServer({ keyPair: serverKeys, appKey: payload(32), port: 0, host: '127.0.0.1' }, () => t.fail('no connection'))
  server.on('handshakeError', (err: Error & { code?: string }) => failures.push(String(err.code)))
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const ms = MultiServer([[WsPlugin({}), ShsPlugin({ keys: bufferKeys(), appKey: payload(32) })]])
  const connected = deferred<PlainStream>()
  ms.client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}~shs:${serverKeys.publicKey.toString('base64')}`, connected.cb)
  const err = await connected.promise.then(() => null, (e: Error) => e)
  t.ok(err, `the multiserver client fails (${err?.message.split('\n')[0]})`)
  t.deepEqual(failures, ['ERR_WRONG_APP_KEY'], 'our server reports ERR_WRONG_APP_KEY')
})
