/**
 * RSA keys are generated off the event loop: while the server makes a device's RSA key, the loop
 * keeps turning (other connections, timers). Counted in event-loop turns, not measured in time.
 */
import test from 'tape'
import { acceptEnrollment, enroll, MemoryEnrollmentStore, type EnrollmentLogEvent } from '../../lib/protocols/enrollment/index.js'
import { generateIssuedKey } from '../../lib/protocols/enrollment/issue.js'
import { duplexPair } from '../helpers/duplex-pair.js'

/** Counts event-loop turns (setImmediate callbacks) until stop() is called. */
function loopCounter(): { stop(): number } {
  let turns = 0
  let running = true
  const spin = (): void => {
    if (!running) return
    turns++
    setImmediate(spin)
  }
  setImmediate(spin)
  return { stop: () => { running = false; return turns } }
}

test('generateIssuedKey("rsa") lets the event loop turn while the key is made', async (t) => {
  const counter = loopCounter()
  const material = await generateIssuedKey('rsa')
  const turns = counter.stop()
  t.ok(turns > 0, `the loop turned ${turns} time(s) during RSA-2048 generation`)
  t.ok(material.id.startsWith('rsa:sha256:'), 'an RSA key was made')
})

test('acceptEnrollment with RSA keys: the loop turns between RESPONSE and ISSUED_KEY', async (t) => {
  const [a, b] = duplexPair()
  let counter: { stop(): number } | null = null
  let turns = -1
  const log = (e: EnrollmentLogEvent): void => {
    if (e.direction === 'received' && e.message === 'RESPONSE') counter = loopCounter()
    if (e.direction === 'sent' && e.message === 'ISSUED_KEY') turns = counter!.stop()
  }
  const [device, result] = await Promise.all([
    acceptEnrollment(b, { store: new MemoryEnrollmentStore(), keyType: 'rsa', log }),
    enroll(a, {})
  ])
  t.equal(result.key.id, device.id, 'enrolled with an RSA key')
  t.ok(turns > 0, `the server's loop turned ${turns} time(s) while it made the key`)
})
