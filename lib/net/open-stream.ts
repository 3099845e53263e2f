/**
 * The type of a stream whose handshake has finished: what `connect()` resolves to and what
 * `createServer` hands to its connection listener. On such a stream `remotePublicKey` is always set,
 * so it is typed `Buffer` rather than the `Buffer | null` of a `SecretStream` that may still be
 * shaking hands.
 * @module
 */
import type { SecretStream } from '../streams/secret-stream.js'

/**
 * A {@link SecretStream} that is open: the peer is authenticated and `remotePublicKey` is its key.
 * Use it for streams you get from `connect()`, `createServer`, or after `await stream.opened`.
 * @example
 * ```ts
 * import { createServer, formatId, type OpenSecretStream } from 'secret-channel'
 *
 * function greet(stream: OpenSecretStream): void {
 *   stream.end(`hello ${formatId(stream.remotePublicKey)}\n`) // no null check needed
 * }
 * createServer({ keyPair, appKey }, greet)
 * ```
 */
export type OpenSecretStream<S extends SecretStream = SecretStream> = S & {
  /** The peer's Ed25519 public key (32 bytes), proved by the handshake. */
  readonly remotePublicKey: Buffer
}
