/**
 * The sans-I/O handshake driver on its own: two drivers wired back to back, fed in every chunking,
 * with the server's authorize step, the bytes after the handshake handed over, the input cap, and
 * the one hang-up table. No socket, no timer.
 */
import test from 'tape'
import { HandshakeDriver, MAX_HANDSHAKE_INPUT, type DriverOutput } from '../../lib/handshake/index.js'
import { ErrorCodes } from '../../lib/errors.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'

const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)))

function pair(): { client: HandshakeDriver, server: HandshakeDriver } {
  return {
    client: new HandshakeDriver({ isInitiator: true, appKey, keyPair: clientKeys, remotePublicKey: serverKeys.publicKey }),
    server: new HandshakeDriver({ isInitiator: false, appKey, keyPair: serverKeys })
  }
}

/** Feeds `bytes` to `driver` in pieces of `size`, collecting everything it decides. */
function feedIn(driver: HandshakeDriver, bytes: Uint8Array, size: number): DriverOutput {
  const all: DriverOutput = { send: [], authorize: null, ready: null, rest: [], error: null }
  for (let at = 0; at < bytes.length; at += size) {
    const out = driver.feed(bytes.subarray(at, at + size))
    all.send.push(...out.send)
    all.authorize ??= out.authorize
    all.ready ??= out.ready
    all.rest.push(...out.rest)
    all.error ??= out.error
  }
  return all
}

test('two drivers complete a handshake in every chunk size, with authorize and the bytes that follow', (t) => {
  for (const size of [1, 7, 63, 64, 65, 111, 176, 1000]) {
    const { client, server } = pair()
    const hello = concat(client.start().send)
    const s1 = feedIn(server, hello, size)
    t.equal(s1.send.length, 1, `size ${size}: the server answers the hello`)
    const c1 = feedIn(client, concat(s1.send), size)
    const extra = Buffer.from('box-stream bytes right behind msg3')
    const s2 = feedIn(server, Buffer.concat([concat(c1.send), extra]), size)
    t.ok(s2.authorize && Buffer.from(s2.authorize).equals(Buffer.from(clientKeys.publicKey)), 'the server asks about the proven client key')
    t.equal(server.state, 'authorize', 'and waits')
    const accept = server.decide(true)
    t.ok(accept.ready, 'accepting makes the server ready')
    t.ok(concat([...s2.rest, ...accept.rest]).equals(extra), 'bytes after msg3 are handed over, in order')
    const c2 = feedIn(client, concat(accept.send), size)
    t.ok(c2.ready && Buffer.from(c2.ready.encryptKey).equals(Buffer.from(accept.ready!.decryptKey)), 'the client is ready with matching keys')
  }
  t.end()
})

test('a refusal sends nothing and is ERR_UNAUTHORIZED; a late verdict does nothing', (t) => {
  const { client, server } = pair()
  const s1 = server.feed(concat(client.start().send))
  const s2 = server.feed(concat(client.feed(concat(s1.send)).send))
  t.ok(s2.authorize, 'asked')
  const refused = server.decide(false)
  t.equal(refused.error?.code, ErrorCodes.UNAUTHORIZED, 'ERR_UNAUTHORIZED')
  t.equal(refused.send.length, 0, 'nothing is sent')
  t.equal(server.decide(true).ready, null, 'a second verdict does nothing')
  t.end()
})

test('more input than the handshake allows is ERR_PROTOCOL', (t) => {
  const { server } = pair()
  const out = server.feed(new Uint8Array(MAX_HANDSHAKE_INPUT + 1))
  t.equal(out.error?.code, ErrorCodes.PROTOCOL, 'one feed over the cap: ERR_PROTOCOL before anything is parsed')
  const fresh = pair().server
  const flood = fresh.feed(new Uint8Array(MAX_HANDSHAKE_INPUT + 1).fill(1).subarray(0, 63))
  t.equal(flood.error, null, 'a partial hello is fine')
  t.equal(fresh.feed(new Uint8Array(MAX_HANDSHAKE_INPUT)).error?.code, ErrorCodes.PROTOCOL, 'past the cap: ERR_PROTOCOL')
  t.end()
})

test('hangUp: one code per (phase, event)', (t) => {
  const end = { kind: 'end' } as const
  const reset = { kind: 'error', cause: new Error('ECONNRESET') } as const
  let { client, server } = pair()
  client.start()
  t.equal(client.hangUp(end)?.code, ErrorCodes.WRONG_APP_KEY, 'client, no byte of the server hello: ERR_WRONG_APP_KEY')
  ;({ client } = pair())
  client.start()
  const e = client.hangUp(reset)
  t.equal(e?.code, ErrorCodes.WRONG_APP_KEY, 'the same for a reset at that boundary')
  t.equal((e?.cause as Error)?.message, 'ECONNRESET', 'with the transport error as cause')
  ;({ client } = pair())
  client.start()
  client.feed(new Uint8Array(10))
  t.equal(client.hangUp(end)?.code, ErrorCodes.TRUNCATED, 'client, part of the hello: ERR_TRUNCATED')
  ;({ client, server } = pair())
  client.feed(concat(server.feed(concat(client.start().send)).send))
  t.equal(client.state, 'await-accept', 'client waits for the acceptance')
  t.equal(client.hangUp(end)?.code, ErrorCodes.UNAUTHORIZED, 'client, no byte of the acceptance: ERR_UNAUTHORIZED')
  t.equal(client.hangUp(end), null, 'a spent driver decides nothing more')
  ;({ server } = pair())
  t.equal(server.hangUp(end)?.code, ErrorCodes.TRUNCATED, 'server, no byte of the hello: ERR_TRUNCATED')
  ;({ server } = pair())
  t.equal(server.hangUp(reset)?.code, ErrorCodes.TRANSPORT, 'server, reset: ERR_TRANSPORT')
  ;({ client, server } = pair())
  server.feed(concat(client.feed(concat(server.feed(concat(client.start().send)).send)).send))
  t.equal(server.state, 'authorize', 'server deciding')
  t.equal(server.hangUp(end), null, 'a client half-close while we decide is not a failure')
  t.equal(server.hangUp(reset)?.code, ErrorCodes.TRANSPORT, 'a transport failure while we decide is')
  t.end()
})
