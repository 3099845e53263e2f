/**
 * Two peers over an in-memory pair of streams, no network at all: the same SecretStream works over
 * any duplex (a socket, a pipe, a WebSocket stream, …).
 *
 *   node dist/examples/in-memory.js
 */
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { createDuplexPair, SecretStream } from '../lib/index.js'

const alice = generateKeyPair()
const bob = generateKeyPair()
const [aliceEnd, bobEnd] = createDuplexPair() // two in-memory duplexes wired to each other
const appKey = SSB_MAIN_NETWORK_APP_KEY

// Alice dials Bob: she must know his public key. Bob decides whom to accept.
const a = new SecretStream(aliceEnd, { isInitiator: true, keyPair: alice, appKey, remotePublicKey: bob.publicKey })
const b = new SecretStream(bobEnd, {
  isInitiator: false,
  keyPair: bob,
  appKey,
  authorize: (key: Buffer) => key.equals(alice.publicKey) && { name: 'alice' }
})

await Promise.all([a.opened, b.opened])
console.log(`alice sees ${formatId(a.remotePublicKey as Uint8Array)}`)
console.log(`bob sees   ${formatId(b.remotePublicKey as Uint8Array)} (auth: ${JSON.stringify(b.auth)})`)

b.on('data', (data: unknown) => console.log(`bob got: ${String(data)}`))
b.on('end', () => { console.log('bob: alice said goodbye'); b.end() })
a.on('end', () => console.log('alice: bob said goodbye'))
a.on('close', () => console.log('closed cleanly'))
a.write(Buffer.from('hi bob, nobody else can read this'))
a.end()
a.resume()
