/**
 * The one length-prefixed framer the protocols share, sans-I/O: enrollment messages, notices over
 * a byte stream, and the account servers' RPC messages. Each keeps its own wire format by choosing
 * the prefix width and the bounds:
 * ```
 * | length (prefixBytes, big-endian) | body (length bytes) |        minBytes ≤ length ≤ maxBytes
 *
 *   enrollment      prefix u16   1 … 4096 (configurable up to 65535)     lib/protocols/enrollment/framing.ts
 *   notice stream   prefix u16  10 … 200  (configurable up to 65535)     lib/protocols/notice/framed.ts
 *   accounts RPC    prefix u32   1 … 16 KiB (configurable)               lib/protocols/accounts/rpc/framing.ts
 * ```
 * A length outside the bounds is `ERR_PROTOCOL` as soon as the prefix is in, before any of the body
 * is buffered, so a peer can never make the decoder hold more than `prefixBytes + maxBytes` bytes.
 * Buffers the decoder lets go of are zeroed (some bodies carry key material in transit).
 * @module
 */
import { wipe } from './crypto/policy.js'
import { ErrorCodes, SecretChannelError } from './errors.js'

/** How one protocol frames its messages. */
export interface FrameFormat {
  /** Bytes of the big-endian length prefix. */
  readonly prefixBytes: 2 | 4
  /** The smallest body accepted (at least 1: a zero length is never a message). */
  readonly minBytes: number
  /** The largest body accepted; at most what the prefix can say. */
  readonly maxBytes: number
  /** The phase named in errors, e.g. `"enrollment framing"`. */
  readonly phase: string
  /** What one body is called in errors (default `"message"`). */
  readonly noun?: string
}

/**
 * Checks a format and returns it frozen.
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for bounds the prefix cannot carry
 * @example
 * ```ts
 * const NOTICE = frameFormat({ prefixBytes: 2, minBytes: 10, maxBytes: 200, phase: 'notice transport' })
 * ```
 */
export function frameFormat(format: FrameFormat): FrameFormat {
  const limit = format.prefixBytes === 2 ? 0xffff : 0xffffffff
  if ((format.prefixBytes !== 2 && format.prefixBytes !== 4) || !Number.isInteger(format.minBytes) || !Number.isInteger(format.maxBytes) ||
    format.minBytes < 1 || format.maxBytes < format.minBytes || format.maxBytes > limit) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, format.phase, `a frame format needs a 2- or 4-byte prefix and 1 ≤ minBytes ≤ maxBytes ≤ ${limit}`)
  }
  return Object.freeze({ ...format })
}

/**
 * Prefixes `body` with its length.
 * @throws SecretChannelError `ERR_INVALID_ARGUMENT` when `body` is outside the format's bounds
 * @example
 * ```ts
 * socket.write(encodeLengthPrefixed(message, NOTICE))
 * ```
 */
export function encodeLengthPrefixed(body: Uint8Array, format: FrameFormat): Uint8Array {
  if (body.length < format.minBytes || body.length > format.maxBytes) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, format.phase,
      `a ${format.noun ?? 'message'} of ${body.length} bytes is outside ${format.minBytes}…${format.maxBytes}`)
  }
  const frame = new Uint8Array(format.prefixBytes + body.length)
  const view = new DataView(frame.buffer)
  if (format.prefixBytes === 2) view.setUint16(0, body.length)
  else view.setUint32(0, body.length)
  frame.set(body, format.prefixBytes)
  return frame
}

/**
 * Splits a byte stream back into bodies: push chunks of any size, take whole bodies out.
 * @example
 * ```ts
 * const decoder = new LengthPrefixedDecoder(NOTICE)
 * socket.on('data', (chunk) => { for (const notice of decoder.push(chunk)) handle(notice) })
 * ```
 */
export class LengthPrefixedDecoder {
  /** The format this decoder reads. */
  readonly format: FrameFormat
  private held: Uint8Array = new Uint8Array(0)

  /** @param format - prefix width and bounds (see {@link frameFormat}) */
  constructor(format: FrameFormat) {
    this.format = frameFormat(format)
  }

  /** Bytes received but not yet returned as a body. */
  get buffered(): number {
    return this.held.length
  }

  /**
   * Appends `chunk` and returns every body it completes (fresh copies, owned by the caller).
   * @throws SecretChannelError `ERR_PROTOCOL` for a length outside the bounds
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const { prefixBytes, minBytes, maxBytes, phase } = this.format
    const merged = new Uint8Array(this.held.length + chunk.length)
    merged.set(this.held, 0)
    merged.set(chunk, this.held.length)
    wipe(this.held)
    this.held = new Uint8Array(0)
    const view = new DataView(merged.buffer)
    const out: Uint8Array[] = []
    let offset = 0
    try {
      while (merged.length - offset >= prefixBytes) {
        const length = prefixBytes === 2 ? view.getUint16(offset) : view.getUint32(offset)
        if (length < minBytes || length > maxBytes) {
          throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, `a ${length}-byte ${this.format.noun ?? 'message'} is outside ${minBytes}…${maxBytes}`)
        }
        if (merged.length - offset - prefixBytes < length) break
        out.push(merged.slice(offset + prefixBytes, offset + prefixBytes + length))
        offset += prefixBytes + length
      }
      this.held = merged.slice(offset)
    } finally {
      wipe(merged)
    }
    return out
  }

  /** Drops (and zeroes) anything buffered. */
  clear(): void {
    wipe(this.held)
    this.held = new Uint8Array(0)
  }
}
