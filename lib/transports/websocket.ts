/**
 * `fromWebSocket`: a browser `WebSocket` (or a `ws` WebSocket in Node) as the raw byte duplex a
 * {@link SecretStream} runs over. Portable: no Node built-in, only the WebSocket event API that
 * browsers and `ws` share (`addEventListener`, `send`, `close`, `bufferedAmount`, `readyState`).
 *
 * ```
 * SecretStream --write(bytes)--> send(binary message) ......... peer's 'message' --> push(bytes)
 *              <--'data'-------- push(message bytes) <......... peer's send(...)
 *              --end()---------> close(1000)       after both goodbyes (the stream decides when)
 * ```
 * As in multiserver's `ws` transport, binary messages carry stream bytes and their boundaries
 * mean nothing: box-stream frames its own bytes, exactly as over TCP. A WebSocket cannot
 * half-close, so the socket is only closed once both sides said goodbye; a close that comes
 * earlier ends the readable side, and the SecretStream reports `ERR_TRUNCATED`.
 *
 * Backpressure: browsers give no 'drain' event, so a write whose `bufferedAmount` stays above the
 * high-water mark completes once a poll sees it below again. A `ws` socket is also paused
 * (`pause()`) while the application does not read, so TCP pushes back on the sender.
 * @module
 */
import { Duplex } from 'streamx'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { concatBytes } from '../bytes.js'

/**
 * The part of the WebSocket API (browser and `ws`) this adapter uses.
 * @example
 * ```ts
 * const socket: WebSocketLike = new WebSocket('wss://pub.example/shs') // a browser WebSocket, or ws's in Node
 * const raw = fromWebSocket(socket)
 * ```
 */
export interface WebSocketLike {
  readonly readyState: number
  readonly bufferedAmount: number
  binaryType: string
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: string, listener: (event: any) => void): void // eslint-disable-line @typescript-eslint/no-explicit-any -- the DOM's and ws's event types differ; any lets both WebSocket classes fit
  removeEventListener(type: string, listener: (event: any) => void): void // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  /** `ws` only: abrupt teardown. */
  terminate?(): void
  /** `ws` only: stop reading from the socket. */
  pause?(): void
  /** `ws` only: read again. */
  resume?(): void
}

/**
 * Options for {@link fromWebSocket}.
 * @example
 * ```ts
 * const options: WebSocketDuplexOptions = { highWaterMark: 256 * 1024, maxMessageBytes: 16 * 1024 }
 * const raw = fromWebSocket(new WebSocket(url), options)
 * ```
 */
export interface WebSocketDuplexOptions {
  /** Bytes the socket may buffer (`bufferedAmount`) before writes wait (default 1 MiB). */
  highWaterMark?: number
  /** Milliseconds between `bufferedAmount` polls while a write waits (default 4). */
  pollInterval?: number
  /**
   * Largest binary message sent, bytes (default 64 KiB): a big write goes out as several messages,
   * so a receiver's message-size limit (the `ws` server's `maxPayload`) never cuts a stream.
   */
  maxMessageBytes?: number
}

const CONNECTING = 0
const OPEN = 1

/**
 * The raw duplex {@link fromWebSocket} returns; a streamx `Duplex` of bytes.
 * @example
 * ```ts
 * const raw: WebSocketDuplex = fromWebSocket(new WebSocket('ws://127.0.0.1:8989'))
 * raw.socket.bufferedAmount // the browser's own send buffer, bytes
 * ```
 */
export class WebSocketDuplex extends Duplex {
  /** The socket underneath. */
  readonly socket: WebSocketLike
  private readonly limit: number
  private readonly pollInterval: number
  private readonly maxMessage: number
  private openCallback: ((err: Error | null) => void) | null = null
  private writeCallback: ((err: Error | null) => void) | null = null
  private pollTimer: ReturnType<typeof setTimeout> | null = null
  private socketClosed = false
  private socketPaused = false
  /** Our side finished (`_final` ran): a later teardown is a normal close. */
  private finished = false

  private readonly onOpen = (): void => {
    const cb = this.openCallback
    this.openCallback = null
    if (cb) cb(null)
  }

  private readonly onMessage = (event: { data: unknown }): void => {
    const data = event.data
    let bytes: Uint8Array
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
    else if (data instanceof Uint8Array) bytes = data
    else if (Array.isArray(data)) bytes = concatBytes(...(data as Uint8Array[]))
    else {
      // Text (or a Blob, which we never ask for) is not part of this transport.
      this.destroy(new SecretChannelError(ErrorCodes.PROTOCOL, 'websocket', 'the peer sent a non-binary message'))
      return
    }
    if (bytes.length === 0) return
    if (!this.push(bytes) && this.socket.pause && !this.socketPaused) {
      this.socketPaused = true
      this.socket.pause()
    }
  }

  private readonly onError = (event: { error?: unknown; message?: string }): void => {
    const cause = event?.error ?? event
    this.destroy(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', `the WebSocket failed${event?.message ? `: ${event.message}` : ''}`, { cause }))
  }

  private readonly onClose = (event: { code?: number; reason?: string }): void => {
    this.socketClosed = true
    if (this.openCallback) {
      const cb = this.openCallback
      this.openCallback = null
      cb(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', `the WebSocket closed before it opened (code ${event?.code})`))
      return
    }
    const write = this.writeCallback
    this.writeCallback = null
    if (write) write(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', 'the WebSocket closed while a write was waiting'))
    // The peer is gone: whatever it sent is in; the stream above decides whether that was enough.
    this.push(null)
  }

  /**
   * @param socket - a browser `WebSocket` or a `ws` WebSocket, connecting or open
   * @param options - see {@link WebSocketDuplexOptions}
   */
  constructor(socket: WebSocketLike, options: WebSocketDuplexOptions = {}) {
    super({ highWaterMark: 64 * 1024 })
    if (!socket || typeof socket.send !== 'function' || typeof socket.addEventListener !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'websocket', 'fromWebSocket needs a WebSocket')
    }
    this.socket = socket
    this.limit = options.highWaterMark ?? 1024 * 1024
    this.pollInterval = options.pollInterval ?? 4
    this.maxMessage = options.maxMessageBytes ?? 64 * 1024
    // Browsers default to Blobs; `ws` defaults to Node Buffers, which are already bytes.
    if (socket.binaryType === 'blob') socket.binaryType = 'arraybuffer'
    socket.addEventListener('open', this.onOpen)
    socket.addEventListener('message', this.onMessage)
    socket.addEventListener('error', this.onError)
    socket.addEventListener('close', this.onClose)
  }

  /** streamx: waits for the socket to open. */
  override _open(cb: (err: Error | null) => void): void {
    if (this.socket.readyState === OPEN) return cb(null)
    if (this.socket.readyState !== CONNECTING) {
      return cb(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', 'the WebSocket is already closing or closed'))
    }
    this.openCallback = cb
  }

  /** streamx: the reader wants more; let a paused `ws` socket read again. */
  override _read(cb: (err: Error | null) => void): void {
    if (this.socketPaused) {
      this.socketPaused = false
      this.socket.resume?.()
    }
    cb(null)
  }

  /** streamx: binary messages of at most `maxMessageBytes` (views, no copies); completes at once unless the socket's buffer is over the mark. */
  override _write(data: Uint8Array, cb: (err: Error | null) => void): void {
    if (this.socketClosed || this.socket.readyState !== OPEN) {
      return cb(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', 'write on a WebSocket that is not open'))
    }
    if (data.length === 0) return cb(null) // an empty message carries no stream bytes
    try {
      for (let at = 0; at < data.length; at += this.maxMessage) this.socket.send(data.subarray(at, at + this.maxMessage))
    } catch (err) {
      return cb(new SecretChannelError(ErrorCodes.TRANSPORT, 'websocket', 'send failed', { cause: err }))
    }
    if (this.socket.bufferedAmount <= this.limit) return cb(null)
    this.writeCallback = cb
    this.poll()
  }

  /** streamx: our side is done. A WebSocket cannot half-close, so this is a normal close. */
  override _final(cb: (err: Error | null) => void): void {
    this.finished = true
    if (!this.socketClosed && this.socket.readyState === OPEN) this.socket.close(1000)
    cb(null)
  }

  /** streamx: release the pending write and stop polling, synchronously. */
  override _predestroy(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer)
    this.pollTimer = null
    const open = this.openCallback
    this.openCallback = null
    if (open) open(new SecretChannelError(ErrorCodes.ABORTED, 'websocket', 'destroyed while opening'))
    const write = this.writeCallback
    this.writeCallback = null
    if (write) write(new SecretChannelError(ErrorCodes.ABORTED, 'websocket', 'destroyed while a write was waiting'))
  }

  /** streamx: detach; close the socket unless it already is. */
  override _destroy(cb: (err: Error | null) => void): void {
    this._predestroy()
    const s = this.socket
    s.removeEventListener('open', this.onOpen)
    s.removeEventListener('message', this.onMessage)
    s.removeEventListener('close', this.onClose)
    // `ws` throws on an 'error' nobody listens to; errors after we let go are of no interest.
    s.removeEventListener('error', this.onError)
    s.addEventListener('error', noop)
    if (!this.socketClosed) {
      // After our own clean finish the close is already under way; anything else is a teardown.
      if (this.finished) s.close(1000)
      else if (s.terminate) s.terminate()
      else s.close(4000, 'destroyed')
    }
    cb(null)
  }

  private poll(): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null
      if (!this.writeCallback) return
      if (this.socket.bufferedAmount > this.limit && !this.socketClosed) return this.poll()
      const cb = this.writeCallback
      this.writeCallback = null
      cb(null)
    }, this.pollInterval)
  }
}

function noop(): void {}


/**
 * Turns a WebSocket (browser or `ws`) into a raw duplex for {@link SecretStream}. The socket may
 * still be connecting; the handshake starts once it is open.
 *
 * @example
 * ```ts
 * const channel = new SecretStream(fromWebSocket(new WebSocket('ws://127.0.0.1:8989')), {
 *   isInitiator: true, keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: serverKey
 * })
 * await channel.opened
 * ```
 */
export function fromWebSocket(socket: WebSocketLike, options?: WebSocketDuplexOptions): WebSocketDuplex {
  return new WebSocketDuplex(socket, options)
}
