/**
 * What the handshake callback receives: the plaintext duplex over box-stream, plus the peer's
 * identity and the session keys, shaped exactly as secret-handshake@1.1.21 shapes it.
 * @module
 */
import type { SessionKeys } from '../../handshake/index.js'
import { copyPlatformBytes } from '#platform-bytes'
import { createBoxStream, createUnboxStream } from './box.js'
import type { Duplex, Sink, Source } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

/**
 * The session keys, as secret-handshake exposes them on `stream.crypto`.
 * @example
 * ```ts
 * pull(wire, connect(bob.publicKey, (err, stream) => {
 *   const info: PullCryptoInfo | undefined = stream?.crypto // the session keys, as the reference exposes them
 * }), wire)
 * ```
 */
export interface PullCryptoInfo {
  /** 32-byte key of the box-stream we send. */
  encryptKey: PlatformBytes
  /** 32-byte key of the box-stream we receive. */
  decryptKey: PlatformBytes
  /** 24-byte starting nonce of the box-stream we send. */
  encryptNonce: PlatformBytes
  /** 24-byte starting nonce of the box-stream we receive. */
  decryptNonce: PlatformBytes
}

/**
 * The encrypted channel handed to `cb(null, stream)`: a plaintext pull duplex plus metadata.
 * @example
 * ```ts
 * pull(wire, accept((err, stream?: PullSecretStream) => {
 *   if (stream) pull(stream, stream) // echo; stream.remote is the client's key
 * }), wire)
 * ```
 */
export interface PullSecretStream<Auth = unknown> {
  /** The peer's 32-byte long-term Ed25519 public key, proven by the handshake. */
  remote: PlatformBytes
  /** On the server, the truthy value `authorize` gave; on the client, `undefined`. */
  auth: Auth | undefined
  /** The session keys and starting nonces. */
  crypto: PullCryptoInfo
  /** Plaintext from the peer; ends cleanly only on the peer's authenticated goodbye. */
  source: Source<PlatformBytes>
  /** Plaintext to the peer (Buffers or strings); a clean end sends the goodbye. */
  sink: Sink<Uint8Array | string>
}

/**
 * Callback of a handshake: an error, or the encrypted stream.
 * @example
 * ```ts
 * const onSecure: PullHandshakeCallback = (err, stream) => {
 *   if (err) return console.error(err)
 *   if (stream) console.log('peer', stream.remote.toString('base64'))
 * }
 * ```
 */
export type PullHandshakeCallback<Auth = unknown> = (err: Error | null, stream?: PullSecretStream<Auth>) => void

/** Wraps the post-handshake ciphertext duplex in box-stream, both ways. */
export function secureStream<Auth>(session: SessionKeys, auth: Auth | undefined, wire: Duplex<PlatformBytes, PlatformBytes>): PullSecretStream<Auth> {
  const crypto: PullCryptoInfo = {
    encryptKey: copyPlatformBytes(session.encryptKey),
    decryptKey: copyPlatformBytes(session.decryptKey),
    encryptNonce: copyPlatformBytes(session.encryptNonce),
    decryptNonce: copyPlatformBytes(session.decryptNonce)
  }
  const unbox = createUnboxStream(crypto.decryptKey, crypto.decryptNonce)
  const box = createBoxStream(crypto.encryptKey, crypto.encryptNonce)
  return {
    remote: copyPlatformBytes(session.remotePublicKey),
    auth,
    crypto,
    source: unbox(wire.source),
    sink: (read) => wire.sink(box(read))
  }
}
