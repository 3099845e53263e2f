/**
 * A writer that ignores backpressure never makes us build one giant transport write: queued writes
 * are framed into transport writes of at most 1 MiB (before, `_writev` turned a 200 MiB backlog into
 * one 201.7 MiB buffer, doubling the memory held), and every byte still arrives in order.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { appKey, clientKeys, collect, serverKeys, sha256 } from '../helpers/channel.js'

const MiB = 1024 * 1024

test('no transport write over 1 MiB, whatever the backlog; the bytes arrive intact', async (t) => {
  const [a, b] = createDuplexPair()
  const sizes: number[] = []
  const write = a.write.bind(a)
  a.write = ((data: Uint8Array) => { sizes.push(data.length); return write(data) }) as typeof a.write
  const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  await Promise.all([client.opened, server.opened])
  const got = collect(server)
  const big = randomBytes(3 * MiB + 12345)
  const small = Array.from({ length: 100 }, () => randomBytes(64 * 1024))
  client.write(big) // one write far over the cap
  for (const s of small) client.write(s) // 6.25 MiB more, ignoring write()'s return
  client.end()
  const all = await got
  t.equal(sha256(all), sha256(Buffer.concat([big, ...small])), `all ${all.length} bytes arrived in order`)
  const largest = Math.max(...sizes)
  t.ok(largest <= MiB, `largest transport write ${largest} bytes <= 1 MiB (${sizes.length} writes)`)
  server.end()
})
