/**
 * Truncation at every byte offset of a recorded session, in both directions (handshake messages,
 * then box-stream frames, then the goodbye), is never a clean end: a cut inside the handshake
 * leaves the machine unfinished, and a cut anywhere after it makes the decoder's end() throw
 * ERR_TRUNCATED, having emitted only a prefix of what was sent. Only the whole session ends cleanly.
 */
import test from 'tape'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { ErrorCodes, SecretChannelError } from '../../lib/errors.js'
import type { SessionKeys } from '../../lib/handshake/index.js'
import { attempt, cat, clientAt, fixture, serverAt } from '../fuzz/harness.js'

const f = fixture()

/** What each side sends after the handshake: small, exactly 4096, over 4096, one byte. */
const writes = [Buffer.from('hello'), new Uint8Array(4096).fill(1), new Uint8Array(5000).fill(2), Uint8Array.of(3)]
const sent = cat(...writes)

function record(): { toServer: Uint8Array; toClient: Uint8Array; handshakeToServer: number; handshakeToClient: number } {
  const c = clientAt(f, 'hello')
  const s = serverAt(f, 'await-hello')
  const msg1 = c.createHello()
  s.receiveHello(msg1)
  const msg2 = s.createHello()
  c.receiveHello(msg2)
  const msg3 = c.createAuth()
  s.receiveAuth(msg3)
  const { message: msg4, session: ss } = s.createAccept()
  const cs = c.receiveAccept(msg4)
  const frames = (k: SessionKeys): Uint8Array => {
    const enc = new BoxEncoder(k.encryptKey, k.encryptNonce, f.crypto)
    return cat(...writes.map((w) => enc.encode(w)), enc.goodbye())
  }
  return { toServer: cat(msg1, msg3, frames(cs)), toClient: cat(msg2, msg4, frames(ss)), handshakeToServer: 64 + 112, handshakeToClient: 64 + 80 }
}

interface Received {
  handshakeDone: boolean
  plain: Uint8Array
  error: unknown
  clean: boolean
}

/** The server's receiving side, sans-I/O, given exactly `bytes` and then the transport's end. */
function serverReceives(bytes: Uint8Array): Received {
  const s = serverAt(f, 'await-hello')
  if (bytes.length < 64) return { handshakeDone: false, plain: new Uint8Array(0), error: null, clean: false }
  s.receiveHello(bytes.subarray(0, 64))
  s.createHello()
  if (bytes.length < 176) return { handshakeDone: false, plain: new Uint8Array(0), error: null, clean: false }
  // Every cut past the handshake gives the machine the same 176 bytes: derive the keys once.
  serverKeys ??= (s.receiveAuth(bytes.subarray(64, 176)), s.createAccept().session)
  return decodeRest(serverKeys, bytes.subarray(176))
}
let serverKeys: SessionKeys | undefined
let clientKeys: SessionKeys | undefined

/** The client's receiving side. */
function clientReceives(bytes: Uint8Array): Received {
  const c = clientAt(f, 'await-hello')
  if (bytes.length < 64) return { handshakeDone: false, plain: new Uint8Array(0), error: null, clean: false }
  c.receiveHello(bytes.subarray(0, 64))
  c.createAuth()
  if (bytes.length < 144) return { handshakeDone: false, plain: new Uint8Array(0), error: null, clean: false }
  clientKeys ??= c.receiveAccept(bytes.subarray(64, 144))
  return decodeRest(clientKeys, bytes.subarray(144))
}

function decodeRest(keys: SessionKeys, rest: Uint8Array): Received {
  const dec = new BoxDecoder(keys.decryptKey, keys.decryptNonce, f.crypto)
  const out: Uint8Array[] = []
  const r = attempt(() => {
    dec.push(rest, (p) => out.push(Uint8Array.from(p)))
    dec.end()
  })
  return { handshakeDone: true, plain: cat(...out), error: r.ok ? null : r.error, clean: r.ok && dec.ended }
}

const session = record()

for (const [direction, wire, receive, handshakeBytes] of [
  ['client to server', session.toServer, serverReceives, session.handshakeToServer],
  ['server to client', session.toClient, clientReceives, session.handshakeToClient]
] as const) {
  test(`${direction}: a cut at every one of ${wire.length} byte offsets is detected, never a clean end`, (t) => {
    const full = receive(wire)
    t.ok(full.clean, 'the whole session ends cleanly')
    t.deepEqual(full.plain, sent, 'and delivers everything')
    const wrong: string[] = []
    let inHandshake = 0
    let truncated = 0
    for (let cut = 0; cut < wire.length; cut++) {
      const r = receive(wire.subarray(0, cut))
      const prefixOk = Buffer.from(sent.subarray(0, r.plain.length)).equals(Buffer.from(r.plain))
      if (r.clean || !prefixOk) wrong.push(`cut at ${cut}: clean=${r.clean} prefix=${prefixOk}`)
      else if (!r.handshakeDone && cut < handshakeBytes) inHandshake++
      else if (r.error instanceof SecretChannelError && r.error.code === ErrorCodes.TRUNCATED) truncated++
      else wrong.push(`cut at ${cut}: ${String(r.error)}`)
    }
    t.deepEqual(wrong.slice(0, 5), [], 'no cut ends cleanly or emits anything but a prefix')
    t.equal(inHandshake, handshakeBytes, `${inHandshake} cuts inside the handshake leave it unfinished`)
    t.equal(truncated, wire.length - handshakeBytes, `${truncated} cuts after it give ERR_TRUNCATED`)
    t.end()
  })
}
