/**
 * The pull-stream API as a drop-in for the `secret-handshake` package: code written for
 * `require('secret-handshake')` works unchanged with `secret-channel/pull`. To show that the bytes
 * are the same too, the second half connects our client to a server made by the real
 * `secret-handshake` package (a devDependency of this repository).
 *
 *   node dist/examples/pull-drop-in.js
 */
import { createRequire } from 'node:module'
import net from 'node:net'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
// In your project: `import * as shs from 'secret-channel/pull'` where you had `require('secret-handshake')`.
import * as shs from '../lib/streams/pull.js'

const require = createRequire(import.meta.url)
const pull = require('pull-stream') // untyped CommonJS, as in most pull-stream code
const toPull = require('stream-to-pull-stream')

const appKey = SSB_MAIN_NETWORK_APP_KEY
const alice = generateKeyPair()
const bob = generateKeyPair()

/** A secret-handshake-style server (`createServer(keys, authorize, appKey)`) that upper-cases what it gets. */
function shoutServer(createServerStream: (cb: shs.PullHandshakeCallback) => unknown): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const duplex = toPull.duplex(socket)
    pull(duplex, createServerStream((err, stream) => {
      if (err) return console.log(`server: ${err.message}`)
      pull(stream, pull.map((data: Buffer) => Buffer.from(data.toString().toUpperCase())), stream)
    }), duplex)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** A secret-handshake-style client (`createClient(keys, appKey)(serverKey, cb)`): sends one message, collects the answer. */
function ask(port: number, serverKey: Uint8Array, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connect = shs.createClient(alice, appKey)
    const duplex = toPull.duplex(net.connect(port, '127.0.0.1'))
    pull(duplex, connect(serverKey, (err: Error | null, stream?: shs.PullSecretStream) => {
      if (err || !stream) return reject(err)
      console.log(`  client: connected to ${formatId(stream.remote)}`)
      pull(pull.values([Buffer.from(message)]), stream, pull.collect((err2: Error | null, chunks: Buffer[]) => {
        if (err2) reject(err2)
        else resolve(Buffer.concat(chunks).toString())
      }))
    }), duplex)
  })
}

const authorize = (publicKey: Buffer, cb: (err: Error | null, auth?: unknown) => void): void => cb(null, true)

console.log('1. secret-channel/pull on both ends')
const ours = await shoutServer(shs.createServer(bob, authorize, appKey))
console.log(`  answer: ${await ask((ours.address() as net.AddressInfo).port, bob.publicKey, 'hello from pull-streams')}`)
ours.close()

let reference: { createServer: typeof shs.createServer } | null = null
try {
  reference = require('secret-handshake')
} catch {
  console.log('\n2. skipped: the secret-handshake package is not installed (npm install secret-handshake)')
}
if (reference) {
  console.log('\n2. our client, the reference secret-handshake server')
  const theirs = await shoutServer(reference.createServer(bob, authorize, appKey))
  console.log(`  answer: ${await ask((theirs.address() as net.AddressInfo).port, bob.publicKey, 'same bytes on the wire')}`)
  theirs.close()
}
