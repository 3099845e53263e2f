/**
 * The interop matrix shared by the in-memory and TCP test files: our client with the reference
 * server and the reference client with our server, each sending random payloads both ways.
 */
import type test from 'tape'
import * as ours from '../../lib/streams/pull.js'
import { generateKeyPair } from '../../lib/keys.js'
import { connectPair, payload, refShs, sendAndReceive, sha256, type Peers, type ShsApi } from './helpers.js'

/** Fresh keys for one connection. */
export function freshPeers(): Peers {
  return { appKey: payload(32), client: bufferKeys(), server: bufferKeys() }
}

/** A fresh key pair as Buffers (the reference needs Buffers). */
export function bufferKeys(): { publicKey: Buffer; secretKey: Buffer } {
  const { publicKey, secretKey } = generateKeyPair()
  return { publicKey: Buffer.from(publicKey), secretKey: Buffer.from(secretKey) }
}

const libs: Record<string, ShsApi> = { ours: ours as unknown as ShsApi, reference: refShs as ShsApi }

/** Payload sizes, bytes: empty, tiny, the frame edges, and several MiB. */
const SIZES = [0, 1, 4095, 4096, 4097, 65537, 3 * 1024 * 1024 + 17]

/** Registers one tape test per (direction, size) for `transport`. */
export function interopMatrix(tape: typeof test, transport: 'memory' | 'tcp', sizes = SIZES): void {
  const pairs: Array<[string, string]> = [['ours', 'reference'], ['reference', 'ours']]
  for (const [clientName, serverName] of pairs) {
    for (const size of sizes) {
      tape(`${transport}: ${clientName} client ↔ ${serverName} server, ${size} bytes each way`, async (t) => {
        const peers = freshPeers()
        const { client, server, close } = await connectPair(libs[clientName]!, libs[serverName]!, transport, peers)
        try {
          t.ok(client.remote.equals(peers.server.publicKey), 'client sees the server key')
          t.ok(server.remote.equals(peers.client.publicKey), 'server sees the client key')
          t.ok(client.crypto.encryptKey.equals(server.crypto.decryptKey), 'client encrypt key = server decrypt key')
          t.ok(client.crypto.encryptNonce.equals(server.crypto.decryptNonce), 'client encrypt nonce = server decrypt nonce')
          const up = payload(size)
          const down = payload(Math.max(0, size - 3))
          const [atClient, atServer] = await Promise.all([
            sendAndReceive(client, up, size + 1),
            sendAndReceive(server, down, size + 2)
          ])
          t.error(atServer.err, 'server stream ends cleanly (goodbye)')
          t.error(atClient.err, 'client stream ends cleanly (goodbye)')
          t.equal(atServer.bytes, up.length, 'server received every byte')
          t.equal(atServer.hash, sha256(up), 'client → server SHA-256 matches')
          t.equal(atClient.bytes, down.length, 'client received every byte')
          t.equal(atClient.hash, sha256(down), 'server → client SHA-256 matches')
        } finally {
          await close()
        }
      })
    }
  }
}
