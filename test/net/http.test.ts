/** An unmodified http.Server and http.request run over secret channels (server.emit('connection') / createConnection). */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, request, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer } from '../../lib/net/index.js'
import { closeServer, listenLocal } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY

test('http over a secret channel: GET, POST of 1 MiB, the caller identity in the handler', async (t) => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const app = createHttpServer((req, res) => {
    const caller = formatId((req.socket as unknown as { remotePublicKey: Uint8Array }).remotePublicKey)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      res.setHeader('x-caller', caller)
      res.end(req.method === 'POST' ? body.reverse() : `hello ${req.url}`)
    })
  })
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => app.emit('connection', stream))
  const port = await listenLocal(server)

  const call = (method: string, path: string, body?: Buffer): Promise<{ res: IncomingMessage, body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = request({
        method,
        path,
        createConnection: ((_opts: unknown, done: (err: Error | null, socket?: Socket) => void) => {
          connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
            .then((s) => done(null, s as unknown as Socket), done)
        }) as never
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }))
      })
      req.on('error', reject)
      req.end(body)
    })

  const get = await call('GET', '/x?y=1')
  t.equal(get.res.statusCode, 200)
  t.equal(get.body.toString(), 'hello /x?y=1')
  t.equal(get.res.headers['x-caller'], formatId(clientKeys.publicKey), 'the handler saw the proven client id')
  const payload = randomBytes(1024 * 1024)
  const post = await call('POST', '/upload', payload)
  t.ok(post.body.equals(Buffer.from(payload).reverse()), '1 MiB request body and response body intact')
  await closeServer(server)
  app.close()
})
