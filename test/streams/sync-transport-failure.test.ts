/**
 * A transport that fails synchronously inside a write (its 'error' emitted from within write())
 * tears the channel down while a batch is being sent piece by piece. The rest of the batch must be
 * dropped quietly: the encoder is wiped by then, and encoding another piece would throw out of
 * streamx. The application sees one ERR_TRANSPORT.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { appKey, clientKeys, serverKeys } from '../helpers/channel.js'

test('a transport failing synchronously mid-batch: one ERR_TRANSPORT, nothing thrown', async (t) => {
  const [a, b] = createDuplexPair()
  const client = new SecretStream(a, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
  server.on('error', () => {})
  server.resume()
  await Promise.all([client.opened, server.opened])
  const write = a.write.bind(a)
  let writes = 0
  a.write = ((data: Uint8Array) => {
    // The second transport write of the batch fails at once, inside write().
    if (++writes === 2) a.emit('error', new Error('link down'))
    return write(data)
  }) as typeof a.write
  const failed = new Promise<Error>((resolve) => client.once('error', resolve))
  t.doesNotThrow(() => client.write(randomBytes(5 * 1024 * 1024)), 'write() does not throw')
  const err = (await failed) as Error & { code?: string }
  t.equal(err.code, 'ERR_TRANSPORT', `the channel fails with ERR_TRANSPORT (${err.message})`)
  t.ok(writes <= 2, `no transport write after the failure (${writes} in all)`)
  server.destroy()
})
