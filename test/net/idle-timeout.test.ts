/**
 * Defect 5 of the streams rebuild: `idleTimeout` on `createServer` and `connect` (and
 * `listen --idle-timeout MS`), default off: an authenticated peer that stays silent is dropped
 * with `ERR_IDLE_TIMEOUT`, its socket closed.
 */
import test from 'tape'
import { once } from 'node:events'
import { ErrorCodes } from '../../lib/errors.js'
import { generateKeyPair } from '../../lib/keys.js'
import { connect, createServer, type ServerStream } from '../../lib/net/index.js'
import { closeServer, listenLocal, startListener, tempIdentities } from '../helpers/net.js'

const appKey = Buffer.alloc(32, 5)
const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()

test('createServer({ idleTimeout }): a silent authenticated client is dropped with ERR_IDLE_TIMEOUT', async (t) => {
  const server = createServer({ keyPair: serverKeys, appKey, idleTimeout: 400 })
  const accepted = once(server, 'connection') as Promise<[ServerStream]>
  const port = await listenLocal(server)
  const started = Date.now()
  const client = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  client.on('error', () => {})
  const [stream] = await accepted
  const [err] = await once(stream, 'error').catch((e) => [e])
  t.equal(err?.code, ErrorCodes.IDLE_TIMEOUT, `the server stream fails with ERR_IDLE_TIMEOUT (${err?.message})`)
  t.ok(Date.now() - started >= 390, 'not before the idle time')
  await new Promise<void>((resolve) => { if (client.destroyed) resolve(); else client.on('close', () => resolve()) })
  t.pass('the client is disconnected too')
  await closeServer(server)
})

test('traffic keeps the connection alive; the timer counts silence, not age', async (t) => {
  // 10 pings 100 ms apart outlive a 500 ms idle timeout twice over, while each gap stays 5× below
  // it, so a loaded machine's late timers cannot fake an idle period.
  const server = createServer({ keyPair: serverKeys, appKey, idleTimeout: 500 }, (s) => {
    s.on('error', () => {})
    s.on('data', (d: Buffer) => s.write(d))
  })
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const errors: Error[] = []
  client.on('error', (err: Error) => errors.push(err))
  const got: Buffer[] = []
  client.on('data', (d: Buffer) => got.push(d))
  for (let i = 0; i < 10; i++) {
    client.write(`ping ${i}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.notOk(client.destroyed, `still open after 1 s of traffic every 100 ms ${errors.map((e) => e.message).join('; ')}`)
  t.equal(Buffer.concat(got).toString().split('ping').length - 1, 10, 'all echoes came back')
  client.destroy()
  await closeServer(server)
})

test('connect({ idleTimeout }): a silent server is dropped with ERR_IDLE_TIMEOUT', async (t) => {
  const server = createServer({ keyPair: serverKeys, appKey })
  const accepted = once(server, 'connection') as Promise<[ServerStream]>
  const port = await listenLocal(server)
  const client = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, idleTimeout: 400 })
  const [stream] = await accepted
  stream.on('error', () => {})
  const [err] = await once(client, 'error').catch((e) => [e])
  t.equal(err?.code, ErrorCodes.IDLE_TIMEOUT, 'ERR_IDLE_TIMEOUT on the client')
  await closeServer(server)
})

test('idleTimeout is checked at the call that gives it', async (t) => {
  t.throws(() => createServer({ keyPair: serverKeys, appKey, idleTimeout: -1 }), /idleTimeout/, 'createServer refuses a negative idleTimeout')
  const err = await connect({ port: 1, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, idleTimeout: Number.NaN }).catch((e) => e)
  t.equal(err?.code, ErrorCodes.INVALID_ARGUMENT, 'connect refuses NaN')
})

test('secret-channel listen --idle-timeout MS drops a silent client', async (t) => {
  const ids = tempIdentities(['server', 'client'])
  try {
    const { child, port } = await startListener(['--keys', ids.file.server!, '--idle-timeout', '200'])
    const client = await connect({ host: '127.0.0.1', port, keyPair: ids.keys.client!, appKey: (await import('../../lib/keys.js')).SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: ids.keys.server!.publicKey })
    client.on('error', () => {})
    client.resume()
    const result = await child.result
    t.notEqual(result.code, 0, `listen exits with a failure status (${result.code})`)
    t.match(result.stderr, /traffic|idle/i, 'and says the connection was idle')
    client.destroy()
  } finally {
    ids.cleanup()
  }
})
