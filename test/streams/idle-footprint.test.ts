/**
 * What an open, idle channel keeps attached to its transport and what it still counts, over TCP:
 * no 'drain' listener until a write has to wait for one (then backpressure works as before), and
 * the readable accounting (`readableBuffered`, which the deliver-before-error rule rests on) done
 * by one shared function rather than a closure per channel.
 */
import test from 'tape'
import { once } from 'node:events'
import type net from 'node:net'
import { tcpChannel } from '../helpers/channel.js'

test('an idle open channel has no drain listener on its socket; the first blocked write adds one and drains', async (t) => {
  const { client, server, close } = await tcpChannel({ highWaterMark: 1024 }, { highWaterMark: 1024 })
  await Promise.all([client.opened, server.opened])
  const socket = client.rawStream as net.Socket // tcpChannel's transport
  const before = socket.listenerCount('drain')
  t.equal(before, 0, 'no drain listener while idle')
  // The receiver stops reading: the kernel buffers fill and the socket asks the sender to wait.
  server.pause()
  const block = Buffer.alloc(256 * 1024, 0x33)
  let sent = 0
  for (let i = 0; i < 200 && socket.listenerCount('drain') === 0; i++) {
    sent += block.length
    if (!client.write(block)) await Promise.race([once(client, 'drain'), new Promise((resolve) => setTimeout(resolve, 20))])
  }
  t.equal(socket.listenerCount('drain'), 1, 'a write waiting for the transport adds the drain listener')
  let received = 0
  server.on('data', (chunk: Buffer) => {
    received += chunk.length
  })
  const ended = once(server, 'end')
  server.resume()
  client.end()
  await ended
  t.equal(received, sent, `every byte arrives once the reader resumes (${sent} bytes)`)
  client.destroy()
  server.destroy()
  await close()
  t.end()
})

test('readableBuffered counts the plaintext queued for the application and returns to 0 as it is read', async (t) => {
  const { client, server, close } = await tcpChannel()
  await Promise.all([client.opened, server.opened])
  server.pause()
  client.write(Buffer.alloc(1000, 1))
  client.write(Buffer.alloc(500, 2))
  for (let i = 0; i < 100 && server.readableBuffered < 1500; i++) await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(server.readableBuffered, 1500, '1500 bytes queued, 1500 counted')
  let read = 0
  let chunk: Buffer | null
  while ((chunk = server.read() as Buffer | null) !== null) read += chunk.length
  t.equal(read, 1500, 'the application reads them')
  t.equal(server.readableBuffered, 0, 'nothing counted once read')
  client.destroy()
  server.destroy()
  await close()
  t.end()
})
