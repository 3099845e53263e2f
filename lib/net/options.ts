/**
 * Checks the options `createServer` and `connect` share, so a mistake fails at the call that made it
 * rather than at the first connection.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { assertKeyPair, type KeyPair } from '../keys.js'
import type { SecretStreamOptions } from '../streams/secret-stream.js'
import { checkOptionalBoolean } from '../streams/channel-duplex.js'

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

/**
 * Options of the helpers that own their sockets, `createServer` and `connect`.
 * @example
 * ```ts
 * const options: SocketChannelOptions = { keyPair, appKey, ownReadBuffers: false } // Node's read buffers
 * ```
 */
export interface SocketChannelOptions extends ChannelOptions {
  /**
   * Read the socket into buffers the stream owns (default true): `SecretStream`'s
   * `ownReadBuffers`, which gives the socket Node's `onread` fields at its first bulk read, so an
   * idle connection keeps Node's path; it saves the receiver about 0.4 CPU s/GiB and costs one
   * read slab per busy connection (1 MiB while at most 64 share the process's 64 MiB read
   * budget, down to 256 KiB for 256; past that, busy connections keep Node's buffers until one
   * closes). It relies on Node internals it checks first; `false` keeps Node's own buffers.
   */
  ownReadBuffers?: boolean
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
  checkOptionalBoolean((options as SocketChannelOptions).ownReadBuffers, 'ownReadBuffers', phase)
}

/**
 * The `SecretStream` options every channel of `createServer`, `connect` and
 * `createWebSocketServer` shares: who we are, the deadlines, and whether the transport is a socket
 * the library may read in place, recycle written buffers for and read into its own buffers
 * (`reuseInput`, `recycleWrites`, and `ownReadBuffers` unless the options turn it off).
 * @example
 * ```ts
 * new SecretStream(socket, { ...streamOptions(options, true), isInitiator: true, remotePublicKey })
 * ```
 */
export function streamOptions(options: SocketChannelOptions, socketBuffers: boolean): Pick<SecretStreamOptions, 'keyPair' | 'appKey' | 'handshakeTimeout' | 'idleTimeout' | 'reuseInput' | 'recycleWrites' | 'ownReadBuffers'> {
  return {
    keyPair: options.keyPair,
    appKey: options.appKey,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    reuseInput: socketBuffers,
    recycleWrites: socketBuffers,
    ownReadBuffers: socketBuffers && options.ownReadBuffers !== false
  }
}
