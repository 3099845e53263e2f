/**
 * A clean session builds no error object: handshake, data both ways, both goodbyes and the close
 * construct no SecretChannelError and leave streamx no error either (issue 11: building an error on
 * every clean teardown cost about 3% of a connection's CPU). SecretChannelError's parent is swapped
 * for a counting subclass of Error for the duration: `super()` resolves its parent at call time.
 */
import test from 'tape'
import { getStreamError } from 'streamx'
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

test('a clean session constructs no error', async (t) => {
  await session() // warm-up: lazy module state
  let built = 0
  class Counting extends Error {
    constructor(...args: ConstructorParameters<typeof Error>) {
      super(...args)
      built++
    }
  }
  Object.setPrototypeOf(SecretChannelError, Counting)
  let streams: Awaited<ReturnType<typeof session>>
  try {
    new SecretChannelError('ERR_ABORTED', 'probe', 'the counter works')
    t.equal(built, 1, 'the counter sees a SecretChannelError')
    built = 0
    streams = await session()
  } finally {
    Object.setPrototypeOf(SecretChannelError, Error)
  }
  t.equal(built, 0, `SecretChannelErrors constructed during a clean session: ${built}`)
  t.ok(streams.every((s) => getStreamError(s, { all: true }) === null), 'streamx recorded no error on either stream')
})
