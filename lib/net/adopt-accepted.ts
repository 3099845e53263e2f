/**
 * Gives a socket that `net.Server` accepted the read path `connect()` has: reads straight into
 * regions of a slab we own (read-arena.ts) instead of a fresh 64 KiB buffer that Node allocates
 * per read. Node offers the `onread` option only to sockets it creates from options, and
 * `net.Server` creates its sockets itself, so the accepted socket's handle moves to a new
 * `net.Socket` built with `onread`, before anything was read from it:
 *
 * ```
 * net.Server accepts ──> Socket A { _handle: TCP, server }     paused (pauseOnConnect), 0 bytes read
 *                            │ handle moves
 *                            v
 *                        Socket B { _handle: TCP, server, onread: arena }   reads start here
 *                        Socket A { _handle: null, server: null }           destroyed: closes nothing
 * ```
 * The server's connection count moves with the handle (B has A's `server`, A none), so
 * `getConnections`, `maxConnections` and `close()` waiting for the last connection stay right.
 *
 * This leans on Node's `handle` socket option and the `_handle` / `_server` fields, which are not
 * documented API (tested here on Node 20). Every one is checked first; when anything does not
 * look as expected, nothing is touched and the caller keeps socket A with Node's own read buffers;
 * `createServer({ ownReadBuffers: false })` skips the move altogether.
 * Measured: 256 MiB over TCP, the receiving side of a `createServer` stream 2.78 → 2.33 CPU s/GiB
 * with both sides hashing the stream (docs/perf.md).
 * @module
 */
import { Socket, type Server } from 'node:net'
import { ReadArena } from './read-arena.js'

/** The undocumented fields the move reads and writes. */
interface SocketInternals {
  _handle: { readStart?: unknown, useUserBuffer?: unknown, reading?: boolean } | null
  _server: Server | null
  server: Server | null
}

/** `net.Socket`'s constructor with the `handle` option it accepts (internal) and `onread`. */
type SocketWithHandle = new (options: { handle: unknown, allowHalfOpen: boolean, onread: ReturnType<ReadArena['onread']> }) => Socket

/**
 * True when `socket` is one `server` just accepted and paused, with nothing read yet, and its
 * handle is a stream handle that can read into a user buffer.
 */
function movable(socket: Socket, server: Server): boolean {
  const s = socket as unknown as SocketInternals
  const handle = s._handle
  return s.server === server && s._server === server &&
    !socket.destroyed && socket.bytesRead === 0 && socket.readableLength === 0 && socket.readableFlowing === false &&
    handle !== null && typeof handle === 'object' && handle.reading !== true &&
    typeof handle.readStart === 'function' && typeof handle.useUserBuffer === 'function'
}

/**
 * Moves the handle of `accepted` (a socket `server` accepted with `pauseOnConnect`) to a new socket
 * that reads into a {@link ReadArena}, and returns that socket, already reading; `accepted` is left
 * destroyed and empty. Returns null, touching nothing, when `accepted` is not such a socket (a
 * duplex handed to the server by hand, a socket already read from, a Node whose internals differ):
 * the caller then resumes `accepted` and uses it as it is.
 * @param accepted - what `server` emitted as `'connection'`
 * @param server - the `net.Server` (created with `pauseOnConnect: true`, `allowHalfOpen: true`)
 * @example
 * ```ts
 * const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
 *   const raw = adoptAcceptedSocket(socket, server) ?? socket.resume()
 *   raw.pipe(raw)
 * })
 * ```
 */
export function adoptAcceptedSocket(accepted: Socket, server: Server): Socket | null {
  if (!movable(accepted, server)) return null
  const old = accepted as unknown as SocketInternals
  const handle = old._handle
  let adopted: Socket | null = null
  const onread = new ReadArena().onread((chunk) => adopted!.emit('data', chunk))
  try {
    adopted = new (Socket as unknown as SocketWithHandle)({ handle, allowHalfOpen: accepted.allowHalfOpen, onread })
  } catch {
    // Its only throws are option checks, made before it touches the handle: A still owns it.
    return null
  }
  const moved = adopted as unknown as SocketInternals
  moved.server = moved._server = server
  old._handle = null
  old.server = old._server = null
  accepted.destroy()
  return adopted
}
