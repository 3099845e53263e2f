/**
 * An echo server over TCP: every authenticated client gets its own bytes back.
 *
 *   node dist/examples/echo-server.js [PORT]     (default 8008; 0 picks a free port)
 *
 * Then run `node dist/examples/echo-client.js` in another terminal. Ctrl-C stops the server.
 */
import { pipeline } from 'node:stream'
import { formatId, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { createServer } from '../lib/net/index.js'
import { EXAMPLE_PORT, exampleKeyPair } from './_shared.js'

const port = Number(process.argv[2] ?? EXAMPLE_PORT)
const keyPair = exampleKeyPair('echo server')

const server = createServer({ keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY }, (stream) => {
  const who = formatId(stream.remotePublicKey)
  console.log(`client ${who} connected`)
  // Echo: the client's goodbye ends our readable side, which ends the writable side, which says goodbye back.
  pipeline(stream, stream, (err) => console.log(`client ${who} ${err ? `failed: ${err.message}` : 'said goodbye'}`))
})
server.on('handshakeError', (err, peer) => console.log(`refused ${peer.remoteAddress}: ${err.code}`))
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number }
  console.log(`echo server ${formatId(keyPair.publicKey)} listening on 127.0.0.1:${address.port}`)
})
process.once('SIGINT', () => server.close())
process.once('SIGTERM', () => server.close())
