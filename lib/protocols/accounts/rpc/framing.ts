/**
 * Length-prefixed messages for the account servers' request/response channel, sans-I/O.
 *
 * Each message on the (already encrypted) SecretStream is
 * ```
 * [ length u32 BE (1 … maxMessageBytes) | body (length bytes) ]
 * ```
 * A zero length or one over the cap is a protocol error: the decoder refuses it before buffering
 * the body, so a peer can never make us hold more than `maxMessageBytes + 4` bytes.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../../errors.js'

/** The default cap on a message body: 16 KiB, far above any legitimate request. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024

/** Prefixes `body` with its length. */
export function frameMessage(body: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Uint8Array {
  if (body.length === 0 || body.length > maxMessageBytes) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'accounts framing', `message of ${body.length} bytes is outside 1…${maxMessageBytes}`)
  }
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.set(body, 4)
  return out
}

/**
 * Reassembles messages from arbitrary chunks.
 * @example
 * ```ts
 * const dec = new MessageDecoder()
 * socket.on('data', (chunk) => { for (const msg of dec.push(chunk)) handle(msg) })
 * ```
 */
export class MessageDecoder {
  private buffered: Buffer = Buffer.alloc(0)
  private readonly max: number

  /** @param maxMessageBytes - the largest body accepted */
  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.max = maxMessageBytes
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffered.length
  }

  /**
   * Adds bytes; returns every message now complete.
   * @throws SecretChannelError `ERR_PROTOCOL` for a zero or oversized length
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk])
    const out: Uint8Array[] = []
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0)
      if (length === 0 || length > this.max) {
        throw new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts framing', `message length ${length} is outside 1…${this.max}`)
      }
      if (this.buffered.length < 4 + length) break
      out.push(Uint8Array.from(this.buffered.subarray(4, 4 + length)))
      this.buffered = this.buffered.subarray(4 + length)
    }
    return out
  }
}
