/**
 * Nothing is left behind: after every way a channel can finish (clean end, both ends at once,
 * wrong app key, refusal, handshake timeout, destroy in the first tick, destroy after open, abort,
 * idle timeout), no timer, socket or server stays active (counted with
 * process.getActiveResourcesInfo()), and no listener stays on the transport or the AbortSignal.
 */
import test from 'tape'
import { getEventListeners } from 'node:events'
import type net from 'node:net'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { activeResources, checkNoStrays, installGuards, sleep, within } from '../helpers/guards.js'
import { connect, listen } from '../helpers/tcp.js'

installGuards()

interface Pair {
  client: SecretStream
  server: SecretStream
  rawClient: net.Socket
  rawServer: net.Socket
  signal: AbortController
  done: Promise<void>
  close(): Promise<void>
}

/** A SecretStream pair over a fresh TCP connection; `done` resolves when both have closed. */
async function pair(client: Partial<SecretStreamOptions> = {}, server: Partial<SecretStreamOptions> = {}): Promise<Pair> {
  const signal = new AbortController()
  let resolveServer!: (s: { stream: SecretStream; raw: net.Socket }) => void
  const accepted = new Promise<{ stream: SecretStream; raw: net.Socket }>((r) => { resolveServer = r })
  const l = await listen((raw) => {
    const stream = new SecretStream(raw, { isInitiator: false, keyPair: serverKeys, appKey, signal: signal.signal, ...server })
    stream.on('error', () => {})
    resolveServer({ stream, raw })
  })
  const rawClient = await connect(l.port)
  const c = new SecretStream(rawClient, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, signal: signal.signal, ...client })
  c.on('error', () => {})
  const s = await accepted
  const closedOnce = (x: SecretStream): Promise<void> => new Promise((r) => (x.destroyed && (x as unknown as { closed?: boolean }).closed ? r() : x.once('close', () => r())))
  return { client: c, server: s.stream, rawClient, rawServer: s.raw, signal, done: Promise.all([closedOnce(c), closedOnce(s.stream)]).then(() => {}), close: () => l.close() }
}

const WATCHED = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'Immediate']

function leaks(before: Record<string, number>): string[] {
  const now = activeResources()
  return WATCHED.filter((k) => (now[k] ?? 0) > (before[k] ?? 0)).map((k) => `${k}: ${before[k] ?? 0} -> ${now[k]}`)
}

const scenarios: Array<[string, Partial<SecretStreamOptions>, Partial<SecretStreamOptions>, (p: Pair) => unknown]> = [
  ['clean end on both sides', {}, {}, async (p) => {
    await p.client.opened
    p.server.resume()
    p.client.resume()
    p.client.end('bye')
    p.server.end('bye')
  }],
  ['both sides end in the same tick, right after opening', {}, {}, async (p) => {
    await Promise.all([p.client.opened, p.server.opened])
    p.server.resume()
    p.client.resume()
    p.client.end()
    p.server.end()
  }],
  ['wrong app key', { appKey: Buffer.alloc(32, 9) }, {}, () => {}],
  ['authorize refuses', {}, { authorize: async () => false }, () => {}],
  ['handshake timeout', {}, { handshakeTimeout: 100 }, (p) => {
    // The client never gets to speak: its hello is swallowed by pausing and cutting its socket.
    p.client.destroy()
  }],
  ['destroy in the first tick (client)', {}, {}, (p) => p.client.destroy()],
  ['destroy in the first tick (server, with an error)', {}, {}, (p) => p.server.destroy(new Error('first tick'))],
  ['destroy after open', {}, {}, async (p) => {
    await p.client.opened
    p.client.destroy(new Error('bye'))
  }],
  ['abort after open', {}, {}, async (p) => {
    await Promise.all([p.client.opened, p.server.opened])
    p.signal.abort()
  }],
  ['idle timeout', {}, { idleTimeout: 100 }, async (p) => {
    await p.client.opened
    p.client.resume()
  }]
]

for (const [name, clientOpts, serverOpts, act] of scenarios) {
  test(`no timer, socket or listener left after: ${name}`, async (t) => {
    await sleep(10)
    const before = activeResources()
    const p = await pair(clientOpts, serverOpts)
    await act(p)
    const finished = await within(p.done, 3000)
    t.ok(finished, 'both streams closed')
    await p.close()
    await sleep(50)
    t.deepEqual(leaks(before), [], 'active timers/sockets/servers back to the baseline')
    for (const [side, raw, stream] of [['client', p.rawClient, p.client], ['server', p.rawServer, p.server]] as const) {
      t.ok(raw.destroyed, `${side} transport destroyed`)
      // The adapter's own handlers (private fields) must all be detached from the transport.
      const mine = ['onRawData', 'onRawEnd', 'onRawClose', 'onRawDrain', 'onRawError'].map((k) => (stream as unknown as Record<string, unknown>)[k]) // private fields, read by name
      const left = ['data', 'end', 'close', 'drain', 'error'].filter((e) => raw.listeners(e).some((fn) => mine.includes(fn)))
      t.deepEqual(left, [], `no adapter listener left on the ${side} transport`)
    }
    t.equal(getEventListeners(p.signal.signal, 'abort').length, 0, 'no abort listener left on the signal')
    await checkNoStrays(t)
  })
}
