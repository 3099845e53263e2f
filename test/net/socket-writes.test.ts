/**
 * A stream that recycles its writes (`recycleWrites`, as createServer and connect make) takes up
 * to 256 KiB before `write()` says wait, and seals a batch of 64 KiB writes into one recycled wire
 * buffer: four of them leave as one socket write. An explicit `highWaterMark`, or a stream that
 * does not recycle, keeps streamx's 16 KiB.
 */
import test from 'tape'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { encodedLength } from '../../lib/boxstream/layout.js'
import { readAll } from '../helpers/net.js'
import { socketPair } from '../helpers/tcp.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()
const CHUNK = 64 * 1024

/**
 * Opens a channel over TCP with `options` on the sending (client) side, writes four 64 KiB chunks
 * at once, and reports what write() returned and the size of every socket write after the handshake.
 */
async function fourWrites(options: Partial<SecretStreamOptions>): Promise<{ returns: boolean[], socketWrites: number[], intact: boolean }> {
  const { dialled, accepted: socket, stop } = await socketPair()
  const receiver = new SecretStream(socket, { isInitiator: false, keyPair: serverKeys, appKey })
  const sender = new SecretStream(dialled, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ...options })
  await Promise.all([sender.opened, receiver.opened])
  const socketWrites: number[] = []
  const write = dialled.write.bind(dialled) as (data: Uint8Array, cb?: () => void) => boolean
  ;(dialled as unknown as { write: typeof write }).write = (data, cb) => {
    socketWrites.push(data.length)
    return write(data, cb)
  }
  const data = randomBytes(4 * CHUNK)
  const received = readAll(receiver)
  const returns = [0, 1, 2, 3].map((i) => sender.write(data.subarray(i * CHUNK, (i + 1) * CHUNK)))
  sender.end()
  sender.resume()
  const intact = (await received).equals(data)
  receiver.end()
  await once(sender, 'close')
  stop()
  // The last socket write is the goodbye (34 bytes).
  return { returns, socketWrites: socketWrites.slice(0, -1), intact }
}

test('socket-writes: with recycleWrites, four 64 KiB writes are taken at once and leave as one socket write', async (t) => {
  const { returns, socketWrites, intact } = await fourWrites({ recycleWrites: true })
  t.ok(intact, 'the receiver got the 256 KiB intact')
  t.deepEqual(returns, [true, true, true, false], 'write() says wait only once 256 KiB are queued')
  t.deepEqual(socketWrites, [encodedLength(4 * CHUNK)], `one socket write of ${encodedLength(4 * CHUNK)} bytes`)
})

test('socket-writes: an explicit highWaterMark sets the writable side too', async (t) => {
  const { returns, socketWrites, intact } = await fourWrites({ recycleWrites: true, highWaterMark: 16 * 1024 })
  t.ok(intact, 'the receiver got the 256 KiB intact')
  t.deepEqual(returns, [false, false, false, false], 'write() says wait at once with a 16 KiB mark')
  t.equal(socketWrites.reduce((a, b) => a + b, 0), encodedLength(4 * CHUNK), 'every frame was written')
})

test('socket-writes: without recycleWrites the writable side keeps streamx\'s 16 KiB', async (t) => {
  const { returns, intact } = await fourWrites({})
  t.ok(intact, 'the receiver got the 256 KiB intact')
  t.deepEqual(returns, [false, false, false, false], 'write() says wait after the first 64 KiB')
})
