/**
 * Fuzz targets for the four SHS1 messages, each received in its phase by the side that receives
 * it, and for call sequences in any order. The oracle is independent of the state machines: it
 * knows the honest transcript and the box keys, so it can say exactly which error code an input
 * deserves, and it insists that only the honest bytes ever succeed.
 */
import fc from 'fast-check'
import { ErrorCodes, type ErrorCode } from '../../../lib/errors.js'
import type { ClientHandshake, ServerHandshake } from '../../../lib/handshake/index.js'
import { BAD_ED25519, LOW_ORDER_X25519, malleate } from '../../helpers/points.js'
import { allZero, attempt, boxZeroNonce, cat, clientAt, ensure, ensureTyped, fixture, helloFor, sameBytes, serverAt, type Fixture } from '../harness.js'
import { applyMutations, inPlaceMutationArb, mutationsArb } from '../mutate.js'
import type { FuzzTarget } from './types.js'

const { PROTOCOL, WRONG_APP_KEY, SERVER_KEY_MISMATCH, INVALID_STATE } = ErrorCodes

/** Garbage, the honest message with edits, and a few crafted shapes. */
function messageArb(valid: Uint8Array, crafted: Array<fc.WeightedArbitrary<Uint8Array>>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: valid.length * 2 + 8 }) },
    { weight: 10, arbitrary: fc.uint8Array({ minLength: valid.length, maxLength: valid.length }) },
    { weight: 50, arbitrary: mutationsArb().map((m) => applyMutations(valid, m)) },
    { weight: 2, arbitrary: fc.constant(valid) },
    ...crafted
  )
}

/** A hello with a correct app-key hmac around a hostile or random point. */
function craftedHellos(f: Fixture): Array<fc.WeightedArbitrary<Uint8Array>> {
  return [
    { weight: 10, arbitrary: fc.constantFrom(...LOW_ORDER_X25519).map((p) => helloFor(f.crypto, f.appKey, p)) },
    // Random points cost two real scalar multiplications each, so they stay rare.
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((p) => helloFor(f.crypto, f.appKey, p)) }
  ]
}

/** After a failure: no more output, every call refused, every secret zero. */
function ensureDead(machine: ClientHandshake | ServerHandshake, calls: Array<() => unknown>, context: string): void {
  ensure(machine.phase === 'failed', `${context}: phase is ${machine.phase} after a failure`)
  ensure(allZero(machine.secretBuffersForTesting()), `${context}: secrets not wiped after a failure`)
  for (const call of calls) {
    const later = attempt(call)
    ensure(!later.ok, `${context}: a call after the failure produced output`)
    ensureTyped(later.error, [INVALID_STATE], `${context} (after failure)`)
  }
}

/** The code a hello deserves (null: it must be accepted). */
function expectedHelloCode(f: Fixture, msg: Uint8Array, ephemeralSecret: Uint8Array, longTermCurveSecret: Uint8Array | null): ErrorCode | null {
  if (msg.length !== 64) return PROTOCOL
  if (!sameBytes(f.crypto.auth(msg.subarray(32), f.appKey), msg.subarray(0, 32))) return WRONG_APP_KEY
  if (f.crypto.scalarMult(ephemeralSecret, msg.subarray(32)) === null) return PROTOCOL
  if (longTermCurveSecret && f.crypto.scalarMult(longTermCurveSecret, msg.subarray(32)) === null) return PROTOCOL
  return null
}

/** The server receives msg1 (client hello). */
function serverHelloTarget(f: Fixture = fixture()): FuzzTarget<Uint8Array> {
  const serverCurve = f.crypto.signSecretKeyToCurve(f.server.secretKey)
  return {
    name: 'handshake-msg1',
    description: 'server receives the client hello (phase 1)',
    arbitrary: messageArb(f.msg1, craftedHellos(f)),
    check(msg) {
      const s = serverAt(f, 'await-hello')
      const out = attempt(() => s.receiveHello(msg))
      const expected = expectedHelloCode(f, msg, f.serverEphemeral, serverCurve)
      if (expected === null) {
        ensure(out.ok, `msg1: a valid hello was refused: ${String((out as { error?: unknown }).error)}`)
        ensure(s.phase === 'hello', 'msg1: wrong phase after success')
        const msg2 = s.createHello()
        ensure(msg2.length === 64, 'msg1: createHello after success did not give 64 bytes')
        return
      }
      ensure(!out.ok, `msg1: accepted input that deserved ${expected}`)
      const err = ensureTyped(out.error, [expected], 'msg1')
      ensure(err.phase.startsWith('client hello'), `msg1: wrong phase name ${err.phase}`)
      ensureDead(s, [() => s.createHello(), () => s.receiveAuth(f.msg3), () => s.createAccept()], 'msg1')
    }
  }
}

/** The client receives msg2 (server hello). */
function clientHelloTarget(f: Fixture = fixture()): FuzzTarget<Uint8Array> {
  return {
    name: 'handshake-msg2',
    description: 'client receives the server hello (phase 2)',
    arbitrary: messageArb(f.msg2, craftedHellos(f)),
    check(msg) {
      const c = clientAt(f, 'await-hello')
      const out = attempt(() => c.receiveHello(msg))
      const expected = expectedHelloCode(f, msg, f.clientEphemeral, null)
      if (expected === null) {
        ensure(out.ok, `msg2: a valid hello was refused: ${String((out as { error?: unknown }).error)}`)
        ensure(c.phase === 'auth', 'msg2: wrong phase after success')
        const msg3 = c.createAuth()
        ensure(msg3.length === 112, 'msg2: createAuth after success did not give 112 bytes')
        if (sameBytes(msg, f.msg2)) ensure(sameBytes(msg3, f.msg3), 'msg2: honest hello gave a different msg3')
        return
      }
      ensure(!out.ok, `msg2: accepted input that deserved ${expected}`)
      const err = ensureTyped(out.error, [expected], 'msg2')
      ensure(err.phase.startsWith('server hello'), `msg2: wrong phase name ${err.phase}`)
      ensureDead(c, [() => c.createAuth(), () => c.receiveAccept(f.msg4)], 'msg2')
    }
  }
}

/** Inner plaintexts for a box whose key is right: edits of the honest one, hostile keys and R values, malleated S. */
function craftedInner(honestSig: Uint8Array, tail: Uint8Array): fc.Arbitrary<Uint8Array> {
  const honest = cat(honestSig, tail)
  const bad = fc.constantFrom(...BAD_ED25519)
  const zeroS = new Uint8Array(32)
  return fc.oneof(
    { weight: 4, arbitrary: mutationsArb(3, inPlaceMutationArb).map((m) => applyMutations(honest, m)) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: honest.length, maxLength: honest.length }) },
    // A small-order R with S = 0 or the honest S.
    { weight: 2, arbitrary: fc.tuple(bad, fc.boolean()).map(([r, keepS]) => cat(r, keepS ? honestSig.subarray(32) : zeroS, tail)) },
    // The non-canonical twin of the honest signature (S + L).
    { weight: 1, arbitrary: fc.constant(cat(malleate(honestSig), tail)) },
    { weight: 1, arbitrary: fc.constant(honest) }
  )
}

/** The server receives msg3 (client auth). */
function serverAuthTarget(f: Fixture = fixture()): FuzzTarget<Uint8Array> {
  const honestInner = cat(f.sigA, f.client.publicKey)
  const bad = fc.constantFrom(...BAD_ED25519)
  const inner = fc.oneof(
    { weight: 6, arbitrary: craftedInner(f.sigA, f.client.publicKey) },
    // A hostile long-term key Ap with a "universal" signature (R = the key itself or the identity, S = 0).
    { weight: 2, arbitrary: fc.tuple(bad, fc.constantFrom(...BAD_ED25519.slice(0, 2))).map(([ap, r]) => cat(r, new Uint8Array(32), ap)) },
    { weight: 1, arbitrary: bad.map((ap) => cat(f.sigA, ap)) }
  )
  return {
    name: 'handshake-msg3',
    description: 'server receives the client authentication (phase 3)',
    arbitrary: messageArb(f.msg3, [{ weight: 12, arbitrary: inner.map((p) => boxZeroNonce(f.crypto, p, f.key3)) }]),
    check(msg) {
      const s = serverAt(f, 'await-auth')
      const out = attempt(() => s.receiveAuth(msg))
      let expected: ErrorCode | null
      if (msg.length !== 112) expected = PROTOCOL
      else {
        const plain = new Uint8Array(96)
        const opens = f.crypto.secretboxOpenDetached(plain, msg.subarray(16), msg.subarray(0, 16), new Uint8Array(24), f.key3)
        // Only the honest client can produce a signature that verifies, so only its bytes may pass.
        expected = !opens ? SERVER_KEY_MISMATCH : sameBytes(plain, honestInner) ? null : PROTOCOL
      }
      if (expected === null) {
        ensure(out.ok, `msg3: the honest authentication was refused: ${String((out as { error?: unknown }).error)}`)
        ensure(sameBytes(out.value, f.client.publicKey), 'msg3: wrong client key returned')
        ensure(s.phase === 'authorize', 'msg3: wrong phase after success')
        return
      }
      ensure(!out.ok, `msg3: accepted input that deserved ${expected}`)
      const err = ensureTyped(out.error, [expected], 'msg3')
      ensure(err.phase.startsWith('client auth'), `msg3: wrong phase name ${err.phase}`)
      ensureDead(s, [() => s.createAccept(), () => s.reject(), () => s.receiveAuth(f.msg3)], 'msg3')
    }
  }
}

/** The client receives msg4 (server accept). */
function clientAcceptTarget(f: Fixture = fixture()): FuzzTarget<Uint8Array> {
  const tail = new Uint8Array(0)
  return {
    name: 'handshake-msg4',
    description: 'client receives the server acceptance (phase 4)',
    arbitrary: messageArb(f.msg4, [{ weight: 12, arbitrary: craftedInner(f.sigB, tail).map((p) => boxZeroNonce(f.crypto, p, f.key4)) }]),
    check(msg) {
      const c = clientAt(f, 'await-accept')
      const out = attempt(() => c.receiveAccept(msg))
      let expected: ErrorCode | null
      if (msg.length !== 80) expected = PROTOCOL
      else {
        const plain = new Uint8Array(64)
        const opens = f.crypto.secretboxOpenDetached(plain, msg.subarray(16), msg.subarray(0, 16), new Uint8Array(24), f.key4)
        expected = opens && sameBytes(plain, f.sigB) ? null : SERVER_KEY_MISMATCH
      }
      if (expected === null) {
        ensure(out.ok, `msg4: the honest acceptance was refused: ${String((out as { error?: unknown }).error)}`)
        const k = out.value
        const e = f.clientSession
        ensure(sameBytes(k.encryptKey, e.encryptKey) && sameBytes(k.decryptKey, e.decryptKey) && sameBytes(k.encryptNonce, e.encryptNonce) && sameBytes(k.decryptNonce, e.decryptNonce), 'msg4: wrong session keys')
        ensure(c.phase === 'done' && allZero(c.secretBuffersForTesting()), 'msg4: secrets not wiped after success')
        return
      }
      ensure(!out.ok, `msg4: accepted input that deserved ${expected}`)
      const err = ensureTyped(out.error, [expected], 'msg4')
      ensure(err.phase.startsWith('server accept'), `msg4: wrong phase name ${err.phase}`)
      ensureDead(c, [() => c.receiveAccept(f.msg4), () => c.createHello()], 'msg4')
    }
  }
}

/** One call in a random sequence: which method, and whether its argument is the honest message or garbage. */
interface Step {
  op: number
  honest: boolean
  garbage: Uint8Array
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.nat(),
  honest: fc.boolean(),
  garbage: fc.uint8Array({ maxLength: 120 })
})

type Side = 'client' | 'server'

/**
 * Random call sequences on either machine. The model: the next method in the honest order with
 * an honest argument succeeds and returns the honest bytes; anything else throws, and from then
 * on every call throws `ERR_INVALID_STATE` and every secret is zero. `destroy()` may come anywhere.
 */
function sequenceTarget(f: Fixture = fixture()): FuzzTarget<{ side: Side; steps: Step[] }> {
  // Each list is only ever called on its own side's machine; Machine just lets one Op type name either side's methods.
  type Machine = Pick<ClientHandshake, 'createHello' | 'receiveHello' | 'createAuth' | 'receiveAccept' | 'destroy'> & Pick<ServerHandshake, 'receiveAuth' | 'createAccept' | 'reject'>
  type Op = { name: string; call: (m: Machine, arg: Uint8Array) => unknown; honestArg?: Uint8Array; honestOut?: (v: unknown) => boolean }
  const clientOps: Op[] = [
    { name: 'createHello', call: (m) => m.createHello(), honestOut: (v) => sameBytes(v as Uint8Array, f.msg1) },
    { name: 'receiveHello', call: (m, a) => m.receiveHello(a), honestArg: f.msg2 },
    { name: 'createAuth', call: (m) => m.createAuth(), honestOut: (v) => sameBytes(v as Uint8Array, f.msg3) },
    { name: 'receiveAccept', call: (m, a) => m.receiveAccept(a), honestArg: f.msg4, honestOut: (v) => sameBytes((v as { encryptKey: Uint8Array }).encryptKey, f.clientSession.encryptKey) }
  ]
  const serverOps: Op[] = [
    { name: 'receiveHello', call: (m, a) => m.receiveHello(a), honestArg: f.msg1 },
    { name: 'createHello', call: (m) => m.createHello(), honestOut: (v) => sameBytes(v as Uint8Array, f.msg2) },
    { name: 'receiveAuth', call: (m, a) => m.receiveAuth(a), honestArg: f.msg3, honestOut: (v) => sameBytes(v as Uint8Array, f.client.publicKey) },
    { name: 'createAccept', call: (m) => m.createAccept(), honestOut: (v) => sameBytes((v as { message: Uint8Array }).message, f.msg4) }
  ]
  const destroyOp: Op = { name: 'destroy', call: (m) => m.destroy() }
  const rejectOp: Op = { name: 'reject', call: (m) => m.reject() }
  return {
    name: 'handshake-sequence',
    description: 'random call orders on client and server machines, honest or garbage arguments',
    arbitrary: fc.record({ side: fc.constantFrom<Side>('client', 'server'), steps: fc.array(stepArb, { maxLength: 8 }) }),
    check({ side, steps }) {
      const machine: ClientHandshake | ServerHandshake = side === 'client' ? clientAt(f, 'hello') : serverAt(f, 'await-hello')
      const order = side === 'client' ? clientOps : serverOps
      const all = side === 'client' ? [...order, destroyOp] : [...order, rejectOp, destroyOp]
      let next = 0
      let dead = false
      let done = false
      for (const step of steps) {
        const op = all[step.op % all.length]!
        const arg = op.honestArg && step.honest ? op.honestArg : step.garbage
        const out = attempt(() => op.call(machine as unknown as Machine, arg))
        const ctx = `${side}.${op.name} at step ${next}`
        if (op === destroyOp) {
          ensure(out.ok, `${ctx}: destroy threw`)
          if (!done) dead = true
          ensure(allZero(machine.secretBuffersForTesting()), `${ctx}: destroy left secrets`)
          continue
        }
        const inTurn = !dead && !done && (op === order[next] || (op === rejectOp && next === 3))
        const honestArg = !op.honestArg || sameBytes(arg, op.honestArg)
        if (inTurn && honestArg) {
          ensure(out.ok, `${ctx}: an honest step failed: ${String((out as { error?: unknown }).error)}`)
          if (op.honestOut) ensure(op.honestOut(out.value), `${ctx}: output differs from the honest transcript`)
          if (op === rejectOp) {
            dead = true
            ensure(machine.phase === 'failed' && allZero(machine.secretBuffersForTesting()), `${ctx}: reject left secrets`)
          } else if (++next === order.length) {
            done = true
            ensure(machine.phase === 'done' && allZero(machine.secretBuffersForTesting()), `${ctx}: success left secrets`)
          }
          continue
        }
        ensure(!out.ok, `${ctx}: a call out of turn or with garbage produced output`)
        ensureTyped(out.error, inTurn ? [PROTOCOL, WRONG_APP_KEY, SERVER_KEY_MISMATCH] : [INVALID_STATE], ctx)
        if (!done) {
          dead = true
          ensure(machine.phase === 'failed', `${ctx}: phase ${machine.phase} after a failure`)
        }
        ensure(allZero(machine.secretBuffersForTesting()) || (!dead && !done), `${ctx}: secrets not wiped`)
      }
    }
  }
}

/** Every handshake target. */
export function handshakeTargets(f: Fixture = fixture()): FuzzTarget<unknown>[] {
  return [serverHelloTarget(f), clientHelloTarget(f), serverAuthTarget(f), clientAcceptTarget(f), sequenceTarget(f)]
}
