/**
 * The driver and both adapters with an asynchronous curve (WebCrypto in this process), whose
 * answers the test holds back and lets go of: a step is pending; bytes fed meanwhile are kept and
 * used; an end meanwhile is decided once the step is done; destroy() meanwhile wipes and drops the
 * late answer (a late rejection included, never an unhandled rejection); the handshake deadline
 * and an abort fire during the wait, in `SecretStream` and in the pull adapter.
 */
import test from 'tape'
import { HandshakeDriver } from '../../lib/handshake/index.js'
import type { AsyncCurveBackend, AsyncCurveSession, CryptoBackend } from '../../lib/crypto/backend.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { createWebCryptoCurve } from '../../lib/crypto/webcrypto.js'
import { ErrorCodes, isSecretChannelError } from '../../lib/errors.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { runPullHandshake } from '../../lib/streams/pull/handshake.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { settle } from '../helpers/driver-outputs.js'

const concat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)))

/**
 * The real WebCrypto curve behind a gate: each operation starts only when the test calls
 * `release()` (or at once between `open()` and `close()`), and `fail()` makes the held ones reject instead.
 */
function gated(): { crypto: CryptoBackend, release: () => Promise<void>, held: () => number, fail: (err: Error) => void, open: () => void, close: () => void } {
  const sync = getCryptoBackend()
  const real = createWebCryptoCurve(sync)
  let queue: Array<{ go: () => void, fail: (err: Error) => void }> = []
  let opened = false
  const hold = <T>(op: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const entry = { go: () => { op().then(resolve, reject) }, fail: reject }
    if (opened) entry.go()
    else queue.push(entry)
  })
  const curve: AsyncCurveBackend = {
    name: 'gated-webcrypto',
    session(keyPair, ephemeralSecretKey) {
      const session = real.session(keyPair, ephemeralSecretKey)
      const wrapped: AsyncCurveSession = {
        ephemeralPublic: () => hold(() => session.ephemeralPublic()),
        x25519: (secret, peer) => hold(() => session.x25519(secret, peer)),
        sign: (message) => hold(() => session.sign(message)),
        verify: (signature, message, publicKey) => hold(() => session.verify(signature, message, publicKey)),
        destroy: () => session.destroy()
      }
      return wrapped
    }
  }
  return {
    crypto: { ...sync, name: 'gated-webcrypto', asyncCurve: curve },
    held: () => queue.length,
    async release() {
      const now = queue
      queue = []
      for (const entry of now) entry.go()
      await new Promise((resolve) => setTimeout(resolve, 5))
    },
    fail(err) {
      const now = queue
      queue = []
      for (const entry of now) entry.fail(err)
    },
    open() {
      opened = true
      for (const entry of queue.splice(0)) entry.go()
    },
    close() {
      opened = false
    }
  }
}

function drivers(crypto: CryptoBackend): { client: HandshakeDriver, server: HandshakeDriver } {
  return {
    client: new HandshakeDriver({ isInitiator: true, appKey, keyPair: clientKeys, remotePublicKey: serverKeys.publicKey, crypto }),
    server: new HandshakeDriver({ isInitiator: false, appKey, keyPair: serverKeys, crypto })
  }
}

/** Runs both drivers (answers let through) up to msg4, which is returned; the gate holds answers again afterwards. */
async function upToAccept(gate: ReturnType<typeof gated>, client: HandshakeDriver, server: HandshakeDriver): Promise<Buffer> {
  gate.open()
  const hello = concat((await settle(client.start())).send)
  const auth = concat((await settle(client.feed(concat((await settle(server.feed(hello))).send)))).send)
  await settle(server.feed(auth))
  const accept = concat((await settle(server.decide(true))).send)
  gate.close()
  return accept
}

test('with an asynchronous curve a step is pending, and bytes fed meanwhile are kept and used', async (t) => {
  const gate = gated()
  const { client } = drivers(gate.crypto)
  const start = client.start()
  t.ok(start.pending, 'start() waits for the ephemeral key')
  t.equal(start.send.length, 0, 'and sends nothing yet')
  t.ok(client.busy, 'the driver is busy')
  const meanwhile = client.feed(new Uint8Array(10))
  t.equal(meanwhile.pending, undefined, 'a feed meanwhile steps nothing')
  await gate.release()
  const hello = await start.pending!
  t.equal(hello.send.length, 1, 'the hello comes out when the answer arrives')
  t.notOk(client.busy, 'no longer busy')
  t.end()
})

test('msg4 pending: the session bytes fed meanwhile come out as rest, in order; the flood cap waits for the step', async (t) => {
  const gate = gated()
  const { client, server } = drivers(gate.crypto)
  const msg4 = await upToAccept(gate, client, server)
  const out = client.feed(msg4)
  t.ok(out.pending, 'msg4: the verification is pending')
  const data = [Buffer.alloc(40_000, 1), Buffer.alloc(40_000, 2), Buffer.from('tail')]
  for (const chunk of data) t.equal(client.feed(chunk).error, null, `${chunk.length} bytes fed while pending: kept, no flood error`)
  gate.open()
  const done = await settle(out)
  t.ok(done.ready, 'the client is ready')
  t.ok(concat(done.rest).equals(Buffer.concat(data)), 'every byte fed meanwhile is the session\'s first data, in order')
})

test('an end while a step is pending is decided once it is done: after msg4 it is box-stream\'s, after msg2 it is ERR_UNAUTHORIZED', async (t) => {
  {
    const gate = gated()
    const { client, server } = drivers(gate.crypto)
    gate.open()
    const hello = concat((await settle(client.start())).send)
    const msg2 = concat((await settle(server.feed(hello))).send)
    const out = client.feed(msg2)
    t.ok(out.pending, 'msg2: pending')
    t.equal(client.hangUp({ kind: 'end' }), null, 'the end is not decided yet')
    const done = await settle(out)
    t.equal(done.send.length, 1, 'msg3 still goes out (as with a synchronous backend, which had sent it before the end came)')
    t.equal(done.error?.code, ErrorCodes.UNAUTHORIZED, 'then the end: the server hung up after we authenticated')
  }
  {
    const gate = gated()
    const { client, server } = drivers(gate.crypto)
    const msg4 = await upToAccept(gate, client, server)
    gate.open()
    const out = client.feed(msg4)
    t.ok(out.pending, 'msg4: pending')
    t.equal(client.hangUp({ kind: 'end' }), null, 'an end right behind msg4 is not decided yet')
    const done = await settle(out)
    t.ok(done.ready, 'the client is ready')
    t.ok(done.ended, 'and told the transport ended, for box-stream to hear')
  }
})

test('destroy() while a step is pending drops the late answer; a late rejection is not an unhandled rejection', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason)
  }
  process.on('unhandledRejection', onUnhandled)
  try {
    const gate = gated()
    const { client } = drivers(gate.crypto)
    const start = client.start()
    client.destroy()
    t.equal(client.state, 'failed', 'destroyed while waiting')
    await gate.release()
    const late = await start.pending!
    t.deepEqual([late.send.length, late.error, late.ready, late.pending], [0, null, null, undefined], 'the late answer is dropped: nothing to send, no error, no session')

    const gate2 = gated()
    const { client: c2 } = drivers(gate2.crypto)
    const start2 = c2.start()
    c2.destroy()
    gate2.fail(new Error('WebCrypto went away'))
    const late2 = await start2.pending!
    t.equal(late2.error, null, 'a late rejection is dropped too')
    await new Promise((resolve) => setTimeout(resolve, 20))
    t.deepEqual(unhandled, [], 'and nothing surfaced as an unhandled rejection')

    const gate3 = gated()
    const { client: c3 } = drivers(gate3.crypto)
    const start3 = c3.start()
    gate3.fail(new Error('WebCrypto went away'))
    const failed = await start3.pending!
    t.ok(isSecretChannelError(failed.error, 'ERR_PROTOCOL'), 'a rejection while alive fails the handshake with ERR_PROTOCOL')
    t.equal((failed.error?.cause as Error)?.message, 'WebCrypto went away', 'with the rejection as cause')
    t.equal(c3.state, 'failed')
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

test('SecretStream: the handshake deadline and an abort fire while a step waits; the late answer does nothing', async (t) => {
  {
    const gate = gated()
    const [a] = createDuplexPair()
    const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, crypto: gate.crypto, handshakeTimeout: 50 })
    const err = await new Promise<Error>((resolve) => client.once('error', resolve))
    t.ok(isSecretChannelError(err, 'ERR_HANDSHAKE_TIMEOUT'), `deadline during the wait: ${err.message}`)
    t.ok(gate.held() > 0, 'the step was still waiting for its answer')
    await gate.release()
    t.ok(client.destroyed, 'still destroyed; the late answer changed nothing')
  }
  {
    const gate = gated()
    const controller = new AbortController()
    const [a] = createDuplexPair()
    const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, crypto: gate.crypto, signal: controller.signal })
    const failed = new Promise<Error>((resolve) => client.once('error', resolve))
    controller.abort()
    const err = await failed
    t.equal(err.name, 'AbortError', 'an abort during the wait')
    await gate.release()
    t.ok(client.destroyed, 'destroyed, the late answer dropped')
  }
})

test('SecretStream: a whole handshake and data over an asynchronous curve, both sides', async (t) => {
  const gate = gated()
  gate.open()
  // The asynchronous curve makes its own ephemeral keys: the machines never draw a second one.
  let drawn = 0
  const crypto: CryptoBackend = { ...gate.crypto, randomBytes: (n) => { drawn++; return gate.crypto.randomBytes(n) } }
  const [a, b] = createDuplexPair()
  const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, crypto })
  const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey, crypto })
  await Promise.all([client.opened, server.opened])
  t.equal(drawn, 0, 'no ephemeral secret drawn from the synchronous backend (the curve has its own)')
  t.ok(Buffer.from(server.remotePublicKey!).equals(Buffer.from(clientKeys.publicKey)), 'the server learned the client key')
  const got = new Promise<Buffer>((resolve) => server.once('data', resolve))
  client.write(Buffer.from('over WebCrypto'))
  t.equal(Buffer.from(await got).toString(), 'over WebCrypto', 'data flows')
  client.destroy()
  server.destroy()
})

test('pull adapter: the deadline fires while a step waits, once, and the late answer does nothing', async (t) => {
  const gate = gated()
  const outcomes: Array<Error | null> = []
  const duplex = runPullHandshake(
    () => new HandshakeDriver({ isInitiator: true, appKey, keyPair: clientKeys, remotePublicKey: serverKeys.publicKey, crypto: gate.crypto }),
    50,
    null,
    (err) => outcomes.push(err)
  )
  duplex.sink((_abort, _cb) => {})
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(outcomes.length, 1, 'told once')
  t.ok(isSecretChannelError(outcomes[0], 'ERR_HANDSHAKE_TIMEOUT'), `deadline during the wait: ${outcomes[0]?.message}`)
  await gate.release()
  t.equal(outcomes.length, 1, 'the late answer changes nothing')
})
