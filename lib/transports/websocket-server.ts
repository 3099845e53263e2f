/**
 * `createWebSocketServer`: a WebSocket server (Node, on the `ws` package) whose connections are
 * secret channels, with the same events as the TCP `createServer`.
 *
 * ```
 * HTTP upgrade --> ws WebSocket --fromWebSocket--> SecretStream handshake
 *    ok   --> 'connection' (stream, request)    only authenticated peers reach the app
 *    fail --> 'handshakeError' (err, peer)      socket closed; the server keeps serving
 * ```
 * Browsers connect with {@link fromWebSocket}; the bytes on the wire are exactly those of a TCP
 * secret channel, split into binary messages (as multiserver's `ws` transport does).
 * @module
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { acceptSecretStream } from '../net/accept.js'
import { checkChannelOptions, type ChannelOptions } from '../net/options.js'
import type { PeerAddress } from '../net/server.js'
import type { OpenSecretStream } from '../net/open-stream.js'
import { fromWebSocket, type WebSocketLike } from './websocket.js'

/**
 * Options for {@link createWebSocketServer}.
 * @example
 * ```ts
 * const options: WebSocketServerOptions = { keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, server: httpServer, path: '/shs' }
 * const server = createWebSocketServer(options, (stream) => stream.pipe(stream))
 * ```
 */
export interface WebSocketServerOptions extends ChannelOptions {
  /** Admission decision by the client's proven public key, as for `createServer`. */
  authorize?: (remotePublicKey: Buffer) => unknown
  /** Open channels only: destroy with `ERR_IDLE_TIMEOUT` after this many ms without traffic (default 0: none). */
  idleTimeout?: number
  /** Attach to this HTTP(S) server (it keeps serving its other requests) … */
  server?: HttpServer
  /** … or listen on this port (0 picks one; see {@link SecretWebSocketServer.address}). */
  port?: number
  /** Host to listen on with `port` (default all interfaces). */
  host?: string
  /** Only accept upgrades for this URL path. */
  path?: string
  /** Largest WebSocket message accepted, bytes (default 1 MiB; stream bytes need no bigger ones). */
  maxPayload?: number
}

/**
 * The part of the `ws` server that {@link SecretWebSocketServer.wss} shows. Declared here, not
 * taken from `ws`, so the published declarations need no `@types/ws` (a devDependency only).
 */
interface WsServerView {
  /** The open WebSockets (each a `ws` WebSocket). */
  readonly clients: ReadonlySet<WebSocketLike & { terminate(): void }>
  /** The bound address, as `net.Server#address()` reports it. */
  address(): AddressInfo | string | null
  /** Stops accepting; calls back once closed. */
  close(callback?: (err?: Error) => void): void
  /** The `ws` server's own events (`'connection'`, `'headers'`, `'listening'`, `'error'`, `'close'`). */
  on(event: string, listener: (...args: any[]) => void): this
}

/**
 * An open secret channel over a WebSocket (`remotePublicKey` set, as for `createServer`), handed
 * over with the upgrade request it came in on.
 * @example
 * ```ts
 * server.on('connection', (stream: WebSocketServerStream, request) => {
 *   stream.write(`hello ${request.socket.remoteAddress}`)
 * })
 * ```
 */
export type WebSocketServerStream = OpenSecretStream

/**
 * Emits:
 * - `'listening'` once the port is bound (with `port`), `'error'` for server errors,
 * - `'connection' (stream, request)`: a peer authenticated; `stream.remotePublicKey` says who,
 * - `'handshakeError' (err, peer)`: a connection that failed the handshake (purely informative),
 * - `'close'` after {@link close}.
 * @example
 * ```ts
 * const server: SecretWebSocketServer = createWebSocketServer({ keyPair, appKey, port: 0 })
 * server.once('listening', () => console.log('on port', (server.address() as AddressInfo).port))
 * process.once('SIGINT', () => server.close(() => process.exit(0)))
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the merged interface only adds typed `on`/`once` overloads, no fields
export class SecretWebSocketServer extends EventEmitter {
  /** The `ws` server underneath (typed structurally: see {@link WsServerView}). */
  readonly wss: WsServerView
  /** The same server, with `ws`'s own types (kept out of the published declarations). */
  private readonly server: WebSocketServer
  private readonly options: WebSocketServerOptions

  /**
   * @param options - see {@link WebSocketServerOptions}
   * @param onConnection - optional `'connection'` listener
   */
  constructor(options: WebSocketServerOptions, onConnection?: (stream: WebSocketServerStream, request: IncomingMessage) => void) {
    super()
    checkChannelOptions(options, 'websocket server')
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'websocket server', 'authorize must be a function')
    }
    if ((options.server === undefined) === (options.port === undefined)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'websocket server', 'give exactly one of server or port')
    }
    this.options = { ...options }
    if (onConnection) this.on('connection', onConnection)
    this.server = new WebSocketServer({
      server: options.server,
      port: options.port,
      host: options.host,
      path: options.path,
      maxPayload: options.maxPayload ?? 1024 * 1024,
      perMessageDeflate: false // ciphertext does not compress
    })
    this.wss = this.server
    this.server.on('connection', (socket, request) => this.secure(socket, request))
    this.server.on('listening', () => this.emit('listening'))
    this.server.on('error', (err) => this.emit('error', err))
  }

  /** The bound address (with `port`), as `net.Server#address()` reports it. */
  address(): AddressInfo | string | null {
    return this.server.address()
  }

  /** Stops accepting, closes every open WebSocket, and calls back once done. */
  close(callback?: (err?: Error) => void): void {
    for (const client of this.server.clients) client.terminate()
    this.server.close((err) => {
      this.emit('close')
      callback?.(err)
    })
  }

  private secure(socket: WebSocket, request: IncomingMessage): void {
    const peer: PeerAddress = { remoteAddress: request.socket.remoteAddress, remotePort: request.socket.remotePort, remoteFamily: request.socket.remoteFamily }
    // WebSocket messages are ws's buffers: read them, never decrypt in place.
    acceptSecretStream(fromWebSocket(socket as unknown as WebSocketLike), this.options, false,
      (stream) => this.emit('connection', stream, request),
      (err) => this.emit('handshakeError', err, peer))
  }
}


/**
 * Typed listeners for {@link SecretWebSocketServer}'s events.
 * @example
 * ```ts
 * server.on('connection', (stream, request) => console.log(request.url, formatId(stream.remotePublicKey!)))
 * server.on('handshakeError', (err, peer) => console.warn(peer.remoteAddress, err.code))
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- event overloads only (see the class)
export interface SecretWebSocketServer {
  on(event: 'connection', listener: (stream: WebSocketServerStream, request: IncomingMessage) => void): this
  on(event: 'handshakeError', listener: (err: SecretChannelError, peer: PeerAddress) => void): this
  on(event: 'listening' | 'close', listener: () => void): this
  on(event: 'error', listener: (err: Error) => void): this
  once(event: 'connection', listener: (stream: WebSocketServerStream, request: IncomingMessage) => void): this
  once(event: 'handshakeError', listener: (err: SecretChannelError, peer: PeerAddress) => void): this
  once(event: 'listening' | 'close', listener: () => void): this
  once(event: 'error', listener: (err: Error) => void): this
}

/**
 * Creates a WebSocket server that runs the server side of the secret handshake on every connection.
 *
 * @example
 * ```ts
 * const server = createWebSocketServer({ keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, port: 8989 }, (stream) => {
 *   console.log('hello', formatId(stream.remotePublicKey!))
 *   stream.pipe(stream) // echo
 * })
 * server.on('handshakeError', (err, peer) => console.warn(peer.remoteAddress, err.code))
 * ```
 */
export function createWebSocketServer(options: WebSocketServerOptions, onConnection?: (stream: WebSocketServerStream, request: IncomingMessage) => void): SecretWebSocketServer {
  return new SecretWebSocketServer(options, onConnection)
}
