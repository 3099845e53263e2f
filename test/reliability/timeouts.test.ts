/**
 * Deadlines: the whole-handshake deadline (a stalled or one-byte-at-a-time peer is dropped at the
 * deadline, not later), the AbortSignal (before, during and after the handshake) and the optional
 * idle timeout on open channels. Raw peers are plain TCP sockets on 127.0.0.1.
 */
import test from 'tape'
import type net from 'node:net'
import { ErrorCodes } from '../../lib/errors.js'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { DEFAULT_HANDSHAKE_TIMEOUT, SecretStream } from '../../lib/streams/secret-stream.js'
import { appKey, clientKeys, firstError, memoryChannel, serverKeys } from '../helpers/channel.js'
import { checkNoStrays, installGuards, sleep } from '../helpers/guards.js'
import { connect, hungUp, listen } from '../helpers/tcp.js'

installGuards()

const serverOptions = { isInitiator: false, keyPair: serverKeys, appKey } as const
const clientOptions = { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey } as const

test('the default whole-handshake deadline is 10 s', (t) => {
  t.equal(DEFAULT_HANDSHAKE_TIMEOUT, 10_000)
  t.end()
})

test('server: a client that connects and says nothing is dropped at the deadline with ERR_HANDSHAKE_TIMEOUT', async (t) => {
  let stream: SecretStream | null = null
  const l = await listen((s) => { stream = new SecretStream(s, { ...serverOptions, handshakeTimeout: 300 }) })
  const raw = await connect(l.port)
  raw.resume()
  const started = Date.now()
  await sleep(20)
  const err = await firstError(stream!)
  const elapsed = Date.now() - started
  t.equal(err?.code, ErrorCodes.HANDSHAKE_TIMEOUT, 'ERR_HANDSHAKE_TIMEOUT')
  t.ok(err?.message.startsWith('client hello'), `the message names the phase: ${err?.message}`)
  t.ok(elapsed >= 250 && elapsed < 1000, `at the deadline (${elapsed + 20} ms after connect)`)
  await hungUp(raw)
  t.pass('the silent peer was disconnected')
  raw.destroy()
  await l.close()
  await checkNoStrays(t)
})

test('server: a client that trickles a valid hello one byte every 25 ms is dropped at the deadline, not after', async (t) => {
  let stream: SecretStream | null = null
  const l = await listen((s) => { stream = new SecretStream(s, { ...serverOptions, handshakeTimeout: 400 }) })
  const raw = await connect(l.port)
  raw.resume()
  raw.on('error', () => {})
  const hello = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey }).createHello()
  const started = Date.now()
  let sent = 0
  const trickle = setInterval(() => {
    if (sent < hello.length && !raw.destroyed) raw.write(hello.subarray(sent, ++sent))
  }, 25)
  await sleep(5)
  const err = await firstError(stream!)
  const elapsed = Date.now() - started
  clearInterval(trickle)
  t.equal(err?.code, ErrorCodes.HANDSHAKE_TIMEOUT, 'ERR_HANDSHAKE_TIMEOUT: trickled bytes do not extend the deadline')
  t.ok(elapsed >= 380 && elapsed < 1200, `dropped at ${elapsed} ms (deadline 400)`)
  t.ok(sent < hello.length, `only ${sent} of 64 bytes had arrived`)
  await hungUp(raw)
  raw.destroy()
  await l.close()
  await checkNoStrays(t)
})

test('client: a server that answers the hello and then stalls is dropped at the deadline in phase 4', async (t) => {
  const l = await listen((s: net.Socket) => {
    const hs = new ServerHandshake({ appKey, keyPair: serverKeys })
    s.once('data', (msg1: Buffer) => {
      hs.receiveHello(msg1.subarray(0, 64))
      s.write(hs.createHello()) // then never answer msg3
    })
  })
  const raw = await connect(l.port)
  const client = new SecretStream(raw, { ...clientOptions, handshakeTimeout: 300 })
  const started = Date.now()
  const err = await firstError(client)
  t.equal(err?.code, ErrorCodes.HANDSHAKE_TIMEOUT, 'ERR_HANDSHAKE_TIMEOUT')
  t.ok(err?.message.startsWith('server accept'), `the message names phase 4: ${err?.message}`)
  t.ok(Date.now() - started < 1000, 'at the deadline')
  await client.opened.then(() => t.fail('opened resolved'), (e) => t.equal(e, err, 'opened rejects with the same error'))
  t.ok(raw.destroyed, 'our transport was destroyed')
  await l.close()
  await checkNoStrays(t)
})

test('AbortSignal: already aborted, aborted mid-handshake, aborted on an open channel', async (t) => {
  const pre = new AbortController()
  pre.abort(new Error('never mind'))
  const a = memoryChannel({ signal: pre.signal })
  const e1 = await firstError(a.client)
  t.equal(e1?.code, ErrorCodes.ABORTED, 'a pre-aborted signal: ERR_ABORTED')
  t.equal(e1?.cause, pre.signal.reason, 'with the reason as cause')
  a.server.destroy()

  const mid = new AbortController()
  const l = await listen(() => {}) // accepts, never answers
  const raw = await connect(l.port)
  const stalled = new SecretStream(raw, { ...clientOptions, signal: mid.signal })
  setTimeout(() => mid.abort(), 50)
  const e2 = await firstError(stalled)
  t.equal(e2?.code, ErrorCodes.ABORTED, 'mid-handshake: ERR_ABORTED')
  t.ok(raw.destroyed, 'our transport was destroyed')
  await l.close()

  const open = new AbortController()
  const b = memoryChannel({}, { signal: open.signal })
  await Promise.all([b.client.opened, b.server.opened])
  b.client.resume()
  const peer = firstError(b.client)
  open.abort()
  const e3 = await firstError(b.server)
  t.equal(e3?.code, ErrorCodes.ABORTED, 'open channel: the aborted side gets ERR_ABORTED')
  t.equal((await peer)?.code, ErrorCodes.TRUNCATED, 'and its peer sees a truncation, not a clean end')
  await checkNoStrays(t)
})

test('idle timeout: an open channel without traffic is destroyed with ERR_IDLE_TIMEOUT; traffic keeps it alive', async (t) => {
  const quiet = memoryChannel({}, { idleTimeout: 150 })
  await Promise.all([quiet.client.opened, quiet.server.opened])
  quiet.client.resume()
  const started = Date.now()
  const peer = firstError(quiet.client)
  const err = await firstError(quiet.server)
  t.equal(err?.code, ErrorCodes.IDLE_TIMEOUT, 'ERR_IDLE_TIMEOUT')
  t.ok(Date.now() - started >= 140, 'not before the timeout')
  t.equal((await peer)?.code, ErrorCodes.TRUNCATED, 'the peer sees a truncation')

  // 20 ticks 50 ms apart outlive a 400 ms idle timeout 2.5 times over, while each gap stays 8× below
  // it, so a loaded machine's late timers cannot fake an idle period.
  const busy = memoryChannel({}, { idleTimeout: 400 })
  await Promise.all([busy.client.opened, busy.server.opened])
  let failed: unknown = null
  busy.server.on('error', (e) => { failed = e })
  busy.server.resume()
  for (let i = 0; i < 20; i++) {
    busy.client.write('tick')
    await sleep(50)
  }
  t.equal(failed, null, 'still open after 1 s of traffic every 50 ms')
  const ended = new Promise<void>((resolve) => busy.server.once('end', () => resolve()))
  busy.client.end()
  await ended
  busy.server.end()
  await sleep(500)
  t.equal(failed, null, 'no idle timeout after both sides ended cleanly')
  t.throws(() => memoryChannel({ idleTimeout: -1 }), /idleTimeout/, 'a negative idleTimeout is ERR_INVALID_ARGUMENT')
  await checkNoStrays(t)
})
