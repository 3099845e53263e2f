/**
 * Defect 2 of the streams rebuild: once both goodbyes are exchanged and our bytes are flushed, the
 * transport is ended and then destroyed after a short, bounded grace, whatever the peer does: a
 * peer that said goodbye but keeps its socket open cannot hold our file descriptor.
 */
import test from 'tape'
import net from 'node:net'
import { once } from 'node:events'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { CLOSE_GRACE_MS, type RawStream } from '../../lib/streams/raw-adapter.js'
import { appKey, clientKeys, collect, serverKeys } from '../helpers/channel.js'

/** A socket whose owner never ends or destroys it: what a peer that keeps its socket open looks like. */
function stubborn(socket: net.Socket): RawStream {
  return {
    write: (data) => socket.write(data),
    end: () => undefined,
    destroy: () => undefined,
    on: (event, fn) => socket.on(event, fn),
    removeListener: (event, fn) => socket.removeListener(event, fn),
    pause: () => socket.pause(),
    resume: () => socket.resume()
  }
}

test('after both goodbyes the server lets go of a socket the peer keeps open', async (t) => {
  const listener = net.createServer({ allowHalfOpen: true })
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const port = (listener.address() as net.AddressInfo).port
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>
  const clientSocket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const [serverSocket] = await accepted
  const server = new SecretStream(serverSocket, { isInitiator: false, keyPair: serverKeys, appKey })
  const client = new SecretStream(stubborn(clientSocket), { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  await Promise.all([client.opened, server.opened])
  const fromClient = collect(server)
  const fromServer = collect(client)
  client.end('bye from the client')
  server.end(Buffer.alloc(100_000, 7))
  t.equal((await fromClient).toString(), 'bye from the client', 'the server read everything and a clean end')
  t.equal((await fromServer).length, 100_000, 'the client read everything (our bytes were flushed before the release)')
  const started = Date.now()
  const closed = await Promise.race([once(serverSocket, 'close').then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CLOSE_GRACE_MS + 3000))])
  t.ok(closed, `the server socket was destroyed ${Date.now() - started} ms after the goodbyes (grace ${CLOSE_GRACE_MS} ms)`)
  t.ok(clientSocket.readableEnded || (await Promise.race([once(clientSocket, 'end').then(() => true), new Promise((r) => setTimeout(() => r(false), 500))])), 'the peer got our FIN first')
  clientSocket.destroy()
  await new Promise<void>((resolve) => listener.close(() => resolve()))
})
