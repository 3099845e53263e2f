/**
 * Aborts follow the platform's convention (issue 14): the error of an operation stopped by an
 * AbortSignal has `name === 'AbortError'`, keeps `code` `ERR_ABORTED`, and keeps `signal.reason`
 * as its `cause`, for SecretStream (before and after the handshake) and for connect().
 */
import test from 'tape'
import { once } from 'node:events'
import net from 'node:net'
import { ErrorCodes } from '../../lib/errors.js'
import { connect } from '../../lib/net/index.js'
import { memoryChannel, serverKeys, clientKeys, appKey } from '../helpers/channel.js'

function isAbort(t: test.Test, err: (Error & { code?: string }) | null | undefined, reason: unknown, where: string): void {
  t.equal(err?.name, 'AbortError', `${where}: name AbortError`)
  t.equal(err?.code, ErrorCodes.ABORTED, `${where}: code ERR_ABORTED`)
  t.equal(err?.cause, reason, `${where}: cause is signal.reason`)
}

test('SecretStream: abort during the handshake', async (t) => {
  const ac = new AbortController()
  const { client, server } = memoryChannel({ signal: ac.signal })
  server.on('error', () => {})
  const reason = new Error('user pressed cancel')
  const failed = once(client, 'error')
  ac.abort(reason)
  const [err] = await failed
  isAbort(t, err, reason, "'error'")
  isAbort(t, await client.opened.catch((e) => e), reason, 'opened')
})

test('SecretStream: abort after open, and a signal aborted before construction', async (t) => {
  const ac = new AbortController()
  const { client, server } = memoryChannel({ signal: ac.signal })
  server.on('error', () => {})
  await Promise.all([client.opened, server.opened])
  const failed = once(client, 'error')
  ac.abort()
  const [err] = await failed
  isAbort(t, err, ac.signal.reason, 'open channel')
  const early = memoryChannel({ signal: AbortSignal.abort('already') })
  early.server.on('error', () => {})
  early.client.on('error', () => {})
  isAbort(t, await early.client.opened.catch((e) => e), 'already', 'pre-aborted')
})

test('connect(): aborted before and during the attempt', async (t) => {
  const pre = await connect({ port: 1, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, signal: AbortSignal.abort('nope') }).catch((e) => e)
  isAbort(t, pre, 'nope', 'pre-aborted connect')
  // A server that accepts TCP but never answers the hello.
  const silent = net.createServer((socket) => { socket.on('error', () => {}); socket.on('close', () => {}) })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  const ac = new AbortController()
  const pending = connect({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, signal: ac.signal })
  setTimeout(() => ac.abort(new Error('too slow')), 50)
  const err = await pending.catch((e) => e)
  isAbort(t, err, ac.signal.reason, 'connect mid-handshake')
  silent.close()
})
