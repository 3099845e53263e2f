/**
 * The account servers' request/response framing: the shared length-prefixed framer
 * (`lib/framing.ts`) with a u32 prefix.
 *
 * Each message on the (already encrypted) SecretStream is
 * ```
 * [ length u32 BE (1 … maxMessageBytes) | body (length bytes) ]
 * ```
 * A zero length or one over the cap is a protocol error: the decoder refuses it before buffering
 * the body, so a peer can never make us hold more than `maxMessageBytes + 4` bytes.
 * @module
 */
import { LengthPrefixedDecoder, encodeLengthPrefixed, type FrameFormat } from '../../../framing.js'

/** The default cap on a message body: 16 KiB, far above any legitimate request. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024

function format(maxMessageBytes: number): FrameFormat {
  return { prefixBytes: 4, minBytes: 1, maxBytes: maxMessageBytes, phase: 'accounts framing' }
}

/**
 * Prefixes `body` with its length.
 * @example
 * ```ts
 * stream.write(frameMessage(encodeRequest(op, fields)))
 * ```
 */
export function frameMessage(body: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Uint8Array {
  return encodeLengthPrefixed(body, format(maxMessageBytes))
}

/**
 * Reassembles messages from arbitrary chunks.
 * @example
 * ```ts
 * const dec = new MessageDecoder()
 * socket.on('data', (chunk) => { for (const msg of dec.push(chunk)) handle(msg) })
 * ```
 */
export class MessageDecoder extends LengthPrefixedDecoder {
  /** @param maxMessageBytes - the largest body accepted */
  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super(format(maxMessageBytes))
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffered
  }
}
