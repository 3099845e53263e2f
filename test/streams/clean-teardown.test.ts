/**
 * A clean session builds no error object: handshake, data both ways, both goodbyes and the close
 * construct no Error at all (issue 11: building a SecretChannelError on every clean teardown cost
 * about 3% of a connection's CPU). V8 reads `Error.stackTraceLimit` once for every Error it
 * constructs, so a counting getter sees each one, ours or streamx's.
 */
import test from 'tape'
import { memoryChannel, collect } from '../helpers/channel.js'

async function session(): Promise<void> {
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
}

test('a clean session constructs no Error', async (t) => {
  await session() // warm-up: lazy module state
  const limit = Error.stackTraceLimit
  let built = 0
  Object.defineProperty(Error, 'stackTraceLimit', { configurable: true, get: () => { built++; return limit }, set: () => {} })
  try {
    await session()
  } finally {
    Object.defineProperty(Error, 'stackTraceLimit', { configurable: true, writable: true, value: limit })
  }
  t.equal(built, 0, `errors constructed during a clean session: ${built}`)
})
