/**
 * Node side of `#platform-transport` (package.json "imports"): lets a secret stream read a
 * `net.Socket` it was handed into buffers it owns (read-arena.ts), as Node's `onread` option does
 * for a socket created with it, instead of a fresh 64 KiB buffer that Node allocates per read.
 *
 * Node offers `onread` only when it creates a socket. A socket that already exists can be given
 * the same read path, because `onread` is nothing more than three fields on the socket and one
 * call on its handle, which is what `net.Socket`'s own setup does:
 * ```
 * socket[kBuffer]    = the region the next read fills      (Node's onStreamRead reads these three
 * socket[kBufferCb]  = (bytesRead, region) => …            on every read, and pause()/resume()
 * socket[kBufferGen] = () => the next region               stop and start the handle for them)
 * socket._handle.useUserBuffer(region)                     (libuv reads into the region from now on)
 * ```
 * The three symbols are private to Node; they are found once, by value, on a probe socket built
 * with `onread`. Every field and method used is checked first, and the socket is left exactly as
 * it was (Node's own buffers) when anything differs, when it is not a plain `net.Socket` (a
 * `tls.TLSSocket` decrypts in its own layer), when it already reads into user buffers, or when it
 * has bytes buffered or an encoding set. Tested on Node 20.
 *
 * Each read is then emitted as the socket's own `'data'` event, a region of a slab (1 MiB while
 * few sockets share the process-wide read budget) that is never reused (read-arena.ts): whoever
 * listens gets buffers nobody else holds or will overwrite. A closed socket lets go of its slab.
 * The stream adapters switch at the first bulk read (raw-adapter.ts), so an idle socket holds none.
 * @module
 */
import { Socket } from 'node:net'
import { ReadArena } from '../net/read-arena.js'

/** Node's private `onread` fields, by role. */
interface OnreadSymbols {
  buffer: symbol
  callback: symbol
  generator: symbol
}

/** A socket seen through the fields the switch reads and writes. */
type SocketFields = Record<symbol, unknown> & {
  _handle: { useUserBuffer?: unknown } | null
}

let found: OnreadSymbols | null | undefined

/**
 * The `onread` symbols of this Node, or null when they cannot be told apart: a probe socket with
 * `onread` holds our callback under one of them and our generator under another (Node's own
 * descriptions, `kBufferCb` and `kBufferGen`, are checked too), and `kBuffer` is the third.
 */
function onreadSymbols(): OnreadSymbols | null {
  if (found !== undefined) return found
  found = null
  try {
    const generator = (): Buffer => Buffer.alloc(0)
    const callback = (): boolean => true
    // Node takes `onread` in Socket's constructor too, though its typings list it only for connect().
    const options = { onread: { buffer: generator, callback } } as ConstructorParameters<typeof Socket>[0]
    const probe = new Socket(options) as unknown as SocketFields
    const own = Object.getOwnPropertySymbols(probe)
    const named = (description: string, value?: unknown): symbol | undefined =>
      own.find((s) => s.description === description && (value === undefined || probe[s] === value))
    const buffer = named('kBuffer')
    const cb = named('kBufferCb', callback)
    const gen = named('kBufferGen', generator)
    ;(probe as unknown as Socket).destroy()
    if (buffer && cb && gen) found = { buffer, callback: cb, generator: gen }
  } catch {
    // A Node whose Socket takes no onread: keep its own buffers.
  }
  return found
}

/**
 * True when `raw` is a plain `net.Socket` that does not read into user buffers yet, on a Node
 * whose `onread` fields were found: {@link readIntoOwnBuffers} may succeed on it (it checks the
 * rest, which can change, when called).
 * @param raw - the transport a stream was handed
 * @example
 * ```ts
 * const later = canReadIntoOwnBuffers(socket) // false for a TLS socket or a PassThrough
 * ```
 */
export function canReadIntoOwnBuffers(raw: object): boolean {
  if (!(raw instanceof Socket) || Object.getPrototypeOf(raw) !== Socket.prototype) return false
  const symbols = onreadSymbols()
  if (!symbols) return false
  const socket = raw as unknown as SocketFields
  return !socket[symbols.buffer] && !socket[symbols.generator] && !socket[symbols.callback]
}

/**
 * Switches `raw`, if it is a `net.Socket` that can take it now and the process-wide read budget
 * has room, to reading into a {@link ReadArena} of its own; returns whether it did. Each later
 * read arrives as the socket's `'data'` event, a buffer nobody else holds or reuses. Safe before
 * anything listens for `'data'`, or from a `'data'` listener while nothing is buffered (the switch
 * applies from the next read on, so the order of bytes is kept).
 * @param raw - the transport a stream was handed
 * @example
 * ```ts
 * if (readIntoOwnBuffers(socket)) console.log('reads land in slabs we own')
 * socket.on('data', (chunk) => decoder.push(chunk))
 * ```
 */
export function readIntoOwnBuffers(raw: object): boolean {
  // The read budget is full (ReadArena.hasRoom): Node's buffers for now; the caller tries again
  // at its next bulk read, so the cheap budget test comes before the socket's checks.
  if (!ReadArena.hasRoom || !canReadIntoOwnBuffers(raw)) return false
  const symbols = onreadSymbols()!
  const socket = raw as unknown as SocketFields
  const live = raw as Socket
  const handle = socket._handle
  if (live.destroyed || live.readableEnded || live.readableLength !== 0 || live.readableEncoding !== null) return false
  if (handle !== null && (typeof handle !== 'object' || typeof handle.useUserBuffer !== 'function')) return false
  const arena = new ReadArena()
  const first = arena.region()
  socket[symbols.generator] = (): Buffer => arena.region()
  socket[symbols.callback] = (n: number, region: Buffer): boolean => {
    live.emit('data', arena.filled(region, n))
    return true // flow control is the reader's: it calls socket.pause()
  }
  socket[symbols.buffer] = first
  // Without a handle yet (a socket before connect()), Node applies the fields when it makes one.
  if (handle) (handle.useUserBuffer as (buffer: Buffer) => void).call(handle, first)
  // The arena counts against the process-wide read budget for as long as the socket is open.
  // Closed, the socket lets go of its slab too: an application may keep closed sockets around
  // (a list of peers), and each would hold up to 1 MiB through the region offered to its next read.
  // The callback stays: it marks the socket as switched (canReadIntoOwnBuffers is false for it).
  live.once('close', () => {
    arena.release()
    socket[symbols.buffer] = null
    socket[symbols.generator] = null
  })
  // Paused (backpressure) before the switch, Node kept reading into its readable buffer; reads into
  // user buffers go straight to the callback, so pause again: with the fields set, pause() stops the handle.
  if (live.isPaused()) live.pause()
  return true
}
