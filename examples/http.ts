/**
 * HTTP over a secret channel: an unmodified `http.Server` and `http.request`, with the TCP socket
 * replaced by an authenticated, encrypted stream. The handler knows who is calling from
 * `peerKeyOf(req.socket)`, with no passwords or TLS certificates; `createHttpConnection` gives
 * http.request a fresh channel per request.
 *
 *   node dist/examples/http.js
 */
import { request, createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { createHttpConnection, createServer, peerKeyOf } from '../lib/net/index.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()

// An ordinary HTTP app. It never listens itself: the secret server hands it authenticated streams.
const app = createHttpServer((req, res) => {
  const key = peerKeyOf(req.socket)
  const caller = key ? formatId(key) : 'an unauthenticated socket'
  let body = ''
  req.on('data', (chunk: Buffer) => { body += chunk })
  req.on('end', () => {
    res.setHeader('content-type', 'text/plain')
    res.end(`${req.method} ${req.url} from ${caller}${body ? `, body: ${body}` : ''}\n`)
  })
})
const server = createServer({ keyPair: serverKeys, appKey }, (stream) => app.emit('connection', stream))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as { port: number }

/** http.request over a fresh secret channel: `createConnection` may hand over the socket asynchronously. */
function secretRequest(method: string, path: string, body?: string): Promise<{ status: number, text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      method,
      path,
      headers: { host: 'secret-channel' },
      createConnection: createHttpConnection({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
    }, (res: IncomingMessage) => {
      let text = ''
      res.on('data', (chunk: Buffer) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

console.log(`client is ${formatId(clientKeys.publicKey)}`)
for (const [method, path, body] of [['GET', '/hello'], ['POST', '/notes', 'written over SHS1']] as const) {
  const { status, text } = await secretRequest(method, path, body)
  console.log(`${status} ${text.trim()}`)
}
server.close()
