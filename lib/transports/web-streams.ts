/**
 * `fromWebStreams`: a WHATWG `ReadableStream` / `WritableStream` pair of bytes (WebTransport
 * bidirectional streams, a fetch upload/download pair, Deno and Bun sockets, Node's
 * `Duplex.toWeb(socket)`) as the raw byte duplex a {@link SecretStream} runs over. Portable.
 *
 * ```
 * readable --reader.read()--> push(bytes)      one read per streamx _read: the reader pulls, so
 *                                              backpressure reaches the web stream's queue
 * write(bytes) --await writer.ready--> writer.write(bytes)
 * end()  --> writer.close()                    a real half-close where the pair has one
 * destroy --> reader.cancel(), writer.abort()
 * ```
 * @module
 */
import { Duplex } from 'streamx'
import { ErrorCodes, SecretChannelError } from '../errors.js'

/**
 * The minimal reader / writer surface used (lib.dom's and Node's web streams both fit).
 * @example
 * ```ts
 * const pair: WebStreamPair = Duplex.toWeb(net.connect(8008, 'peer.example')) // Node's node:stream Duplex
 * const raw = fromWebStreams(pair)
 * ```
 */
export interface WebStreamPair {
  /** Bytes from the peer: chunks must be `Uint8Array`s (or `ArrayBuffer`s). */
  readable: { getReader(): { read(): Promise<{ done: boolean; value?: unknown }>; cancel(reason?: unknown): Promise<void>; releaseLock(): void } }
  /** Bytes to the peer. */
  writable: { getWriter(): { ready: Promise<unknown>; write(chunk: Uint8Array): Promise<void>; close(): Promise<void>; abort(reason?: unknown): Promise<void>; releaseLock(): void } }
}

type Reader = ReturnType<WebStreamPair['readable']['getReader']>
type Writer = ReturnType<WebStreamPair['writable']['getWriter']>

const transportError = (what: string, cause: unknown): SecretChannelError =>
  new SecretChannelError(ErrorCodes.TRANSPORT, 'web stream', `${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause })

/**
 * The raw duplex {@link fromWebStreams} returns.
 * @example
 * ```ts
 * const raw: WebStreamDuplex = fromWebStreams(await webTransport.createBidirectionalStream())
 * const channel = new SecretStream(raw, { isInitiator: true, keyPair, appKey, remotePublicKey: serverKey })
 * ```
 */
export class WebStreamDuplex extends Duplex {
  private readonly reader: Reader
  private readonly writer: Writer
  private done = false

  /** @param pair - `{ readable, writable }`; both are locked to this duplex */
  constructor(pair: WebStreamPair) {
    super({ highWaterMark: 64 * 1024 })
    if (!pair || typeof pair.readable?.getReader !== 'function' || typeof pair.writable?.getWriter !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'web stream', 'fromWebStreams needs { readable, writable } web streams')
    }
    this.reader = pair.readable.getReader()
    this.writer = pair.writable.getWriter()
    // A sink failure surfaces here even when no write is pending.
    this.writer.ready.catch((err) => this.destroy(transportError('the writable failed', err)))
  }

  /**
   * streamx: reads until one non-empty chunk is pushed (or the end). streamx calls `_read` again
   * only after a push, so an empty chunk must not end the call.
   */
  override _read(cb: (err: Error | null) => void): void {
    this.reader.read().then(
      ({ done, value }) => {
        if (done) {
          this.push(null)
          return cb(null)
        }
        const bytes = value instanceof Uint8Array ? value : value instanceof ArrayBuffer ? new Uint8Array(value) : null
        if (bytes === null) return cb(new SecretChannelError(ErrorCodes.PROTOCOL, 'web stream', 'the readable produced a chunk that is not bytes'))
        if (bytes.length === 0) return this._read(cb)
        this.push(bytes)
        cb(null)
      },
      (err) => cb(transportError('the readable failed', err))
    )
  }

  /** streamx: waits for the writer's backpressure signal, then hands the bytes over. */
  override _write(data: Uint8Array, cb: (err: Error | null) => void): void {
    // An empty chunk means nothing on a byte stream, and some readers would take it for a stall.
    if (data.length === 0) return cb(null)
    this.writer.ready.then(
      () => {
        // The write's own promise settles when the sink took the chunk; a failure also rejects
        // `ready`, which the constructor's handler turns into a destroy.
        this.writer.write(data).catch(noop)
        cb(null)
      },
      (err) => cb(transportError('the writable failed', err))
    )
  }

  /** streamx: closes the writable (the peer reads to its end). */
  override _final(cb: (err: Error | null) => void): void {
    this.done = true
    this.writer.close().then(() => cb(null), (err) => cb(transportError('closing the writable failed', err)))
  }

  /** streamx: cancels the reader and aborts the writer unless they finished cleanly. */
  override _destroy(cb: (err: Error | null) => void): void {
    this.reader.cancel().catch(noop)
    if (!this.done) this.writer.abort().catch(noop)
    cb(null)
  }
}

function noop(): void {}

/**
 * Turns a `{ readable, writable }` pair of byte web streams into a raw duplex for {@link SecretStream}.
 *
 * @example
 * ```ts
 * const { readable, writable } = await webTransport.createBidirectionalStream()
 * const channel = new SecretStream(fromWebStreams({ readable, writable }), {
 *   isInitiator: true, keyPair, appKey, remotePublicKey: serverKey
 * })
 * ```
 */
export function fromWebStreams(pair: WebStreamPair): WebStreamDuplex {
  return new WebStreamDuplex(pair)
}
