/**
 * The sans-I/O handshake driver on its own: two drivers wired back to back, fed in every chunking,
 * with the server's authorize step, the bytes after the handshake handed over, the input cap, and
 * the one hang-up table. No socket, no timer.
 */
import test from 'tape'
import { HandshakeDriver, MAX_HANDSHAKE_INPUT, type DriverOutput } from '../../lib/handshake/index.js'
import { ErrorCodes } from '../../lib/errors.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { collect, settle } from '../helpers/driver-outputs.js'

const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)))

function pair(): { client: HandshakeDriver, server: HandshakeDriver } {
  return {
    client: new HandshakeDriver({ isInitiator: true, appKey, keyPair: clientKeys, remotePublicKey: serverKeys.publicKey }),
    server: new HandshakeDriver({ isInitiator: false, appKey, keyPair: serverKeys })
  }
}

/** Feeds `bytes` to `driver` in pieces of `size` (without waiting in between), collecting everything it decides. */
function feedIn(driver: HandshakeDriver, bytes: Uint8Array, size: number): Promise<DriverOutput> {
  const outputs: DriverOutput[] = []
  for (let at = 0; at < bytes.length; at += size) outputs.push(driver.feed(bytes.subarray(at, at + size)))
  return collect(outputs)
}

/** The messages `out` (and what it waits for) says to send, as one buffer. */
const sent = async (out: DriverOutput): Promise<Buffer> => concat((await settle(out)).send)

/** Client and server up to the server's authorize step; returns msg3. */
async function upToAuthorize(client: HandshakeDriver, server: HandshakeDriver): Promise<{ auth: Buffer, asked: DriverOutput }> {
  const auth = await sent(client.feed(await sent(server.feed(await sent(client.start())))))
  return { auth, asked: await settle(server.feed(auth)) }
}

test('two drivers complete a handshake in every chunk size, with authorize and the bytes that follow', async (t) => {
  for (const size of [1, 7, 63, 64, 65, 111, 176, 1000]) {
    const { client, server } = pair()
    const hello = await sent(client.start())
    const s1 = await feedIn(server, hello, size)
    t.equal(s1.send.length, 1, `size ${size}: the server answers the hello`)
    const c1 = await feedIn(client, concat(s1.send), size)
    const extra = Buffer.from('box-stream bytes right behind msg3')
    const s2 = await feedIn(server, Buffer.concat([concat(c1.send), extra]), size)
    t.ok(s2.authorize && Buffer.from(s2.authorize).equals(Buffer.from(clientKeys.publicKey)), 'the server asks about the proven client key')
    t.equal(server.state, 'authorize', 'and waits')
    const accept = await settle(server.decide(true))
    t.ok(accept.ready, 'accepting makes the server ready')
    t.ok(concat([...s2.rest, ...accept.rest]).equals(extra), 'bytes after msg3 are handed over, in order')
    const c2 = await feedIn(client, concat(accept.send), size)
    t.ok(c2.ready && Buffer.from(c2.ready.encryptKey).equals(Buffer.from(accept.ready!.decryptKey)), 'the client is ready with matching keys')
  }
})

test('a refusal sends nothing and is ERR_UNAUTHORIZED; a late verdict does nothing', async (t) => {
  const { client, server } = pair()
  const { asked } = await upToAuthorize(client, server)
  t.ok(asked.authorize, 'asked')
  const refused = server.decide(false)
  t.equal(refused.error?.code, ErrorCodes.UNAUTHORIZED, 'ERR_UNAUTHORIZED')
  t.equal(refused.send.length, 0, 'nothing is sent')
  t.equal((await settle(server.decide(true))).ready, null, 'a second verdict does nothing')
})

test('more input than the handshake allows is ERR_PROTOCOL', async (t) => {
  const { client, server } = pair()
  const { asked } = await upToAuthorize(client, server)
  t.ok(asked.authorize, 'the server waits for its application to decide on the client')
  t.equal(server.feed(new Uint8Array(MAX_HANDSHAKE_INPUT)).error, null, 'bytes up to the cap may wait meanwhile')
  const out = server.feed(new Uint8Array(1))
  t.equal(out.error?.code, ErrorCodes.PROTOCOL, 'one more: ERR_PROTOCOL')
  t.equal(out.send.length, 0, 'and nothing is sent')
})

test('bytes after the last handshake message are the session\'s, however many arrive with it', async (t) => {
  const { client, server } = pair()
  await upToAuthorize(client, server)
  const accept = await sent(server.decide(true))
  const data = Buffer.alloc(4 * MAX_HANDSHAKE_INPUT, 0x5a)
  const out = await settle(client.feed(concat([accept, data])))
  t.equal(out.error, null, `the acceptance and ${data.length} more bytes in one feed: no error`)
  t.ok(out.ready, 'the client is ready')
  t.ok(concat(out.rest).equals(data), 'and every byte after the acceptance is handed over as the session\'s first data')
})

test('hangUp: one code per (phase, event)', async (t) => {
  const end = { kind: 'end' } as const
  const reset = { kind: 'error', cause: new Error('ECONNRESET') } as const
  let { client, server } = pair()
  await settle(client.start())
  t.equal(client.hangUp(end)?.code, ErrorCodes.WRONG_APP_KEY, 'client, no byte of the server hello: ERR_WRONG_APP_KEY')
  ;({ client } = pair())
  await settle(client.start())
  const e = client.hangUp(reset)
  t.equal(e?.code, ErrorCodes.WRONG_APP_KEY, 'the same for a reset at that boundary')
  t.equal((e?.cause as Error)?.message, 'ECONNRESET', 'with the transport error as cause')
  ;({ client } = pair())
  await settle(client.start())
  client.feed(new Uint8Array(10))
  t.equal(client.hangUp(end)?.code, ErrorCodes.TRUNCATED, 'client, part of the hello: ERR_TRUNCATED')
  ;({ client, server } = pair())
  await settle(client.feed(await sent(server.feed(await sent(client.start())))))
  t.equal(client.state, 'await-accept', 'client waits for the acceptance')
  t.equal(client.hangUp(end)?.code, ErrorCodes.UNAUTHORIZED, 'client, no byte of the acceptance: ERR_UNAUTHORIZED')
  t.equal(client.hangUp(end), null, 'a spent driver decides nothing more')
  ;({ server } = pair())
  t.equal(server.hangUp(end)?.code, ErrorCodes.TRUNCATED, 'server, no byte of the hello: ERR_TRUNCATED')
  ;({ server } = pair())
  t.equal(server.hangUp(reset)?.code, ErrorCodes.TRANSPORT, 'server, reset: ERR_TRANSPORT')
  ;({ client, server } = pair())
  await upToAuthorize(client, server)
  t.equal(server.state, 'authorize', 'server deciding')
  t.equal(server.hangUp(end), null, 'a client half-close while we decide is not a failure')
  t.equal(server.hangUp(reset)?.code, ErrorCodes.TRANSPORT, 'a transport failure while we decide is')
})
