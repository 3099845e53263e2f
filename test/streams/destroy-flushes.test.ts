/**
 * Defect 3 of the streams rebuild: data accepted by `write()` before a `destroy()` without an
 * error is encrypted and handed to the transport before teardown (socket manners), as
 * stream-to-pull-stream relies on: it writes muxrpc's last packet and then calls `destroy()`.
 * `destroy(err)` with an error may discard.
 */
import test from 'tape'
import { createRequire } from 'node:module'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'streamx'
import { ErrorCodes } from '../../lib/errors.js'
import { memoryChannel, tcpChannel } from '../helpers/channel.js'

const require = createRequire(import.meta.url)
const pull = require('pull-stream')
const toPull = require('stream-to-pull-stream')

/** Everything `stream` emits until it ends or fails, and how it stopped. */
function received(stream: Duplex): Promise<{ data: Buffer, err: (Error & { code?: string }) | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    stream.on('data', (d: unknown) => chunks.push(Buffer.from(d as Uint8Array)))
    stream.on('error', (err: Error & { code?: string }) => resolve({ data: Buffer.concat(chunks), err }))
    stream.on('end', () => resolve({ data: Buffer.concat(chunks), err: null }))
  })
}

for (const transport of ['memory', 'tcp'] as const) {
  test(`${transport}: write() then destroy() delivers the accepted bytes, then the peer sees a truncation`, async (t) => {
    const pair = transport === 'memory' ? { ...memoryChannel(), close: async () => {} } : await tcpChannel()
    const { client, server } = pair
    await Promise.all([client.opened, server.opened])
    const got = received(server)
    const big = randomBytes(100_000)
    client.write('last packet')
    client.write(big)
    client.destroy()
    const { data, err } = await got
    t.equal(data.length, 11 + big.length, `every accepted byte arrived (${data.length})`)
    t.ok(data.subarray(11).equals(big) && data.subarray(0, 11).toString() === 'last packet', 'in order')
    t.equal(err?.code, ErrorCodes.TRUNCATED, 'no goodbye was sent: the peer sees ERR_TRUNCATED')
    await pair.close()
  })
}

test('write(), end() then destroy(): the bytes and the goodbye go out', async (t) => {
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  const got = received(server)
  client.write('bye now')
  client.end()
  client.destroy()
  const { data, err } = await got
  t.equal(data.toString(), 'bye now', 'the bytes arrived')
  t.equal(err, null, 'and the goodbye: a clean end')
  server.destroy()
})

test('destroy(err) with an error may discard queued writes; the peer sees a truncation, never garbage', async (t) => {
  const { client, server } = memoryChannel()
  await Promise.all([client.opened, server.opened])
  const got = received(server)
  client.on('error', () => {})
  client.write('maybe')
  client.destroy(new Error('boom'))
  const { err } = await got
  t.equal(err?.code, ErrorCodes.TRUNCATED, 'ERR_TRUNCATED')
})

test('stream-to-pull-stream over a SecretStream: the last packet before its destroy() arrives', async (t) => {
  const { client, server, close } = await tcpChannel()
  await Promise.all([client.opened, server.opened])
  const got = received(server)
  // toPull.duplex ends a stream by writing what is left and then calling destroy().
  pull(pull.values([Buffer.from('packet 1'), Buffer.from('end packet')]), toPull.sink(client))
  const { data } = await got
  t.equal(data.toString(), 'packet 1end packet', 'both packets arrived')
  client.destroy()
  server.destroy()
  await close()
})
