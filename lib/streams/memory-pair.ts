/**
 * An in-memory duplex pair: what one end writes, the other reads, with backpressure.
 * For tests, examples and wiring two {@link SecretStream}s together inside one process.
 * @module
 */
import { Duplex } from 'streamx'
import { plainDestroyReason } from './plain-destroy.js'
import type { PlatformBytes } from '../platform/bytes-type.js'

/**
 * One end of a {@link createDuplexPair} pair.
 * @example
 * ```ts
 * const [a, b]: [MemoryDuplex, MemoryDuplex] = createDuplexPair()
 * b.on('data', (chunk) => console.log(String(chunk)))
 * a.write('hello')
 * ```
 */
export class MemoryDuplex extends Duplex {
  /** The other end. */
  peer: MemoryDuplex | null = null
  private resumeWriter: (() => void) | null = null

  /** Destroys this end (the other end sees 'close' without 'end'); see plain-destroy.ts for the reason given to streamx. */
  override destroy(err?: Error | null): void {
    super.destroy(err ?? plainDestroyReason())
  }

  /** Ends this direction; the other end reads to a clean 'end'. */
  override end(data?: PlatformBytes | Uint8Array | (() => void)): this {
    return super.end(data)
  }

  override _write(data: PlatformBytes, cb: (err: Error | null) => void): void {
    const peer = this.peer
    if (!peer || peer.destroying) return cb(new Error('the other end of the pair is closed'))
    if (peer.push(data)) cb(null)
    else peer.resumeWriter = () => cb(null)
  }

  override _read(cb: (err: Error | null) => void): void {
    const resume = this.resumeWriter
    this.resumeWriter = null
    if (resume) resume()
    cb(null)
  }

  override _final(cb: (err: Error | null) => void): void {
    this.peer?.push(null)
    cb(null)
  }

  override _predestroy(): void {
    const resume = this.resumeWriter
    this.resumeWriter = null
    if (resume) resume()
  }

  override _destroy(cb: (err: Error | null) => void): void {
    // Like a transport reset: the other end sees 'close' without 'end'.
    const peer = this.peer
    this.peer = null
    if (peer && !peer.destroying) peer.destroy()
    cb(null)
  }
}

/**
 * Two connected in-memory duplexes.
 * @param highWaterMark - bytes each end buffers before the writer waits (default 16 KiB)
 * @example
 * ```ts
 * const [a, b] = createDuplexPair()
 * const client = new SecretStream(a, { isInitiator: true, keyPair, appKey, remotePublicKey })
 * const server = new SecretStream(b, { isInitiator: false, keyPair: serverKeys, appKey })
 * ```
 */
export function createDuplexPair(highWaterMark?: number): [MemoryDuplex, MemoryDuplex] {
  const a = new MemoryDuplex({ highWaterMark })
  const b = new MemoryDuplex({ highWaterMark })
  a.peer = b
  b.peer = a
  return [a, b]
}
