/**
 * Every single-bit flip in every byte of the four handshake messages, and of box-stream frames
 * and the goodbye, is rejected with the right code; nothing is emitted from a flipped frame.
 */
import test from 'tape'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from '../../lib/errors.js'
import { allZero, attempt, cat, clientAt, fixture, serverAt } from '../fuzz/harness.js'

const f = fixture()

function flipped(bytes: Uint8Array, i: number, bit: number): Uint8Array {
  const out = bytes.slice()
  out[i] = out[i]! ^ (1 << bit)
  return out
}

/** Hex of every secret the handshake handles: no error message may contain one. */
const secretsHex = [f.key3, f.key4, f.clientEphemeral, f.serverEphemeral, f.client.secretKey.subarray(0, 32), f.server.secretKey.subarray(0, 32)].map((b) => Buffer.from(b).toString('hex').slice(0, 16))

type Machine = { phase: string; secretBuffersForTesting(): readonly Uint8Array[] }
interface Case {
  name: string
  msg: Uint8Array
  code: ErrorCode
  /** A machine in the phase that receives `msg`, and the call that hands it `m`. */
  setup: (m: Uint8Array) => { machine: Machine; call: () => unknown }
}

const cases: Case[] = [
  { name: 'msg1 (client hello, 64 bytes)', msg: f.msg1, code: ErrorCodes.WRONG_APP_KEY, setup: (m) => { const s = serverAt(f, 'await-hello'); return { machine: s, call: () => s.receiveHello(m) } } },
  { name: 'msg2 (server hello, 64 bytes)', msg: f.msg2, code: ErrorCodes.WRONG_APP_KEY, setup: (m) => { const c = clientAt(f, 'await-hello'); return { machine: c, call: () => c.receiveHello(m) } } },
  { name: 'msg3 (client auth, 112 bytes)', msg: f.msg3, code: ErrorCodes.SERVER_KEY_MISMATCH, setup: (m) => { const s = serverAt(f, 'await-auth'); return { machine: s, call: () => s.receiveAuth(m) } } },
  { name: 'msg4 (server accept, 80 bytes)', msg: f.msg4, code: ErrorCodes.SERVER_KEY_MISMATCH, setup: (m) => { const c = clientAt(f, 'await-accept'); return { machine: c, call: () => c.receiveAccept(m) } } }
]

for (const { name, msg, code, setup } of cases) {
  test(`every bit flip of ${name} is rejected with ${code}, the machine dead and wiped`, (t) => {
    const wrong: string[] = []
    let rejected = 0
    for (let i = 0; i < msg.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const { machine, call } = setup(flipped(msg, i, bit))
        const out = attempt(call)
        const err = out.ok ? null : out.error
        const ok = err instanceof SecretChannelError && err.code === code && machine.phase === 'failed' && allZero(machine.secretBuffersForTesting()) && !secretsHex.some((s) => err.message.includes(s))
        if (ok) rejected++
        else wrong.push(`byte ${i} bit ${bit}: ${out.ok ? 'accepted' : String(err)}`)
      }
    }
    t.deepEqual(wrong.slice(0, 5), [], 'no flip accepted or mis-coded')
    t.equal(rejected, msg.length * 8, `${rejected} of ${msg.length * 8} flips rejected`)
    // The honest message still passes, so the rejections above are about the flips.
    t.ok(attempt(setup(msg).call).ok, 'the unflipped message is accepted')
    t.end()
  })
}

/** Decodes `wire` in one go; returns the plaintext emitted and the error, if any. */
function decode(wire: Uint8Array): { plain: Uint8Array; error: unknown } {
  const dec = new BoxDecoder(f.clientSession.encryptKey, f.clientSession.encryptNonce, f.crypto)
  const out: Uint8Array[] = []
  const r = attempt(() => {
    dec.push(wire, (p) => out.push(Uint8Array.from(p)))
    dec.end()
  })
  return { plain: cat(...out), error: r.ok ? null : r.error }
}

for (const size of [1, 100, 4096]) {
  test(`every bit flip of a ${size}-byte box-stream frame is ERR_BOX_TAMPERED, with no plaintext; of the goodbye, the frame arrives and then ERR_BOX_TAMPERED`, (t) => {
    const enc = new BoxEncoder(f.clientSession.encryptKey, f.clientSession.encryptNonce, f.crypto)
    const body = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff)
    const frame = enc.encode(body)
    const goodbye = enc.goodbye()
    const wire = cat(frame, goodbye)
    const honest = decode(wire)
    t.equal(honest.error, null, 'the honest session decodes cleanly')
    t.deepEqual(honest.plain, body, 'and yields the body')
    const wrong: string[] = []
    let rejected = 0
    for (let i = 0; i < wire.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const { plain, error } = decode(flipped(wire, i, bit))
        const inGoodbye = i >= frame.length
        const expectedPlain = inGoodbye ? size : 0
        if (error instanceof SecretChannelError && error.code === ErrorCodes.BOX_TAMPERED && plain.length === expectedPlain) rejected++
        else wrong.push(`byte ${i} bit ${bit}: ${String(error)}, ${plain.length} bytes out`)
      }
    }
    t.deepEqual(wrong.slice(0, 5), [], 'no flip accepted, mis-coded or leaking plaintext')
    t.equal(rejected, wire.length * 8, `${rejected} of ${wire.length * 8} flips rejected`)
    t.end()
  })
}
