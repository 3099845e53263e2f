/**
 * `npm run example:browser`: serves a page that opens a secret channel over WebSocket to this
 * server and shows the handshake and an echo. Open the printed URL in a browser.
 *
 * The page is the package's browser entry bundled by esbuild (a devDependency) on start.
 * Usage: node dist/examples/browser/server.js [port]   (default 8989; 0 picks a free one)
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { createWebSocketServer, formatId, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/index.js'
import { exampleKeyPair } from '../_shared.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const port = Number(process.argv[2] ?? 8989)
const keyPair = exampleKeyPair('browser server')

const bundle = await build({ entryPoints: [join(here, 'page.js')], absWorkingDir: root, bundle: true, write: false, platform: 'browser', format: 'esm', minify: true, logLevel: 'silent' })
const script = bundle.outputFiles[0]!.text
const html = `<!doctype html><meta charset="utf-8"><title>secret-channel in the browser</title>
<body data-server-id="${formatId(keyPair.publicKey)}"><h1>secret-channel in the browser</h1><pre id="log"></pre>
<script type="module" src="/page.js"></script></body>`

const server = http.createServer((req, res) => {
  const js = req.url === '/page.js'
  res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' })
  res.end(js ? script : html)
})
const channels = createWebSocketServer({ keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, server, path: '/ws' }, (stream) => {
  console.log(`channel from ${formatId(stream.remotePublicKey!)}`)
  stream.on('error', (err) => console.log(`channel error: ${err.message}`))
  stream.pipe(stream) // echo
})
channels.on('handshakeError', (err, peer) => console.log(`handshake failed from ${peer.remoteAddress}: ${err.code}`))
server.listen(port, '127.0.0.1', () => {
  console.log(`open http://127.0.0.1:${(server.address() as AddressInfo).port}/  (server id ${formatId(keyPair.publicKey)}; Ctrl-C stops)`)
})
