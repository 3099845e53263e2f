/**
 * Defect 1 of the streams rebuild: authenticated plaintext that arrives in the same transport read
 * as a bad frame (or a goodbye with a bad MAC) reaches the application, in order and in full,
 * before the error, in both adapters (streamx SecretStream and the pull server), whether the
 * application reads at once or only later.
 */
import test from 'tape'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { createServer as pullServer } from '../../lib/streams/pull.js'
import { ErrorCodes } from '../../lib/errors.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'
import { rawClient } from '../helpers/raw-peer.js'
import type { PullSecretStream } from '../../lib/streams/pull/secure.js'
import type { End } from '../../lib/streams/pull/types.js'

/** What these tests read off a failure: its code. */
type Failure = (Error & { code?: string }) | null

const require = createRequire(import.meta.url)
const pull = require('pull-stream')
const toPull = require('stream-to-pull-stream')

type Ending = 'tampered frame' | 'bad goodbye'

/** 60,000 good bytes (15 frames) and then a bad frame or a forged goodbye, all in one buffer. */
function poisonedWire(session: Awaited<ReturnType<typeof rawClient>>, good: Buffer, ending: Ending): Buffer {
  const frames = session.encoder.encode(good)
  const bad = ending === 'tampered frame' ? session.encoder.encode(Buffer.from('never delivered')) : session.encoder.goodbye()
  bad[ending === 'tampered frame' ? 40 : 3]! ^= 1
  return Buffer.concat([frames, bad])
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

for (const ending of ['tampered frame', 'bad goodbye'] as Ending[]) {
  for (const late of [false, true]) {
    test(`SecretStream: good frames before a ${ending} in one read all reach the app${late ? ' (it starts reading 50 ms later)' : ''}`, async (t) => {
      const [a, b] = createDuplexPair(1 << 20)
      const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
      const session = await rawClient(a, { appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
      await server.opened
      const good = randomBytes(60_000)
      const failed = new Promise<Failure>((resolve) => {
        server.on('error', (e) => resolve(e as Failure))
        server.on('end', () => resolve(null))
        server.on('close', () => resolve(null))
      })
      a.write(poisonedWire(session, good, ending))
      if (late) await wait(50)
      const got: Buffer[] = []
      server.on('data', (d: Buffer) => got.push(Buffer.from(d)))
      const err = await failed
      const all = Buffer.concat(got)
      t.equal(all.length, good.length, `all ${good.length} authenticated bytes were delivered (got ${all.length})`)
      t.ok(all.equals(good), 'in order')
      t.equal(err?.code, ending === 'tampered frame' ? ErrorCodes.BOX_TAMPERED : ErrorCodes.BOX_TAMPERED, `then the error: ${err?.code}`)
      a.destroy()
    })
  }

  test(`SecretStream read(): good frames before a ${ending} are all readable before 'error'`, async (t) => {
    const [a, b] = createDuplexPair(1 << 20)
    const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
    const session = await rawClient(a, { appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
    await server.opened
    const good = randomBytes(30_000)
    let errored = null as Failure // set in the error listener, so the type must not narrow to null
    server.on('error', (e) => { errored = e as Failure })
    a.write(poisonedWire(session, good, ending))
    await wait(30)
    const got: Buffer[] = []
    for (;;) {
      const chunk = server.read() as Buffer | null
      if (chunk === null) {
        if (errored || server.destroyed) break
        await new Promise<void>((resolve) => { server.once('readable', () => resolve()); server.once('close', () => resolve()) })
        continue
      }
      t.equal(errored, null, 'no error while plaintext is still buffered')
      got.push(Buffer.from(chunk))
    }
    t.ok(Buffer.concat(got).equals(good), `every authenticated byte was read (${Buffer.concat(got).length} of ${good.length})`)
    await wait(10)
    t.equal(errored?.code, ErrorCodes.BOX_TAMPERED, 'then the error')
    a.destroy()
  })

  test(`pull server: good frames before a ${ending} in one read all reach the app`, async (t) => {
    const [a, b] = createDuplexPair(1 << 20)
    const opened = new Promise<PullSecretStream>((resolve, reject) => {
      const shake = pullServer(serverKeys, (_k: Buffer, cb: (e: null, ok: boolean) => void) => cb(null, true), appKey)((err, stream) => err ? reject(err) : resolve(stream!))
      pull(toPull.source(b), shake, toPull.sink(b))
    })
    const session = await rawClient(a, { appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey })
    const stream = await opened
    const good = randomBytes(60_000)
    a.write(poisonedWire(session, good, ending))
    const got: Buffer[] = []
    const end = await new Promise<Failure>((resolve) => pull(stream.source, pull.drain((d: Buffer) => { got.push(Buffer.from(d)) }, (e: End) => resolve(e === true ? null : e))))
    t.ok(Buffer.concat(got).equals(good), `all ${good.length} authenticated bytes were delivered (got ${Buffer.concat(got).length})`)
    t.equal(end?.code, ErrorCodes.BOX_TAMPERED, `then the error: ${end?.code}`)
    a.destroy()
  })
}
