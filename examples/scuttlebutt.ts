/**
 * Talking to a Scuttlebutt peer: muxrpc, the RPC layer of secret-stack and ssb-server, over a
 * secret-channel connection, against a real secret-stack server (from npm) started here with a small
 * plugin. The client side is what you would write to call an ssb-server.
 *
 *   node dist/examples/scuttlebutt.js
 *
 * How Scuttlebutt peers close: a secret-stack peer ends a session with muxrpc's goodbye packet and
 * then closes TCP, without box-stream's goodbye. A SecretStream therefore reports that close as an
 * error (`ERR_TRUNCATED`, or `ERR_TRANSPORT` when our own goodbye meets the closed socket). Once
 * muxrpc has said goodbye, that error is the peer's normal close, and this example treats it so.
 */
import { createRequire } from 'node:module'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { connect, formatId, generateKeyPair, isSecretChannelError, SSB_MAIN_NETWORK_APP_KEY, toIdentityFile, type KeyPair } from '../lib/index.js'

// secret-stack, muxrpc, pull-stream and stream-to-pull-stream are CommonJS without types.
const require = createRequire(import.meta.url)
const SecretStack = require('secret-stack')
const muxrpc = require('muxrpc')
const pull = require('pull-stream')
const toPull = require('stream-to-pull-stream')

/** The muxrpc methods our secret-stack plugin offers (a manifest, as ssb-server publishes one). */
const manifest = { manifest: 'sync', greeter: { whoAmI: 'async', count: 'source', bye: 'async' } }

/** Starts a secret-stack server on 127.0.0.1 with the `greeter` plugin; resolves once it listens. */
async function startSecretStack(keyPair: KeyPair, appKey: Buffer): Promise<{ port: number, close(): void }> {
  const probe = createTcpServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  const app = SecretStack({ global: { appKey: appKey.toString('base64') } })
    .use({
      name: 'greeter',
      version: '1.0.0',
      manifest: manifest.greeter,
      permissions: { anonymous: { allow: ['whoAmI', 'count', 'bye'] } },
      init: () => ({
        // `this` is the caller's muxrpc session; `this.id` is the id the handshake proved.
        whoAmI (this: { id: string }, cb: (err: null, id: string) => void) { cb(null, this.id) },
        count: (n: number) => pull.values(Array.from({ length: n }, (_, i) => i)),
        // Ends the session the way Scuttlebutt peers do: muxrpc's goodbye, then a TCP close.
        bye (this: { close(cb: () => void): void }, cb: (err: null, text: string) => void) {
          cb(null, 'bye')
          setTimeout(() => this.close(() => {}), 10)
        }
      })
    })({ global: { keys: toIdentityFile(keyPair), host: '127.0.0.1', port, timers: { inactivity: 0 } } })
  await new Promise((resolve) => app.once('multiserver:listening', resolve))
  return { port, close: () => app.close() }
}

const appKey = SSB_MAIN_NETWORK_APP_KEY // the main Scuttlebutt network's caps.shs
const serverKeys = generateKeyPair()
const server = await startSecretStack(serverKeys, appKey)
console.log(`secret-stack server ${formatId(serverKeys.publicKey)} on 127.0.0.1:${server.port}`)

// The client: our SecretStream, turned into a pull-stream duplex for muxrpc.
const clientKeys = generateKeyPair()
const stream = await connect({ host: '127.0.0.1', port: server.port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
console.log(`connected to ${formatId(stream.remotePublicKey)} as ${formatId(clientKeys.publicKey)}`)
const rpc = muxrpc(manifest, {}) // (remote manifest, local manifest): we offer no methods
let muxrpcClosed = false
const closed = new Promise<void>((resolve, reject) => {
  rpc.once('closed', () => { muxrpcClosed = true })
  stream.on('error', (err: Error) => {
    // After muxrpc's goodbye, a missing box-stream goodbye is how a Scuttlebutt peer hangs up.
    const normal = muxrpcClosed && isSecretChannelError(err) && (err.code === 'ERR_TRUNCATED' || err.code === 'ERR_TRANSPORT')
    if (normal) console.log(`the server hung up after muxrpc's goodbye (${err.code}: its normal close)`)
    else reject(err)
  })
  stream.on('close', () => resolve())
})
pull(rpc.stream, toPull.duplex(stream), rpc.stream)

const call = <T>(method: (cb: (err: Error | null, value: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => method((err: Error | null, value: T) => (err ? reject(err) : resolve(value))))
console.log(`whoAmI -> ${await call<string>(rpc.greeter.whoAmI)}`)
const numbers = await call<number[]>((cb: (err: Error | null, xs: number[]) => void) => pull(rpc.greeter.count(3), pull.collect(cb)))
console.log(`count(3) -> ${numbers.join(', ')}`)
console.log(`bye -> ${await call<string>(rpc.greeter.bye)}`)
await closed
server.close()
console.log('done')
