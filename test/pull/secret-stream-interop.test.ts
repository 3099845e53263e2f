/**
 * SecretStream (streamx, on a raw net.Socket) ↔ the reference secret-handshake@1.1.21 (pull
 * streams, stream-to-pull-stream on its socket) over TCP on 127.0.0.1, both roles, random
 * payloads in random writes both ways, checked by SHA-256; and the failure codes across them.
 */
import test from 'tape'
import net from 'node:net'
import { createHash } from 'node:crypto'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { freshPeers } from './interop.js'
import { deferred, failure, payload, prng, refShs, sendAndReceive, sha256, toPull, pull, type AuthCb, type Duplex, type PlainStream, type Peers } from './helpers.js'

/** A TCP connection: `ours` is the raw socket for SecretStream, `theirs` the pull duplex for the reference. */
async function tcp(ourSideDials: boolean): Promise<{ ours: net.Socket; theirs: Duplex<Buffer, Buffer>; close: () => Promise<void> }> {
  const listener = net.createServer({ allowHalfOpen: true })
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve))
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const { port } = listener.address() as net.AddressInfo
  const dialer = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const acceptor = await accepted
  const [oursSocket, theirsSocket] = ourSideDials ? [dialer, acceptor] : [acceptor, dialer]
  return {
    ours: oursSocket,
    theirs: toPull.duplex(theirsSocket),
    close: async () => {
      dialer.destroy()
      acceptor.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    }
  }
}

/** Writes `data` to a SecretStream in random pieces, then ends it (the goodbye). */
function writeRandomly(stream: SecretStream, data: Buffer, seed: number): void {
  const rnd = prng(seed)
  let at = 0
  const pump = (): void => {
    while (at < data.length) {
      const size = Math.floor(rnd() * 30000)
      const ok = stream.write(data.subarray(at, at + size))
      at += size
      if (!ok) return void stream.once('drain', pump)
    }
    stream.end()
  }
  pump()
}

/** Hashes what a SecretStream emits until its clean end. */
function hashStream(stream: SecretStream): Promise<{ hash: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    let bytes = 0
    stream.on('data', (c: unknown) => {
      h.update(c as Buffer)
      bytes += (c as Buffer).length
    })
    stream.on('end', () => resolve({ hash: h.digest('hex'), bytes }))
    stream.on('error', reject)
  })
}

/** Connects SecretStream (our role) with the reference (the other role) over TCP. */
async function connect(ourRole: 'client' | 'server', peers: Peers, authorize = (_p: Buffer, cb: AuthCb) => cb(null, true)) {
  const net = await tcp(ourRole === 'client')
  const ref = deferred<PlainStream>()
  let shake: Duplex<Buffer, Buffer>
  if (ourRole === 'client') shake = refShs.createServer(peers.server, authorize, peers.appKey)(ref.cb)
  else shake = refShs.createClient(peers.client, peers.appKey)(peers.server.publicKey, ref.cb)
  pull(net.theirs.source, shake.sink)
  pull(shake.source, net.theirs.sink)
  const ours =
    ourRole === 'client'
      ? new SecretStream(net.ours, { isInitiator: true, keyPair: peers.client, appKey: peers.appKey, remotePublicKey: peers.server.publicKey })
      : new SecretStream(net.ours, { isInitiator: false, keyPair: peers.server, appKey: peers.appKey })
  ours.on('error', () => {}) // failures are asserted through `opened` / the data promises
  return { ours, ref: ref.promise, close: net.close }
}

for (const ourRole of ['client', 'server'] as const) {
  for (const size of [0, 4097, 2 * 1024 * 1024 + 5]) {
    test(`tcp: SecretStream ${ourRole} ↔ reference ${ourRole === 'client' ? 'server' : 'client'}, ${size} bytes each way`, async (t) => {
      const peers = freshPeers()
      const { ours, ref, close } = await connect(ourRole, peers)
      try {
        const [, theirs] = await Promise.all([ours.opened, ref])
        const expectRemote = ourRole === 'client' ? peers.server.publicKey : peers.client.publicKey
        t.ok(Buffer.from(ours.remotePublicKey!).equals(expectRemote), 'SecretStream sees the peer key')
        t.ok(theirs.remote.equals(ourRole === 'client' ? peers.client.publicKey : peers.server.publicKey), 'the reference sees ours')
        const toThem = payload(size)
        const toUs = payload(Math.max(0, size - 1))
        const received = hashStream(ours)
        writeRandomly(ours, toThem, size + 3)
        const [atUs, atThem] = await Promise.all([received, sendAndReceive(theirs, toUs, size + 4)])
        t.error(atThem.err, 'the reference reads our goodbye as a clean end')
        t.equal(atThem.hash, sha256(toThem), 'SecretStream → reference SHA-256 matches')
        t.equal(atUs.bytes, toUs.length, 'every byte arrived at SecretStream')
        t.equal(atUs.hash, sha256(toUs), 'reference → SecretStream SHA-256 matches')
      } finally {
        await close()
      }
    })
  }
}

test('tcp: refusals and wrong keys across SecretStream and the reference give typed errors', async (t) => {
  // The reference server refuses our SecretStream client.
  const refused = await connect('client', freshPeers(), (_p, cb) => cb(null, false))
  const [err1, refErr1] = await Promise.all([failure(refused.ours.opened), failure(refused.ref)])
  t.ok(isSecretChannelError(err1, 'ERR_UNAUTHORIZED'), `refused SecretStream client: ${err1?.code}`)
  t.ok(refErr1 instanceof Error, 'the reference server reports its refusal')
  await refused.close()
  // The reference client dials our SecretStream server with the wrong server key.
  const peers = freshPeers()
  const wrong = { ...peers, server: { ...peers.server, publicKey: freshPeers().server.publicKey } }
  const net2 = await tcp(false)
  const ref = deferred<PlainStream>()
  const shake = refShs.createClient(wrong.client, wrong.appKey)(wrong.server.publicKey, ref.cb)
  pull(net2.theirs.source, shake.sink)
  pull(shake.source, net2.theirs.sink)
  const server = new SecretStream(net2.ours, { isInitiator: false, keyPair: peers.server, appKey: peers.appKey })
  server.on('error', () => {})
  const [err2, refErr2] = await Promise.all([failure(server.opened), failure(ref.promise)])
  t.ok(isSecretChannelError(err2, 'ERR_SERVER_KEY_MISMATCH'), `SecretStream server: ${err2?.code}`)
  t.ok(refErr2 instanceof Error, 'the reference client fails too')
  await net2.close()
})
