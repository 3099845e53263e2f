/**
 * A TCP (or Unix socket) server whose connections are secret channels.
 *
 * ```
 * net.Socket --(raw 'connection', intercepted)--> SecretStream handshake
 *    ok   --> 'connection' (stream)         only authenticated peers reach the app
 *    fail --> 'handshakeError' (err, peer)  socket destroyed; the server keeps serving
 * ```
 * @module
 */
import { Server, Socket } from 'node:net'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { SecretStream } from '../streams/secret-stream.js'
import { acceptSecretStream } from './accept.js'
import { checkChannelOptions, type SocketChannelOptions } from './options.js'
import { addSocketShims, type SocketLike } from './socket-shim.js'
import type { OpenSecretStream } from './open-stream.js'

/**
 * Options for {@link createServer}.
 * @example
 * ```ts
 * const options: ServerOptions = { keyPair, appKey, authorize: (key) => allowed.has(formatId(key)) }
 * createServer(options, (stream) => stream.pipe(stream)).listen(8008)
 * ```
 */
export interface ServerOptions extends SocketChannelOptions {
  /**
   * Decides whether a client (by its 32-byte public key) may connect. Return (or resolve to) a truthy
   * value to accept it, exposed as `stream.auth`; false, or throwing, refuses it and the server hangs
   * up without proving who it is. Leave it out to accept any client that knows the app key.
   */
  authorize?: (remotePublicKey: Buffer) => unknown
}

/**
 * Where a failed handshake came from, as the raw socket reported it.
 * @example
 * ```ts
 * server.on('handshakeError', (err, peer: PeerAddress) => console.warn(`${peer.remoteAddress}:${peer.remotePort}`, err.code))
 * ```
 */
export interface PeerAddress {
  /** The peer's IP address (undefined for a non-socket transport). */
  remoteAddress?: string
  /** The peer's port. */
  remotePort?: number
  /** `"IPv4"` or `"IPv6"`. */
  remoteFamily?: string
}

/**
 * A secret stream handed out by the server: a {@link SecretStream} with socket-like extras for http.
 * @example
 * ```ts
 * createServer({ keyPair, appKey }, (stream: ServerStream) => {
 *   console.log(formatId(stream.remotePublicKey), stream.remoteAddress)
 *   stream.end('hello\n')
 * })
 * ```
 */
export type ServerStream = OpenSecretStream & SocketLike

/**
 * A `net.Server` whose `'connection'` event carries {@link SecretStream}s that finished the handshake.
 * Everything else (`listen`, `close`, `address`, `maxConnections`, …) is the plain `net.Server` API.
 *
 * Events added or changed:
 * - `'connection' (stream: ServerStream)`: a peer authenticated; `stream.remotePublicKey` says who.
 * - `'handshakeError' (err: SecretChannelError, peer: PeerAddress)`: a connection that failed the
 *   handshake (wrong app key, refused by `authorize`, garbage, timeout, hang-up). Purely informative.
 *
 * Any duplex can be handed to it with `server.emit('connection', duplex)` to run the server side of
 * the handshake over a transport other than TCP.
 * @example
 * ```ts
 * const server: SecretServer = createServer({ keyPair, appKey }, (stream) => stream.pipe(stream))
 * server.on('handshakeError', (err, peer) => console.warn(peer.remoteAddress, err.code))
 * server.listen(8008, '127.0.0.1')
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the merged interface only adds typed `on`/`once` overloads, no fields
export class SecretServer extends Server {
  private readonly channel: ServerOptions

  /**
   * @param options - key pair, app key, optional `authorize`, `handshakeTimeout` and `idleTimeout`
   * @param onConnection - optional `'connection'` listener
   */
  constructor(options: ServerOptions, onConnection?: (stream: ServerStream) => void) {
    checkChannelOptions(options, 'server')
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'server', 'authorize must be a function')
    }
    // allowHalfOpen: box-stream has its own goodbye, so each direction must be able to finish on its own.
    super({ allowHalfOpen: true })
    this.channel = { ...options }
    if (onConnection) this.on('connection', onConnection)
  }

  /**
   * Intercepts net.Server's own `'connection'` (a raw socket) and replaces it with the handshake;
   * only secret streams are passed on to listeners.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && !(args[0] instanceof SecretStream)) {
      this.secure(args[0] as Socket)
      return true
    }
    return super.emit(event, ...args)
  }

  private secure(raw: Socket): void {
    const peer: PeerAddress = { remoteAddress: raw.remoteAddress, remotePort: raw.remotePort, remoteFamily: raw.remoteFamily }
    // A socket's reads are fresh buffers nobody else holds: open frames in place in them.
    acceptSecretStream(raw, this.channel, raw instanceof Socket,
      (stream) => super.emit('connection', addSocketShims(stream, raw)),
      (err) => super.emit('handshakeError', err, peer))
  }
}


/** Typed listeners for the events {@link SecretServer} adds or changes; every other `net.Server` event is unchanged. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- event overloads only (see the class)
export interface SecretServer {
  on(event: 'connection', listener: (stream: ServerStream) => void): this
  on(event: 'handshakeError', listener: (err: SecretChannelError, peer: PeerAddress) => void): this
  on(event: string, listener: (...args: any[]) => void): this
  once(event: 'connection', listener: (stream: ServerStream) => void): this
  once(event: 'handshakeError', listener: (err: SecretChannelError, peer: PeerAddress) => void): this
  once(event: string, listener: (...args: any[]) => void): this
}

/**
 * Creates a server that runs the server side of the secret handshake on every incoming connection.
 *
 * @example
 * ```ts
 * const server = createServer({ keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY }, (stream) => {
 *   console.log('hello', formatId(stream.remotePublicKey))
 *   stream.pipe(stream) // echo
 * })
 * server.on('handshakeError', (err, peer) => console.warn(peer.remoteAddress, err.code))
 * server.listen(8008, '127.0.0.1')
 * ```
 */
export function createServer(options: ServerOptions, onConnection?: (stream: ServerStream) => void): SecretServer {
  return new SecretServer(options, onConnection)
}
