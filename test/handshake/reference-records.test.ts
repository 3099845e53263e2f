/**
 * Replays every call record of the JS reference's crypto.js (test-secret-handshake data.json,
 * 159 records over several handshakes, good and bad) through our state machines: each message we
 * produce must equal the recorded one, and each message the reference rejected (a null result)
 * we must reject too.
 *
 * The records are snapshots taken after each call, so a record's state already holds what that
 * call derived; the inputs we need (keys, ephemeral scalars, the peer's hello) are all in it.
 */
import test from 'tape'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { hex, loadVector } from '../helpers/vectors.js'

interface Party { kx_pk: string; kx_sk?: string; publicKey?: string; secretKey?: string; app_mac?: string }
interface State { app_key: string; local: Party; remote: Party }
interface CallRecord { name: string; args: [State, string?]; result: unknown }

const h = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const keyPair = (p: Party): { publicKey: Buffer; secretKey: Buffer } => ({ publicKey: hex(p.publicKey!), secretKey: hex(p.secretKey!) })

/** A client machine that has sent its hello and, if `withServerHello`, taken the recorded server hello. */
function client(s: State, withServerHello: boolean): ClientHandshake {
  const c = new ClientHandshake({ appKey: hex(s.app_key), keyPair: keyPair(s.local), serverPublicKey: hex(s.remote.publicKey!), ephemeralSecretKey: hex(s.local.kx_sk!) })
  c.createHello()
  if (withServerHello) c.receiveHello(hex(s.remote.app_mac! + s.remote.kx_pk))
  return c
}

/** A server machine that has taken the recorded client hello and sent its own. */
function server(s: State): ServerHandshake {
  const sv = new ServerHandshake({ appKey: hex(s.app_key), keyPair: keyPair(s.local), ephemeralSecretKey: hex(s.local.kx_sk!) })
  sv.receiveHello(hex(s.remote.app_mac! + s.remote.kx_pk))
  sv.createHello()
  return sv
}

const throws = (fn: () => unknown): boolean => {
  try {
    fn()
    return false
  } catch {
    return true
  }
}

test('every reference crypto.js call record replays through our machines', (t) => {
  const records: CallRecord[] = loadVector('test-secret-handshake.data.json')
  // msg3 by client ephemeral key, so the server-side records can be replayed with the real msg3.
  const msg3ByClient = new Map<string, string>()
  for (const r of records) if (r.name === 'clientCreateAuth') msg3ByClient.set(r.args[0].local.kx_pk, r.result as string)

  const counts: Record<string, number> = {}
  let mismatches = 0
  const check = (ok: boolean, what: string): void => {
    counts[what] = (counts[what] ?? 0) + 1
    if (!ok) {
      mismatches++
      t.fail(`${what} #${counts[what]}`)
    }
  }
  for (const { name, args, result } of records) {
    const [s, message] = args
    switch (name) {
      case 'createChallenge': {
        const mac = new ClientHandshake({
          appKey: hex(s.app_key),
          keyPair: keyPair(s.local),
          serverPublicKey: hex(s.remote.publicKey ?? s.local.publicKey!),
          ephemeralSecretKey: hex(s.local.kx_sk!)
        }).createHello()
        check(h(mac) === result, 'createChallenge: our hello equals theirs')
        break
      }
      case 'verifyChallenge': {
        const sv = new ServerHandshake({ appKey: hex(s.app_key), keyPair: keyPair(s.local), ephemeralSecretKey: hex(s.local.kx_sk!) })
        check(throws(() => sv.receiveHello(hex(message!))) === (result === null), `verifyChallenge: ${result === null ? 'rejected' : 'accepted'} alike`)
        break
      }
      case 'clientVerifyChallenge': {
        const c = client(s, false)
        check(throws(() => c.receiveHello(hex(message!))) === (result === null), `clientVerifyChallenge: ${result === null ? 'rejected' : 'accepted'} alike`)
        break
      }
      case 'clientCreateAuth':
        check(h(client(s, true).createAuth()) === result, 'clientCreateAuth: our msg3 equals theirs')
        break
      case 'serverVerifyAuth': {
        const sv = server(s)
        check(throws(() => sv.receiveAuth(hex(message!))) === (result === null), `serverVerifyAuth: ${result === null ? 'rejected' : 'accepted'} alike`)
        break
      }
      case 'serverCreateAccept': {
        const msg3 = msg3ByClient.get(s.remote.kx_pk)
        if (!msg3) {
          check(false, 'serverCreateAccept: msg3 found')
          break
        }
        const sv = server(s)
        sv.receiveAuth(hex(msg3))
        check(h(sv.createAccept().message) === result, 'serverCreateAccept: our msg4 equals theirs')
        break
      }
      case 'clientVerifyAccept': {
        const c = client(s, true)
        c.createAuth()
        check(throws(() => c.receiveAccept(hex(message!))) === (result === null), `clientVerifyAccept: ${result === null ? 'rejected' : 'accepted'} alike`)
        break
      }
    }
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  t.equal(mismatches, 0, `${total} records replayed: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join('; ')}`)
  // initialize, clean and toKeys produce no message; their values are checked in vectors.test.ts.
  const replayable = records.filter((r) => !['initialize', 'clean', 'toKeys'].includes(r.name)).length
  t.equal(total, replayable, `every message-producing or verifying record was replayed (${replayable} of ${records.length})`)
  t.end()
})
