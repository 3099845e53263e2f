/**
 * Recycled wire buffers for the send path: a transport write of box-stream frames borrows one and
 * gives it back once the transport says the write completed, so a steady sender allocates nothing.
 *
 * ```
 * free list (shared by every connection, at most MAX_FREE): [256 KiB][256 KiB]…
 * take(n) ──▶ a view of the first n bytes ──▶ transport.write(view, done) ──▶ done: give back
 * ```
 * A buffer is reused only after the write that carried it completed (Node calls the callback once
 * the bytes are in the kernel, or the socket failed), so bytes in flight are never overwritten.
 * The free list is shared and bounded, so idle connections hold none of it.
 * @module
 */

/** Bytes per recycled buffer; also the largest transport write that uses one. */
export const WIRE_BUFFER_BYTES = 256 * 1024
/** Most free buffers kept (2 MiB for the whole process). */
const MAX_FREE = 8

const free: Buffer[] = []

/**
 * Borrows a buffer of exactly {@link WIRE_BUFFER_BYTES} (contents undefined).
 * @example
 * ```ts
 * const buf = takeWireBuffer()
 * socket.write(buf.subarray(0, n), () => giveWireBuffer(buf))
 * ```
 */
export function takeWireBuffer(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(WIRE_BUFFER_BYTES)
}

/** Returns a buffer from {@link takeWireBuffer} once nothing reads it any more. */
export function giveWireBuffer(buffer: Buffer): void {
  if (free.length < MAX_FREE && buffer.length === WIRE_BUFFER_BYTES) free.push(buffer)
}
