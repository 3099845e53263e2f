/** Tampered, truncated, replayed and garbage messages fail cleanly with typed errors; none yields a key. */
import test from 'tape'
import { EnrollmentClient, EnrollmentServer, MessageType } from '../../lib/protocols/enrollment/index.js'
import { messageName as messageNameForTest } from '../../lib/protocols/enrollment/layout.js'
import { SecretChannelError } from '../../lib/errors.js'
import { generateKeyPair } from '../../lib/keys.js'
import { flip, runMachines, type Outcome } from './helpers.js'

const serverKeys = generateKeyPair()
const TYPED = new Set(['ERR_PROTOCOL', 'ERR_INVALID_TOKEN', 'ERR_SERVER_KEY_MISMATCH'])

function failedCleanly(out: Outcome): string | null {
  if (out.result) return 'the device got a key'
  const errors = [out.clientError, out.serverError].filter((e) => e !== null)
  if (errors.length === 0) return 'nobody failed'
  for (const e of errors) {
    if (!(e instanceof SecretChannelError)) return `untyped error ${String(e)}`
    if (!TYPED.has(e.code)) return `unexpected code ${e.code}`
  }
  return null
}

test('a bit flip anywhere in any message prevents enrollment with a typed error', (t) => {
  // One attempt per run keeps this sweep cheap; retry.test.ts covers tampering across retries.
  const types = [MessageType.CLIENT_HELLO, MessageType.SERVER_HELLO, MessageType.CHALLENGE, MessageType.RESPONSE, MessageType.ISSUED_KEY]
  const sizes: Record<number, number> = { 1: 37, 2: 132, 3: 50, 4: 34, 5: 82 }
  let runs = 0
  const problems: string[] = []
  for (const type of types) {
    for (let offset = 0; offset < sizes[type]!; offset++) {
      const bit = offset % 8
      const out = runMachines(
        new EnrollmentClient({ serverPublicKey: serverKeys.publicKey, maxAttempts: 1 }),
        new EnrollmentServer({ keyPair: serverKeys, maxAttempts: 1 }),
        (m) => (m[0] === type ? flip(m, offset, bit) : m))
      runs++
      const problem = failedCleanly(out)
      if (problem) problems.push(`${messageNameForTest(type)}[${offset}] bit ${bit}: ${problem}`)
    }
  }
  t.deepEqual(problems, [], `${runs} tampered runs all failed cleanly`)
  t.end()
})

test('a tampered issued key is ERR_PROTOCOL on the device (no retry for the key itself)', (t) => {
  const out = runMachines(new EnrollmentClient(), new EnrollmentServer(), (m) => (m[0] === MessageType.ISSUED_KEY ? flip(m, 30) : m))
  t.equal(out.clientError?.code, 'ERR_PROTOCOL', 'ERR_PROTOCOL')
  t.match(out.clientError?.message ?? '', /^enrollment issued key: .*tampered/, 'phase and cause in the message')
  t.end()
})

test('a wrong challenge response is ERR_INVALID_TOKEN on the server', (t) => {
  const out = runMachines(new EnrollmentClient(), new EnrollmentServer(), (m) => (m[0] === MessageType.RESPONSE ? flip(m, 33) : m))
  t.equal(out.serverError?.code, 'ERR_INVALID_TOKEN', 'ERR_INVALID_TOKEN')
  t.equal(out.issued, null, 'no key issued')
  t.end()
})

test('truncated and extended messages are ERR_PROTOCOL', (t) => {
  for (const type of [MessageType.CLIENT_HELLO, MessageType.SERVER_HELLO, MessageType.CHALLENGE, MessageType.RESPONSE, MessageType.ISSUED_KEY]) {
    for (const change of ['cut1', 'half', 'one-byte', 'plus1'] as const) {
      const out = runMachines(new EnrollmentClient(), new EnrollmentServer({ keyPair: serverKeys }), (m) => {
        if (m[0] !== type) return m
        if (change === 'cut1') return m.subarray(0, m.length - 1)
        if (change === 'half') return m.subarray(0, m.length >> 1)
        if (change === 'one-byte') return m.subarray(0, 1)
        const longer = new Uint8Array(m.length + 1)
        longer.set(m)
        return longer
      })
      const err = out.clientError ?? out.serverError
      t.equal(err?.code, 'ERR_PROTOCOL', `${messageNameForTest(type)} ${change}: ERR_PROTOCOL`)
      t.equal(out.result, null, `${messageNameForTest(type)} ${change}: no key`)
    }
  }
  t.end()
})

test('messages replayed from an earlier session fail', (t) => {
  const first = runMachines(new EnrollmentClient(), new EnrollmentServer({ keyPair: serverKeys }))
  const old = (type: number): Uint8Array => first.log.find((e) => e.message[0] === type)!.message
  for (const type of [MessageType.SERVER_HELLO, MessageType.CHALLENGE, MessageType.RESPONSE, MessageType.ISSUED_KEY]) {
    const out = runMachines(new EnrollmentClient({ maxAttempts: 2 }), new EnrollmentServer({ keyPair: serverKeys, maxAttempts: 2 }), (m) =>
      m[0] === type ? old(type) : m)
    const problem = failedCleanly(out)
    t.equal(problem, null, `old ${messageNameForTest(type)}: ${problem ?? 'failed cleanly'} (${(out.clientError ?? out.serverError)?.code})`)
  }
  t.end()
})

test('messages replayed within a session fail', (t) => {
  const server = new EnrollmentServer()
  const client = new EnrollmentClient()
  const hello = client.start().send[0]!
  const [serverHello, challenge] = server.receive(hello).send
  try { server.receive(hello); t.fail('hello twice') } catch (caught) {
    const err = caught as Error & { code?: string }
    t.equal(err.code, 'ERR_PROTOCOL', 'the same CLIENT_HELLO twice: ERR_PROTOCOL')
    t.match(err.message, /replayed/, 'called a replay')
  }
  client.receive(serverHello!)
  client.receive(challenge!)
  try { client.receive(challenge!); t.fail('challenge twice') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_PROTOCOL', 'the same CHALLENGE twice: ERR_PROTOCOL') }
  t.end()
})

test('garbage is ERR_PROTOCOL on both sides, never a crash', (t) => {
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  const samples: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xff), new Uint8Array(37), new Uint8Array(132).fill(2)]
  for (let i = 0; i < 40; i++) samples.push(Uint8Array.from({ length: 1 + rand(150) }, () => rand(256)))
  // Give the garbage each plausible type byte too.
  for (let i = 0; i < 20; i++) samples.push(Uint8Array.from({ length: [37, 36, 132, 50, 34, 82][i % 6]! }, (_, j) => (j === 0 ? 1 + (i % 5) : rand(256))))
  let clean = 0
  for (const garbage of samples) {
    for (const side of ['server', 'client'] as const) {
      const server = new EnrollmentServer({ keyPair: serverKeys })
      const client = new EnrollmentClient()
      const hello = client.start().send[0]!
      try {
        if (side === 'server') server.receive(garbage)
        else {
          server.receive(hello)
          client.receive(garbage)
        }
      } catch (err) {
        if (err instanceof SecretChannelError && TYPED.has(err.code)) clean++
      }
    }
  }
  t.equal(clean, samples.length * 2, `${samples.length * 2} garbage messages all rejected with typed errors`)
  t.end()
})
