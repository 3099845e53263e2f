/**
 * Length-prefixed framing for enrollment messages over a byte stream, sans-I/O.
 *
 * ```
 * | length (u16, big-endian) | message (length bytes) |     1 ≤ length ≤ maxFrameBytes ≤ 65535
 * ```
 * A zero length or one above the cap is a protocol error: the cap bounds what a peer can make us
 * buffer before any authentication.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { Phase } from './layout.js'

/** Default cap on one message: room for an RSA-4096 PKCS#8 key plus headers. */
export const DEFAULT_MAX_FRAME_BYTES = 4096
/** The u16 length prefix cannot say more. */
export const MAX_FRAME_BYTES_LIMIT = 0xffff

/** Validates a frame cap and applies the default. */
export function checkMaxFrameBytes(max: number | undefined): number {
  const n = max ?? DEFAULT_MAX_FRAME_BYTES
  if (!Number.isInteger(n) || n < 64 || n > MAX_FRAME_BYTES_LIMIT) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.FRAMING, `maxFrameBytes must be an integer from 64 to ${MAX_FRAME_BYTES_LIMIT}`)
  }
  return n
}

/** Prefixes `message` with its length. */
export function encodeFrame(message: Uint8Array, maxFrameBytes = MAX_FRAME_BYTES_LIMIT): Uint8Array {
  if (message.length === 0 || message.length > maxFrameBytes) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.FRAMING, `a message must have 1 to ${maxFrameBytes} bytes, not ${message.length}`)
  }
  const frame = new Uint8Array(2 + message.length)
  frame[0] = message.length >>> 8
  frame[1] = message.length & 0xff
  frame.set(message, 2)
  return frame
}

/** Splits a byte stream back into messages; push chunks of any size, take whole messages out. */
export class FrameDecoder {
  private readonly maxFrameBytes: number
  private buffer: Uint8Array = new Uint8Array(0)

  /** @param maxFrameBytes - the largest message accepted */
  constructor(maxFrameBytes?: number) {
    this.maxFrameBytes = checkMaxFrameBytes(maxFrameBytes)
  }

  /** Bytes received but not yet returned as a message. */
  get buffered(): number {
    return this.buffer.length
  }

  /**
   * Appends `chunk` and returns every message it completes.
   * @throws SecretChannelError `ERR_PROTOCOL` for a zero or oversized length
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const merged = new Uint8Array(this.buffer.length + chunk.length)
    merged.set(this.buffer, 0)
    merged.set(chunk, this.buffer.length)
    const out: Uint8Array[] = []
    let offset = 0
    while (merged.length - offset >= 2) {
      const length = (merged[offset]! << 8) | merged[offset + 1]!
      if (length === 0 || length > this.maxFrameBytes) {
        throw new SecretChannelError(ErrorCodes.PROTOCOL, Phase.FRAMING, `a ${length}-byte message is outside 1…${this.maxFrameBytes}`)
      }
      if (merged.length - offset - 2 < length) break
      out.push(merged.slice(offset + 2, offset + 2 + length))
      offset += 2 + length
    }
    // Wipe what we consumed: the issued private key passes through here encrypted, but keep habits uniform.
    this.buffer = merged.slice(offset)
    merged.fill(0)
    return out
  }

  /** Drops anything buffered. */
  clear(): void {
    this.buffer.fill(0)
    this.buffer = new Uint8Array(0)
  }
}
