/**
 * Enrollment's framing: the shared length-prefixed framer (`lib/framing.ts`) with a u16 prefix.
 *
 * ```
 * | length (u16, big-endian) | message (length bytes) |     1 ≤ length ≤ maxFrameBytes ≤ 65535
 * ```
 * A zero length or one above the cap is a protocol error: the cap bounds what a peer can make us
 * buffer before any authentication.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { LengthPrefixedDecoder, encodeLengthPrefixed, type FrameFormat } from '../../framing.js'
import { Phase } from './layout.js'

/**
 * Default cap on one message: room for an RSA-4096 PKCS#8 key plus headers.
 * @example
 * ```ts
 * const decoder = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES) // the same as new FrameDecoder()
 * ```
 */
export const DEFAULT_MAX_FRAME_BYTES = 4096
/** The u16 length prefix cannot say more. */
const MAX_FRAME_BYTES_LIMIT = 0xffff

/**
 * Validates a frame cap and applies the default.
 * @example
 * ```ts
 * checkMaxFrameBytes(undefined) // 4096
 * ```
 */
export function checkMaxFrameBytes(max: number | undefined): number {
  const n = max ?? DEFAULT_MAX_FRAME_BYTES
  if (!Number.isInteger(n) || n < 64 || n > MAX_FRAME_BYTES_LIMIT) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.FRAMING, `maxFrameBytes must be an integer from 64 to ${MAX_FRAME_BYTES_LIMIT}`)
  }
  return n
}

/**
 * Enrollment's frame format for a given cap.
 * @example
 * ```ts
 * const decoder = new LengthPrefixedDecoder(enrollmentFrameFormat(4096))
 * ```
 */
function enrollmentFrameFormat(maxFrameBytes: number): FrameFormat {
  return { prefixBytes: 2, minBytes: 1, maxBytes: maxFrameBytes, phase: Phase.FRAMING }
}

/**
 * Prefixes `message` with its length.
 * @example
 * ```ts
 * socket.write(encodeFrame(clientHello))
 * ```
 */
export function encodeFrame(message: Uint8Array, maxFrameBytes = MAX_FRAME_BYTES_LIMIT): Uint8Array {
  return encodeLengthPrefixed(message, enrollmentFrameFormat(maxFrameBytes))
}

/**
 * Splits a byte stream back into enrollment messages; push chunks of any size, take whole messages out.
 * @example
 * ```ts
 * const decoder = new FrameDecoder()
 * socket.on('data', (chunk) => { for (const message of decoder.push(chunk)) machine.receive(message) })
 * ```
 */
export class FrameDecoder extends LengthPrefixedDecoder {
  /** @param maxFrameBytes - the largest message accepted (default 4096, 64…65535) */
  constructor(maxFrameBytes?: number) {
    super(enrollmentFrameFormat(checkMaxFrameBytes(maxFrameBytes)))
  }
}
