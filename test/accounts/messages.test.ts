/** Request/response framing and bodies: round trips and strict refusals. */
import test from 'tape'
import { isSecretChannelError } from '../../lib/errors.js'
import { MessageDecoder, frameMessage } from '../../lib/protocols/accounts/rpc/framing.js'
import { Op, decodeRequest, decodeResponse, encodeError, encodeOk, encodeRequest, utf8 } from '../../lib/protocols/accounts/rpc/messages.js'

const proto = (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL')

test('framing: messages split anywhere reassemble; zero and oversized lengths are refused before buffering', (t) => {
  const a = frameMessage(Buffer.from('first'))
  const b = frameMessage(Buffer.from('second message'))
  const wire = Buffer.concat([a, b])
  for (let cut = 0; cut <= wire.length; cut++) {
    const dec = new MessageDecoder()
    const got = [...dec.push(wire.subarray(0, cut)), ...dec.push(wire.subarray(cut))]
    if (got.map((m) => Buffer.from(m).toString()).join('|') !== 'first|second message') t.fail(`cut at ${cut}`)
  }
  t.pass('every split point reassembles')
  t.throws(() => new MessageDecoder().push(Buffer.from([0, 0, 0, 0])), proto, 'zero length')
  const dec = new MessageDecoder(1024)
  t.throws(() => dec.push(Buffer.from([0, 0, 4, 1])), proto, 'length over the cap refused from the 4-byte header alone')
  t.throws(() => frameMessage(new Uint8Array(20_000)), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_ARGUMENT'), 'cannot send an oversized message either')
  t.end()
})

test('messages: requests check their op, field count and field sizes; responses round-trip', (t) => {
  const body = encodeRequest(Op.GET_LOGIN_PARAMS, [utf8('alice')])
  const req = decodeRequest(body)
  t.equal(req.op, Op.GET_LOGIN_PARAMS, 'op')
  t.equal(Buffer.from(req.fields[0]!).toString(), 'alice', 'field')
  t.throws(() => decodeRequest(Uint8Array.of(0x99)), proto, 'unknown op')
  t.throws(() => decodeRequest(Uint8Array.of(Op.GET_LOGIN_PARAMS)), proto, 'missing field')
  t.throws(() => decodeRequest(Buffer.concat([body, Uint8Array.of(0, 0)])), proto, 'extra field')
  t.throws(() => decodeRequest(Buffer.concat([body, Uint8Array.of(0)])), proto, 'trailing byte')
  t.throws(() => decodeRequest(encodeRequestUnchecked(Op.SUBMIT_SESSION_CHALLENGE, [utf8('a'), new Uint8Array(31)])), proto, 'a 31-byte token')
  t.deepEqual(decodeResponse(encodeOk([Uint8Array.of(1, 2)])), { ok: true, fields: [Uint8Array.of(1, 2)] }, 'ok response')
  t.deepEqual(decodeResponse(encodeError('ERR_INVALID_TOKEN', 'nope')), { ok: false, code: 'ERR_INVALID_TOKEN', detail: 'nope' }, 'error response')
  t.throws(() => decodeResponse(Uint8Array.of(7)), proto, 'unknown response kind')
  t.end()
})

function encodeRequestUnchecked(op: number, fields: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(op)]
  for (const f of fields) parts.push(Uint8Array.of(f.length >> 8, f.length & 255), f)
  return Buffer.concat(parts)
}
