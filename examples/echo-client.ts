/**
 * The client for echo-server.js: sends a few lines, prints what comes back, says goodbye.
 *
 *   node dist/examples/echo-client.js [PORT] [MESSAGE ...]
 */
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { connect } from '../lib/net/index.js'
import { EXAMPLE_PORT, exampleKeyPair } from './_shared.js'

const port = Number(process.argv[2] ?? EXAMPLE_PORT)
const messages = process.argv.length > 3 ? process.argv.slice(3) : ['hello', 'secret', 'world']

const stream = await connect({
  host: '127.0.0.1',
  port,
  keyPair: generateKeyPair(), // any identity will do: the echo server accepts everyone
  appKey: SSB_MAIN_NETWORK_APP_KEY,
  remotePublicKey: exampleKeyPair('echo server').publicKey // SHS1 clients must know whom they dial
})
console.log(`connected to ${formatId(stream.remotePublicKey)}`)

for (const message of messages) stream.write(Buffer.from(message + '\n'))
stream.end() // sends the box-stream goodbye; the server echoes everything, then says goodbye too

let echoed = ''
for await (const chunk of stream) echoed += String(chunk)
for (const line of echoed.split('\n').filter(Boolean)) console.log(`echo: ${line}`)
