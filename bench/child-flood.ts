/**
 * A writer that ignores backpressure: the sending side hands `bytes` over as fresh `writeBytes`
 * buffers in one synchronous loop (never looking at write()'s return, never waiting for 'drain'),
 * then ends. What it measures is what the stack makes of that backlog:
 *
 * - the peak memory attributable to the transfer: the peak of `process.memoryUsage().external`
 *   minus its value just before the loop. `external` and not `arrayBuffers`: `external` contains
 *   `arrayBuffers` (every Buffer, ours and the application's) and adds what native code reports to
 *   V8 outside them, so no copy a stack makes escapes it; it is also the figure the earlier
 *   measurement (405 MiB for ours) used. The `arrayBuffers` peak is reported next to it.
 * - the largest single transport write: the socket's `write` is wrapped before the stack sees the
 *   socket, recording every call's length (the count and total too, so a stack that bypassed
 *   `socket.write` would show up as missing bytes rather than as a small maximum).
 *
 * Memory is sampled every millisecond, at every transport write and every 64 application writes,
 * until the parent says "report" on stdin (sent once the receiver has every byte, so the backlog
 * is gone by then). Child role, run by child.ts; the receiver is the plain `bulk-server` role.
 * @module
 */
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import type { Wrap } from './peers.js'
import { dial, maxRssMiB, pattern, repeatedHash, say } from './child-common.js'

const MiB = 2 ** 20

/** Transport writes seen on a socket, and a hook run on each (the memory sampler). */
interface WriteRecord {
  count: number
  bytes: number
  max: number
  onWrite: () => void
}

/** Wraps `socket.write` to record each call's length; every stack writes through it. */
function recordWrites(socket: Socket): WriteRecord {
  const record: WriteRecord = { count: 0, bytes: 0, max: 0, onWrite: () => {} }
  const write = socket.write as (...args: unknown[]) => boolean
  socket.write = function (this: Socket, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
    record.count++
    record.bytes += n
    if (n > record.max) record.max = n
    const ok = write.call(this, chunk, ...rest)
    record.onWrite()
    return ok
  } as typeof socket.write // same signature: every argument is passed through
  return record
}

/**
 * The flooding sender: dials 127.0.0.1:`port`, opens a channel with `wrap`, floods it, and on
 * "report" prints peak memory and transport-write figures.
 * @example
 * ```ts
 * await floodClient(wrapOurs, 4242, 200 * 2 ** 20, 65536, false) // node dist/bench/child.js flood-client ours …
 * ```
 */
export async function floodClient(wrap: Wrap, port: number, bytes: number, writeBytes: number, verify: boolean): Promise<void> {
  const socket = await dial(port)
  const writes = recordWrites(socket)
  const channel = await wrap(socket, true)
  const chunk = pattern(writeBytes)
  const expected = verify ? repeatedHash(chunk, bytes) : null
  const handshakeBytes = writes.bytes
  const base = process.memoryUsage()
  let peakExternal = base.external
  let peakArrayBuffers = base.arrayBuffers
  const sample = (): void => {
    const m = process.memoryUsage()
    if (m.external > peakExternal) peakExternal = m.external
    if (m.arrayBuffers > peakArrayBuffers) peakArrayBuffers = m.arrayBuffers
  }
  writes.onWrite = sample
  const timer = setInterval(sample, 1)
  let i = 0
  for (let sent = 0; sent < bytes; sent += writeBytes) {
    // A fresh buffer per write, as an application producing data has (Buffer.from copies into a
    // new ArrayBuffer at 4 KiB and above): a stack may not count on the caller reusing one.
    channel.push(Buffer.from(chunk))
    if (++i % 64 === 0) sample()
  }
  channel.push(null)
  sample()
  const lines = createInterface({ input: process.stdin })
  await once(lines, 'line')
  clearInterval(timer)
  sample()
  const payload = writes.bytes - handshakeBytes
  if (payload < bytes) throw new Error(`transport writes carried ${payload} bytes after the handshake, fewer than the ${bytes} sent: the stack writes around socket.write`)
  say({
    result: {
      peakExternalMiB: (peakExternal - base.external) / MiB,
      peakArrayBuffersMiB: (peakArrayBuffers - base.arrayBuffers) / MiB,
      writtenMiB: bytes / MiB,
      maxTransportWriteBytes: writes.max,
      transportWrites: writes.count,
      maxRssMiB: maxRssMiB(),
      sha256: expected
    }
  })
  process.exit(0)
}
