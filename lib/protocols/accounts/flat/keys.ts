/**
 * The flat protocol's key schedule, sans-I/O.
 *
 * ```
 * K   = the 32-byte SESSION-KEY the server drew and sealed to the account's key
 * H   = SHA-256("secret-channel/flat/v1" ‖ len u32 BE ‖ client handshake commands ‖ server handshake commands)
 *       client commands: CLIENT-NONCE, USERNAME | CERTIFICATE-ID (as sent, headers included; not MAX-PACKET)
 *       server commands: [CERTIFICATE], SESSION-KEY, MAX-PACKET in the order sent (headers included)
 * sig = Ed25519(serverKey, "secret-channel/flat/v1/server" ‖ H)            → SERVER-SIGNATURE
 * kC→S = HMAC-SHA-512-256(K, "secret-channel/flat/v1/c2s" ‖ H)
 * kS→C = HMAC-SHA-512-256(K, "secret-channel/flat/v1/s2c" ‖ H)
 * P   = SHA-256("secret-channel/flat/v1/proof" ‖ H ‖ the client's MAX-PACKET command, if it sent one)
 * proof = secretbox(kC→S, nonce 0, P)                                      → CLIENT-PROOF (48 bytes)
 * ```
 * Binding both keys to H (which holds the client's fresh nonce and the sealed K) means a recorded
 * session cannot be replayed into a new one in either direction.
 *
 * The client's MAX-PACKET is outside H because design document 003 lets the client send it after
 * USERNAME: the server may already have answered (and signed H) when it arrives. The proof covers
 * it instead, so a MAX-PACKET changed in flight fails the login at the server.
 * @module
 */
import type { CryptoBackend } from '../../../crypto/index.js'

const enc = new TextEncoder()
/** Domain label of this version of the protocol. */
const LABEL = enc.encode('secret-channel/flat/v1')
const SERVER_LABEL = enc.encode('secret-channel/flat/v1/server')
const C2S = enc.encode('secret-channel/flat/v1/c2s')
const S2C = enc.encode('secret-channel/flat/v1/s2c')
const PROOF = enc.encode('secret-channel/flat/v1/proof')

/** H over both sides' handshake commands. */
export function transcriptHash(crypto: CryptoBackend, client: Uint8Array[], server: Uint8Array[]): Uint8Array {
  const c = Buffer.concat(client)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(c.length, 0)
  return crypto.sha256(Buffer.concat([LABEL, len, c, ...server]))
}

/**
 * P, what CLIENT-PROOF seals: H and the client's MAX-PACKET command (empty when it sent none).
 * @example
 * ```ts
 * const proof = sender.sealValue(proofValue(crypto, h, clientMaxPacketCommand))
 * ```
 */
export function proofValue(crypto: CryptoBackend, h: Uint8Array, clientMaxPacket: Uint8Array | null): Uint8Array {
  return crypto.sha256(Buffer.concat([PROOF, h, clientMaxPacket ?? new Uint8Array(0)]))
}

/** The bytes the server signs. */
export function serverSignedBytes(h: Uint8Array): Uint8Array {
  return Buffer.concat([SERVER_LABEL, h])
}

/** The two directional keys for session key `k` and transcript `h`. */
export function directionalKeys(crypto: CryptoBackend, k: Uint8Array, h: Uint8Array): { clientToServer: Uint8Array, serverToClient: Uint8Array } {
  return {
    clientToServer: crypto.auth(Buffer.concat([C2S, h]), k),
    serverToClient: crypto.auth(Buffer.concat([S2C, h]), k)
  }
}

/** The 24-byte nonce for message number `n` in one direction: 16 zero bytes ‖ n as u64 BE. */
export function nonceFor(n: bigint, into: Uint8Array = new Uint8Array(24)): Uint8Array {
  into.fill(0, 0, 16)
  new DataView(into.buffer, into.byteOffset, 24).setBigUint64(16, n)
  return into
}
