/**
 * With `recycleWrites` (set by createServer and connect for their sockets) wire buffers are reused
 * once the socket is done with them. A buffer reused too early would overwrite bytes still queued
 * for the kernel: here the receiver stops reading until the sender's socket is backed up (its
 * writes go asynchronous), then every byte of many distinct writes must arrive intact.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { collect, sha256, tcpChannel } from '../helpers/channel.js'

test('recycled wire buffers: a backed-up socket still delivers every byte intact', async (t) => {
  const { client, server, close } = await tcpChannel({ recycleWrites: true, reuseInput: true }, { recycleWrites: true, reuseInput: true })
  await Promise.all([client.opened, server.opened])
  // Count the socket writes that did not complete at once (bytes left queued in Node, not yet in the kernel).
  const raw = client.rawStream as unknown as { writableLength: number; write: (...args: unknown[]) => boolean }
  let backedUp = 0
  const rawWrite = raw.write.bind(raw)
  raw.write = (...args: unknown[]) => {
    const ok = rawWrite(...args)
    if (raw.writableLength > 0) backedUp++
    return ok
  }
  // Nobody reads the server side for a while: its buffer fills, it stops reading the socket, and
  // the sender's socket backs up (its writes go asynchronous).
  let got: Promise<Buffer> | null = null
  const readLater = setTimeout(() => { got = collect(server) }, 300)
  // Large writes fill the socket; then small ones, each under the socket's high-water mark, so the
  // socket takes them (write() returns true) while they still wait in its queue.
  const writes = Array.from({ length: 900 }, (_, i) => randomBytes(i < 300 ? 65_536 : 500 + i))
  for (const w of writes) {
    if (!client.write(w)) await once(client, 'drain')
  }
  clearTimeout(readLater)
  got ??= collect(server)
  client.end()
  const all = await got
  t.ok(backedUp > 0, `the sender's socket was backed up after ${backedUp} writes (asynchronous writes happened)`)
  t.equal(all.length, writes.reduce((n, w) => n + w.length, 0), 'every byte arrived')
  t.equal(sha256(all), sha256(Buffer.concat(writes)), 'and intact, in order')
  server.end()
  await close()
})

test('recycled wire buffers: destroy() flushing a backlog into a backed-up socket keeps every byte', async (t) => {
  const { client, server, close } = await tcpChannel({ recycleWrites: true, reuseInput: true }, { recycleWrites: true, reuseInput: true })
  await Promise.all([client.opened, server.opened])
  // Nobody reads yet, and the writer ignores backpressure: destroy() then writes the whole
  // backlog into a socket that cannot take it, several recycled buffers queued at once.
  const writes = Array.from({ length: 600 }, (_, i) => randomBytes(i % 3 === 0 ? 3000 + i : 65_536))
  for (const w of writes) client.write(w)
  client.end()
  await new Promise((resolve) => setTimeout(resolve, 20))
  client.destroy()
  try {
    const all = await collect(server)
    t.equal(all.length, writes.reduce((n, w) => n + w.length, 0), 'every byte arrived')
    t.equal(sha256(all), sha256(Buffer.concat(writes)), 'and intact, in order')
    server.end()
  } catch (err) {
    t.error(err, 'the receiver read the whole stream') // a reused buffer shows up as ERR_BOX_TAMPERED
    server.destroy()
  }
  await close()
})
