/**
 * Backpressure end to end over TCP: a reader that stops reading stalls the sender, and neither
 * side buffers more than its high-water marks (plus one write or one transport chunk) in JS.
 */
import test from 'tape'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import type net from 'node:net'
import { tcpChannel } from '../helpers/channel.js'

/** streamx's buffer accounting, which its typings do not expose. */
interface StreamxInternals {
  _readableState?: { buffered: number }
  _writableState?: { buffered: number }
}

const WRITE = 64 * 1024
const HWM = 16 * 1024

test('a stalled reader bounds the sender and receiver buffers; resuming delivers every byte', async (t) => {
  const { client, server, close } = await tcpChannel()
  await Promise.all([client.opened, server.opened])
  const clientSocket = client.rawStream as net.Socket // tcpChannel's transport
  const serverSocket = server.rawStream as net.Socket
  const total = 8 * 1024 * 1024
  const block = Buffer.alloc(WRITE)
  for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xff
  const sentHash = createHash('sha256')

  let maxSenderJs = 0
  let maxReceiverJs = 0
  const sample = (): void => {
    const senderJs = ((client as unknown as StreamxInternals)._writableState?.buffered ?? 0) + clientSocket.writableLength
    const receiverJs = ((server as unknown as StreamxInternals)._readableState?.buffered ?? 0) + serverSocket.readableLength
    maxSenderJs = Math.max(maxSenderJs, senderJs)
    maxReceiverJs = Math.max(maxReceiverJs, receiverJs)
  }
  const sampler = setInterval(sample, 2)

  let sent = 0
  let stalled = false
  const writer = (async () => {
    while (sent < total) {
      sentHash.update(block)
      sent += WRITE
      sample()
      if (!client.write(block)) await once(client, 'drain')
    }
    client.end()
  })()

  // Nobody reads the server side for a while: the sender must stall well short of the total.
  await new Promise((resolve) => setTimeout(resolve, 400))
  stalled = sent < total
  const sentWhileStalled = sent
  t.ok(stalled, `the sender stalled (${(sentWhileStalled / 1048576).toFixed(1)} MiB of ${total / 1048576} MiB accepted; the rest waits)`)
  t.ok(maxReceiverJs <= HWM + 2 * WRITE, `receiver JS buffers stayed bounded (max ${maxReceiverJs} bytes)`)

  const receivedHash = createHash('sha256')
  let received = 0
  server.on('data', (data: unknown) => {
    const chunk = data as Buffer
    received += chunk.length
    receivedHash.update(chunk)
  })
  await once(server, 'end')
  await writer
  clearInterval(sampler)
  t.ok(maxSenderJs <= HWM + 2 * WRITE + 2 * 1024, `sender JS buffers stayed bounded (max ${maxSenderJs} bytes)`)
  t.equal(received, total, 'every byte arrived after the reader resumed')
  t.equal(receivedHash.digest('hex'), sentHash.digest('hex'), 'and in order')
  server.end()
  await Promise.all([once(client, 'close'), once(server, 'close')])
  await close()
  t.end()
})
