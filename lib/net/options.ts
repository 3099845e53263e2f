/**
 * Checks the options `createServer` and `connect` share, so a mistake fails at the call that made it
 * rather than at the first connection.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { assertKeyPair, type KeyPair } from '../keys.js'
import type { SecretStreamOptions } from '../streams/secret-stream.js'

/**
 * Options common to both ends of a TCP secret channel.
 * @example
 * ```ts
 * const options: ChannelOptions = { keyPair, appKey, handshakeTimeout: 5000, idleTimeout: 60_000 }
 * ```
 */
export interface ChannelOptions {
  /** Our long-term Ed25519 key pair. */
  keyPair: KeyPair
  /** The 32-byte network identifier (SHS1's `K`); `SSB_MAIN_NETWORK_APP_KEY` for Scuttlebutt's main network. */
  appKey: Uint8Array
  /**
   * Milliseconds the whole handshake may take (for `connect`, counted from the start of the TCP
   * connect); default 10 000, 0 disables the deadline (not advisable on a server).
   */
  handshakeTimeout?: number
  /**
   * Destroy an open channel with `ERR_IDLE_TIMEOUT` after this many milliseconds without a byte
   * received or sent; default 0 (off). On a server it drops authenticated clients that stay silent.
   */
  idleTimeout?: number
}

/** Throws `ERR_INVALID_ARGUMENT` (phase `phase`) when the shared options are malformed. */
export function checkChannelOptions(options: ChannelOptions | undefined, phase: string): void {
  if (!options || typeof options !== 'object') {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'options { keyPair, appKey } are required')
  }
  assertKeyPair(options.keyPair)
  if (!(options.appKey instanceof Uint8Array) || options.appKey.length !== 32) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'appKey must be 32 bytes')
  }
  const t = options.handshakeTimeout
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && Number.isFinite(t))) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'handshakeTimeout must be a number of milliseconds >= 0')
  }
  const idle = options.idleTimeout
  if (idle !== undefined && !(typeof idle === 'number' && idle >= 0 && Number.isFinite(idle))) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'idleTimeout must be a number of milliseconds >= 0')
  }
}

/**
 * The `SecretStream` options every channel of `createServer`, `connect` and
 * `createWebSocketServer` shares: who we are, the deadlines, and whether the transport is a socket
 * the library may read in place and recycle written buffers for (`reuseInput`, `recycleWrites`).
 * @example
 * ```ts
 * new SecretStream(socket, { ...streamOptions(options, true), isInitiator: true, remotePublicKey })
 * ```
 */
export function streamOptions(options: ChannelOptions, socketBuffers: boolean): Pick<SecretStreamOptions, 'keyPair' | 'appKey' | 'handshakeTimeout' | 'idleTimeout' | 'reuseInput' | 'recycleWrites'> {
  return {
    keyPair: options.keyPair,
    appKey: options.appKey,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    reuseInput: socketBuffers,
    recycleWrites: socketBuffers
  }
}
