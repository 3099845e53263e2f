/**
 * Defect 4 of the streams rebuild: one decision per (phase, event), the same code in both adapters.
 * A peer that hangs up after k bytes of the message we wait for:
 * ```
 * client, awaiting the server hello:  k = 0 -> ERR_WRONG_APP_KEY   (a server on another network hangs up on our hello)
 *                                     k > 0 -> ERR_TRUNCATED
 * client, awaiting the acceptance:    k = 0 -> ERR_UNAUTHORIZED    (refused, or a wrong number: SHS1 does not say)
 *                                     k > 0 -> ERR_TRUNCATED
 * server, awaiting hello or auth:     any k -> ERR_TRUNCATED
 * ```
 */
import test from 'tape'
import { createRequire } from 'node:module'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { createClient as pullClient, createServer as pullServer } from '../../lib/streams/pull.js'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { ErrorCodes } from '../../lib/errors.js'
import type { End } from '../../lib/streams/pull/types.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'

const require = createRequire(import.meta.url)
const pull = require('pull-stream')

/** What these tests read off a failure: its code. */
type Failure = (Error & { code?: string }) | null

/** The bytes a client receives in an honest handshake (msg2 ‖ msg4), and a server's (msg1 ‖ msg3). */
function transcripts(): { toClient: Buffer, toServer: Buffer } {
  const c = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
  const s = new ServerHandshake({ appKey, keyPair: serverKeys })
  const msg1 = c.createHello()
  s.receiveHello(msg1)
  const msg2 = s.createHello()
  c.receiveHello(msg2)
  const msg3 = c.createAuth()
  s.receiveAuth(msg3)
  const { message: msg4 } = s.createAccept()
  return { toClient: Buffer.concat([msg2, msg4]), toServer: Buffer.concat([msg1, msg3]) }
}

function expected(side: 'client' | 'server', k: number): string {
  if (side === 'server') return ErrorCodes.TRUNCATED
  if (k === 0) return ErrorCodes.WRONG_APP_KEY
  if (k === 64) return ErrorCodes.UNAUTHORIZED
  return ErrorCodes.TRUNCATED
}

/** SecretStream fed the first k bytes and then a clean end. The transcript must come from the same ephemerals: only msg2 is checked before a cut, and a real one fails... so cut points past a hello use the stream's own peer. */
async function viaSecretStream(side: 'client' | 'server', bytes: Buffer): Promise<string | undefined> {
  const [a, b] = createDuplexPair()
  const stream = side === 'client'
    ? new SecretStream(b, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
    : new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  a.resume()
  const err = new Promise<Failure>((resolve) => { stream.on('error', (e) => resolve(e as Failure)); stream.on('close', () => resolve(null)) })
  if (bytes.length) a.write(bytes)
  a.end()
  return (await err)?.code
}

async function viaPull(side: 'client' | 'server', bytes: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (err: Failure): void => resolve(err?.code)
    const shake = side === 'client'
      ? pullClient(clientKeys, appKey)(serverKeys.publicKey, done)
      : pullServer(serverKeys, (_k: Buffer, cb: (e: null, ok: boolean) => void) => cb(null, true), appKey)(done)
    pull(pull.values(bytes.length ? [bytes] : []), shake, pull.drain(() => {}, () => {}))
  })
}

/**
 * A peer that answers honestly up to a cut: a real SHS1 peer run by hand, whose replies are cut
 * after k bytes (so a client's checks of msg2 pass when the cut is past it).
 */
async function cutPeer(side: 'client' | 'server', k: number, adapter: 'streamx' | 'pull'): Promise<string | undefined> {
  if (adapter === 'streamx') {
    const [a, b] = createDuplexPair()
    const stream = side === 'client'
      ? new SecretStream(b, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
      : new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
    const err = new Promise<Failure>((resolve) => { stream.on('error', (e) => resolve(e as Failure)); stream.on('close', () => resolve(null)) })
    drivePeer(side, k, (bytes) => a.write(bytes), () => a.end(), (fn) => a.on('data', (d) => fn(d as Buffer)))
    return (await err)?.code
  }
  return new Promise((resolve) => {
    const done = (err: Failure): void => resolve(err?.code)
    const shake = side === 'client'
      ? pullClient(clientKeys, appKey, 3000)(serverKeys.publicKey, done)
      : pullServer(serverKeys, (_k: Buffer, cb: (e: null, ok: boolean) => void) => cb(null, true), appKey, 3000)(done)
    const queue: Buffer[] = []
    let ended = false
    let waiting: ((end: End, data?: Buffer) => void) | null = null
    const flush = (): void => {
      if (!waiting) return
      const cb = waiting
      if (queue.length) { waiting = null; cb(null, queue.shift()) } else if (ended) { waiting = null; cb(true) }
    }
    shake.sink((abort: End, cb: (end: End, data?: Buffer) => void) => { if (abort) return cb(abort); waiting = cb; flush() })
    let onData: ((d: Buffer) => void) | null = null
    const early: Buffer[] = []
    pull(shake.source, pull.drain((d: Buffer) => (onData ? onData(d) : early.push(d)), () => {}))
    drivePeer(side, k, (bytes) => { queue.push(Buffer.from(bytes)); flush() }, () => { ended = true; flush() }, (fn) => { onData = fn; for (const d of early.splice(0)) fn(d) })
  })
}

/** The peer of `side`: answers honestly, sending only the first k bytes of its transcript, then ends. */
function drivePeer(side: 'client' | 'server', k: number, write: (b: Uint8Array) => void, end: () => void, onData: (fn: (d: Buffer) => void) => void): void {
  let sent = 0
  const send = (msg: Uint8Array): boolean => {
    // Count first: over a synchronous pull pipe the write below re-enters this peer.
    const room = k - sent
    sent += msg.length
    if (room > 0) write(msg.subarray(0, Math.min(room, msg.length)))
    if (sent >= k) { end(); return false }
    return true
  }
  let inbox = Buffer.alloc(0)
  const steps: Array<(msg: Buffer) => Uint8Array | null> = []
  let want: number[] = []
  if (side === 'client') {
    // We are the server the client under test talks to.
    const s = new ServerHandshake({ appKey, keyPair: serverKeys })
    want = [64, 112]
    steps.push((m) => { s.receiveHello(m); return s.createHello() }, (m) => { s.receiveAuth(m); return s.createAccept().message })
  } else {
    const c = new ClientHandshake({ appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
    want = [64]
    steps.push((m) => { c.receiveHello(m); return c.createAuth() })
    if (!send(c.createHello())) return
  }
  if (k === 0 && side === 'client') { end(); return }
  onData((d) => {
    inbox = Buffer.concat([inbox, d])
    while (want.length && inbox.length >= want[0]!) {
      const msg = inbox.subarray(0, want[0]!)
      inbox = inbox.subarray(want.shift()!)
      const reply = steps.shift()!(Buffer.from(msg))
      if (reply && !send(reply)) return
    }
  })
}

for (const adapter of ['streamx', 'pull'] as const) {
  test(`${adapter}: a hang-up during the handshake has one code per phase and event`, async (t) => {
    const problems: string[] = []
    for (const side of ['client', 'server'] as const) {
      const total = side === 'client' ? 144 : 176
      for (let k = 0; k < total; k += (k === 0 || k === 63 || k === 64 || k === 65 ? 1 : 9)) {
        const code = await cutPeer(side, k, adapter)
        if (code !== expected(side, k)) problems.push(`${side} after ${k} bytes: ${code}, expected ${expected(side, k)}`)
      }
    }
    t.deepEqual(problems, [], 'every cut point gives the agreed code')
  })
}

test('a transport failing (not ending) on a server is ERR_TRANSPORT in both adapters; on a client at a message boundary it is the hang-up code', async (t) => {
  const [a, b] = createDuplexPair()
  const stream = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  const err = new Promise<Failure>((resolve) => stream.on('error', (e) => resolve(e as Failure)))
  a.resume()
  b.emit('error', new Error('reset'))
  t.equal((await err)?.code, ErrorCodes.TRANSPORT, 'streamx: ERR_TRANSPORT')
  const pulled = await new Promise<Failure>((resolve) => {
    const shake = pullServer(serverKeys, (_k: Buffer, cb: (e: null, ok: boolean) => void) => cb(null, true), appKey)(resolve)
    pull(pull.error(new Error('reset')), shake, pull.drain(() => {}, () => {}))
  })
  t.equal(pulled?.code, ErrorCodes.TRANSPORT, 'pull: ERR_TRANSPORT')
  const [c, d] = createDuplexPair()
  const client = new SecretStream(d, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const clientErr = new Promise<Failure>((resolve) => client.on('error', (e) => resolve(e as Failure)))
  c.resume()
  d.emit('error', new Error('reset'))
  const ce = await clientErr
  t.equal(ce?.code, ErrorCodes.WRONG_APP_KEY, 'streamx client, reset before any byte of the server hello: ERR_WRONG_APP_KEY')
  t.equal((ce?.cause as Error | undefined)?.message, 'reset', 'with the transport error as cause')
  const pulledClient = await new Promise<Failure>((resolve) => {
    const shake = pullClient(clientKeys, appKey)(serverKeys.publicKey, resolve)
    pull(pull.error(new Error('reset')), shake, pull.drain(() => {}, () => {}))
  })
  t.equal(pulledClient?.code, ErrorCodes.WRONG_APP_KEY, 'pull client: the same')
  void viaSecretStream; void viaPull; void transcripts
})
