/**
 * Makes a {@link SecretStream} carried over a `net.Socket` look enough like a socket for code written
 * against sockets: Node's `http.Server` (fed with `server.emit('connection', stream)`) and
 * `http.request({ createConnection })` call `setTimeout`, `setNoDelay`, `cork`, `destroySoon`, read
 * `remoteAddress`, and so on. Each shim forwards to the raw socket underneath (its idle timer counts
 * ciphertext, which moves exactly when plaintext does) or is a harmless no-op; methods the stream
 * already has are left alone.
 * @module
 */
import type { Socket } from 'node:net'
import type { Duplex as StreamxDuplex } from 'streamx'

/**
 * The socket-like surface added to a stream by {@link addSocketShims}.
 * @example
 * ```ts
 * const socket: SocketLike = stream // a ServerStream or ClientStream
 * socket.setNoDelay(true)
 * console.log(socket.remoteAddress, socket.remotePort)
 * ```
 */
export interface SocketLike {
  /** Idle timeout on the underlying transport; emits `'timeout'` on the stream, like `net.Socket#setTimeout`. */
  setTimeout(ms: number, callback?: () => void): this
  /** Forwards to the raw socket's Nagle switch. */
  setNoDelay(noDelay?: boolean): this
  /** Forwards to the raw socket's TCP keep-alive. */
  setKeepAlive(enable?: boolean, initialDelay?: number): this
  /** Keeps the process alive while the connection is open (the raw socket's `ref`). */
  ref(): this
  /** Lets the process exit while the connection is open (the raw socket's `unref`). */
  unref(): this
  /** A no-op: writes are already batched per frame, so corking has nothing to do. */
  cork(): void
  /** A no-op, see {@link SocketLike.cork}. */
  uncork(): void
  /**
   * `net.Socket`'s `write(data, encoding?, callback?)`: strings are encoded, and the callback runs
   * once the stream has taken the bytes (at once, or after the next `'drain'`). Node's http uses
   * these callbacks to know a response is finished.
   */
  write(data: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), callback?: (err?: Error | null) => void): boolean
  /** Graceful close: sends the box-stream goodbye once pending writes are out. */
  destroySoon(): void
  /** The peer's IP address, as the raw socket reports it (undefined for non-socket transports). */
  readonly remoteAddress: string | undefined
  /** The peer's port. */
  readonly remotePort: number | undefined
  /** `"IPv4"` or `"IPv6"`. */
  readonly remoteFamily: string | undefined
  /** Our local address. */
  readonly localAddress: string | undefined
  /** Our local port. */
  readonly localPort: number | undefined
}

type Raw = Partial<Pick<Socket, 'setTimeout' | 'setNoDelay' | 'setKeepAlive' | 'ref' | 'unref' | 'remoteAddress' | 'remotePort' | 'remoteFamily' | 'localAddress' | 'localPort'>> & {
  on?: (event: string, listener: () => void) => unknown
}

/**
 * Adds the {@link SocketLike} members that `stream` lacks, forwarding to `raw` where that makes sense.
 * @param stream - the secret stream (or any streamx duplex) to extend; returned for chaining
 * @param raw - the transport it runs over; a non-socket transport simply makes the forwards no-ops
 * @example
 * ```ts
 * const socket = net.connect({ host, port, allowHalfOpen: true })
 * const stream = addSocketShims(new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey }), socket)
 * stream.setTimeout(30_000)
 * ```
 */
export function addSocketShims<T extends StreamxDuplex>(stream: T, raw: unknown): T & SocketLike {
  const socket = (raw ?? {}) as Raw
  const target = stream as unknown as Record<string, unknown>
  const define = (name: string, value: unknown): void => {
    if (!(name in target)) Object.defineProperty(target, name, { value, configurable: true, writable: true })
  }
  const getter = (name: keyof Raw): void => {
    if (!(name in target)) Object.defineProperty(target, name, { get: () => socket[name], configurable: true })
  }
  let forwardingTimeout = false
  define('setTimeout', function setTimeout(this: T & SocketLike, ms: number, callback?: () => void) {
    if (!forwardingTimeout && typeof socket.on === 'function') {
      forwardingTimeout = true
      socket.on('timeout', () => { (stream as unknown as NodeJS.EventEmitter).emit('timeout') })
    }
    socket.setTimeout?.call(raw, ms)
    if (callback) (this as unknown as NodeJS.EventEmitter).once('timeout', callback)
    return this
  })
  define('setNoDelay', function setNoDelay(this: T, noDelay?: boolean) { socket.setNoDelay?.call(raw, noDelay); return this })
  define('setKeepAlive', function setKeepAlive(this: T, enable?: boolean, delay?: number) { socket.setKeepAlive?.call(raw, enable, delay); return this })
  define('ref', function ref(this: T) { socket.ref?.call(raw); return this })
  define('unref', function unref(this: T) { socket.unref?.call(raw); return this })
  define('cork', function cork() {})
  define('uncork', function uncork() {})
  define('writableCorked', 0)
  define('destroySoon', function destroySoon(this: T) { (this as unknown as { end(): void }).end() })
  wrapWrites(stream)
  for (const name of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort'] as const) getter(name)
  return stream as T & SocketLike
}

type WriteCallback = (err?: Error | null) => void
type Write = (data: unknown) => boolean
type End = (data?: unknown) => unknown

/**
 * Gives `write` and `end` the `net.Socket` calling convention on top of streamx's `write(data)` /
 * `end(data)`, which take no encoding and no callback. Calls with one argument go straight through.
 */
function wrapWrites(stream: StreamxDuplex): void {
  const target = stream as unknown as { write: Write, end: End, once: (e: string, f: () => void) => void, on: (e: string, f: () => void) => void }
  const write = target.write.bind(stream) as Write
  const end = target.end.bind(stream) as End
  let waiting: WriteCallback[] = []
  let ended = false
  // streamx's `writable` means "has a writable side"; net.Socket's means "may still be written to",
  // and http asserts it turns false as soon as end() is called.
  Object.defineProperty(stream, 'writable', {
    configurable: true,
    get: () => !ended && !stream.destroyed && !stream.destroying
  })
  const flush = (err?: Error | null): void => {
    const callbacks = waiting
    waiting = []
    for (const cb of callbacks) cb(err ?? null)
  }
  target.on('drain', () => flush())
  target.on('close', () => flush(new Error('the stream was closed before the write completed')))
  const toBytes = (data: unknown, encoding: unknown): unknown =>
    typeof data === 'string' ? Buffer.from(data, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : data
  Object.defineProperty(stream, 'write', {
    configurable: true,
    writable: true,
    value: function (data: unknown, encoding?: unknown, callback?: unknown): boolean {
      if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
      const ok = write(toBytes(data, encoding))
      if (typeof callback === 'function') {
        if (ok) process.nextTick(callback as WriteCallback, null)
        else waiting.push(callback as WriteCallback)
      }
      return ok
    }
  })
  Object.defineProperty(stream, 'end', {
    configurable: true,
    writable: true,
    value: function (this: unknown, data?: unknown, encoding?: unknown, callback?: unknown) {
      if (typeof data === 'function') { callback = data; data = undefined }
      if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
      if (typeof callback === 'function') target.once('finish', callback as () => void)
      ended = true
      // An empty string or buffer means "nothing more": streamx would queue it as a (skipped) write.
      const bytes = toBytes(data, encoding)
      if (bytes === undefined || bytes === null || (bytes as { length?: number }).length === 0) return end()
      return end(bytes)
    }
  })
}
