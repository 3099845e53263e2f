/**
 * A clean session builds no error object: handshake, data both ways, both goodbyes and the close
 * construct no SecretChannelError and leave streamx no error either (issue 11: building an error on
 * every clean teardown cost about 3% of a connection's CPU). SecretChannelError's parent is swapped
 * for a counting subclass of Error for the duration: `super()` resolves its parent at call time.
 */
import test from 'tape'
import { Readable, getStreamError } from 'streamx'
import { SecretChannelError } from '../../lib/errors.js'
import { memoryChannel, collect } from '../helpers/channel.js'

async function session(): Promise<Array<Parameters<typeof getStreamError>[0]>> {
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  const a = collect(server)
  const b = collect(client)
  client.end('hello')
  server.end('world')
  await Promise.all([a, b])
  await new Promise<void>((resolve) => {
    let closed = 0
    const done = (): void => { if (++closed === 2) resolve() }
    if (client.destroyed) done(); else client.once('close', done)
    if (server.destroyed) done(); else server.once('close', done)
  })
  return [client as never, server as never]
}

/** Runs `body` with SecretChannelError's constructions counted; returns the count. */
async function countErrors(t: { equal: (a: unknown, b: unknown, msg: string) => void }, body: () => Promise<void>): Promise<number> {
  let built = 0
  class Counting extends Error {
    constructor(...args: ConstructorParameters<typeof Error>) {
      super(...args)
      built++
    }
  }
  Object.setPrototypeOf(SecretChannelError, Counting)
  try {
    new SecretChannelError('ERR_ABORTED', 'probe', 'the counter works')
    t.equal(built, 1, 'the counter sees a SecretChannelError')
    built = 0
    await body()
  } finally {
    Object.setPrototypeOf(SecretChannelError, Error)
  }
  return built
}

test('a clean session constructs no error', async (t) => {
  await session() // warm-up: lazy module state
  let streams: Awaited<ReturnType<typeof session>> = []
  const built = await countErrors(t, async () => { streams = await session() })
  t.equal(built, 0, `SecretChannelErrors constructed during a clean session: ${built}`)
  t.ok(streams.every((s) => getStreamError(s, { all: true }) === null), 'streamx recorded no error on either stream')
})

test('destroying open channels with nothing waiting constructs no SecretChannelError', async (t) => {
  // The error a destroy fails parked callbacks with is built only when something is parked: a
  // handshake benchmark that destroys both ends spent about 1.3% of its page CPU building it.
  const built = await countErrors(t, async () => {
    for (let i = 0; i < 3; i++) {
      const { client, server } = memoryChannel()
      await Promise.all([client.opened, server.opened])
      client.destroy()
      server.destroy()
      await new Promise((resolve) => setTimeout(resolve, 5))
      t.ok(client.destroyed && server.destroyed, `pair ${i}: both ends destroyed`)
    }
  })
  t.equal(built, 0, `SecretChannelErrors constructed by three destroys of open pairs: ${built}`)
})

test('a destroy with a write parked still releases it: the stream closes', async (t) => {
  // streamx waits for a parked _write callback before it finishes destroying: the lazily built
  // error must still reach it, or 'close' never comes.
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  server.pause() // nothing reads: the client's writes back up until one is parked
  client.on('error', () => {})
  // 16 MiB queued regardless of backpressure, so the transport fills and a write waits for 'drain'.
  for (let i = 0; i < 256; i++) client.write(new Uint8Array(64 * 1024))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000)
    client.once('close', () => { clearTimeout(timer); resolve(true) })
  })
  client.destroy()
  t.ok(await closed, "'close' after destroying a stream with a parked write")
  server.destroy()
})

test("a destroy without an error gives streamx its marker without building a stack trace, on the streams and the in-memory pair", async (t) => {
  // streamx builds a new StreamError with a stack for every destroy() without an error; four per
  // destroyed handshake pair cost 4-5% of a WebCrypto pair in Chromium (lib/streams/plain-destroy.ts).
  const probe = new Readable()
  probe.destroy()
  const streamx = getStreamError(probe, { all: true })!
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  const errors: unknown[] = []
  client.on('error', (e) => errors.push(e))
  server.on('error', (e) => errors.push(e))
  client.destroy()
  server.destroy()
  await new Promise((resolve) => setTimeout(resolve, 5))
  const ends = { client, server, "the client's transport": client.rawStream, "the server's transport": server.rawStream }
  for (const [name, stream] of Object.entries(ends)) {
    const marker = getStreamError(stream as never, { all: true }) as (Error & { code?: string }) | null
    t.ok(marker !== null && Object.getPrototypeOf(marker) === Object.getPrototypeOf(streamx), `${name}: streamx's own error class`)
    t.equal(marker?.code, 'STREAM_DESTROYED', `${name}: code STREAM_DESTROYED`)
    t.equal(marker?.message, streamx.message, `${name}: streamx's message`)
    t.equal(marker?.name, streamx.name, `${name}: streamx's name`)
    t.notOk(marker !== null && Object.prototype.hasOwnProperty.call(marker, 'stack'), `${name}: no stack trace was captured`)
    t.equal(getStreamError(stream as never), null, `${name}: streamx still reads it as no error`)
  }
  t.deepEqual(errors, [], "neither stream emitted 'error'")
})
