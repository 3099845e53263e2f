/** Interop with secret-handshake@1.1.21 both ways over an in-memory pull pipe. */
import test from 'tape'
import { interopMatrix } from './interop.js'

interopMatrix(test, 'memory')

import * as ours from '../../lib/streams/pull.js'
import { freshPeers } from './interop.js'
import { deferred, payload, pull, refShs, sendAndReceive, sha256, type AuthCb, type End, type PlainStream, type ShsApi, type Source, type SourceCallback } from './helpers.js'

/**
 * A through that re-cuts every chunk into single bytes, each answered in a microtask: the
 * reference's pull-reader recurses once per synchronous chunk and would overflow its stack on a
 * 4 KiB frame (ours loops; test/pull/boxstream.test.ts feeds it single bytes synchronously).
 */
const oneByteAtATime = (read: Source<Buffer>) => {
  let pending: Buffer[] = []
  return (abort: End, cb: SourceCallback<Buffer>): void => {
    if (abort) return read(abort, cb)
    if (pending.length) return queueMicrotask(() => cb(null, pending.shift()))
    read(null, (end: End, data?: Buffer) => {
      if (end || !data) return cb(end)
      pending = [...data].map((b) => Buffer.from([b]))
      if (pending.length === 0) return cb(null, Buffer.alloc(0))
      cb(null, pending.shift())
    })
  }
}

for (const [label, clientLib, serverLib] of [['ours → reference', ours, refShs], ['reference → ours', refShs, ours]] as const) {
  test(`memory, one byte per chunk both ways (handshake and frames): ${label}`, async (t) => {
    const peers = freshPeers()
    const c = deferred<PlainStream>()
    const s = deferred<PlainStream>()
    const cs = (clientLib as unknown as ShsApi).createClient(peers.client, peers.appKey)(peers.server.publicKey, c.cb)
    const ss = (serverLib as unknown as ShsApi).createServer(peers.server, (_p: Buffer, cb: AuthCb) => cb(null, true), peers.appKey)(s.cb)
    pull(cs.source, oneByteAtATime, ss.sink)
    pull(ss.source, oneByteAtATime, cs.sink)
    const [client, server] = await Promise.all([c.promise, s.promise])
    const up = payload(4097 * 2)
    const down = payload(4095)
    const [atClient, atServer] = await Promise.all([sendAndReceive(client, up, 11), sendAndReceive(server, down, 12)])
    t.error(atServer.err, 'clean end at the server')
    t.error(atClient.err, 'clean end at the client')
    t.equal(atServer.hash, sha256(up), 'client → server intact')
    t.equal(atClient.hash, sha256(down), 'server → client intact')
  })
}
