/**
 * The flat protocol's commands (seed 003) and their incremental decoder, sans-I/O.
 *
 * Every command, in both directions, is
 * ```
 * [ opcode u8 | length u32 BE | value (length bytes) ]
 * ```
 * Opcodes 0x01–0x08 are the seed's; 0x10–0x14 are this implementation's additions, needed to make
 * the seed's design safe (see docs/accounts.md): a client nonce against replay, a server signature
 * against impersonation, a client proof of the session key, an authenticated end, and an error.
 *
 * The decoder checks the opcode against what the current state allows and the length against that
 * opcode's bounds as soon as the 5-byte header is in, before buffering any of the value, so junk
 * can cost at most one header and never an allocation bigger than the negotiated packet.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../../errors.js'

/**
 * Opcodes.
 * @example
 * ```ts
 * const opcode = accounts.FlatCommand.USERNAME // one byte on the wire
 * ```
 */
export const Cmd = Object.freeze({
  USERNAME: 0x01,
  MAX_PACKET: 0x02,
  CERTIFICATE: 0x03,
  SESSION_KEY: 0x04,
  CERTIFICATE_ID: 0x05,
  DATA_LENGTH: 0x06,
  DATA: 0x07,
  VERIFICATION_SHA256: 0x08,
  CLIENT_NONCE: 0x10,
  SERVER_SIGNATURE: 0x11,
  CLIENT_PROOF: 0x12,
  END: 0x13,
  ERROR: 0x14
} as const)

/** Names for messages and logs. */
export const CMD_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(Cmd).map(([name, code]) => [code, name.replace(/_/g, '-')]))
)

/** Bytes of a command header. */
export const HEADER_BYTES = 5
/**
 * Smallest MAX-PACKET either side may announce: 1 KiB.
 * @example
 * ```ts
 * const maxPacket = Math.max(accounts.MIN_MAX_PACKET, requested) // never below 1 KiB
 * ```
 */
export const MIN_MAX_PACKET = 1024
/**
 * Largest MAX-PACKET either side may announce: 16 MiB.
 * @example
 * ```ts
 * const maxPacket = Math.min(requested, accounts.MAX_MAX_PACKET) // never above 16 MiB
 * ```
 */
export const MAX_MAX_PACKET = 16 * 1024 * 1024
/**
 * MAX-PACKET when nobody announces one: 64 KiB.
 * @example
 * ```ts
 * const session = accounts.connectFlat({ port, serverPublicKey, keyPair, maxPacket: accounts.DEFAULT_MAX_PACKET })
 * ```
 */
export const DEFAULT_MAX_PACKET = 64 * 1024

/** A decoded command. */
export interface Command {
  /** One of {@link Cmd}. */
  op: number
  /** The value (owned by the caller). */
  value: Uint8Array
}

/** Encodes one command. */
export function encodeCommand(op: number, value: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = Buffer.allocUnsafe(HEADER_BYTES + value.length)
  out[0] = op
  out.writeUInt32BE(value.length, 1)
  out.set(value, HEADER_BYTES)
  return out
}

/** A 4-byte u32 BE value (MAX-PACKET, DATA-LENGTH). */
export function u32(n: number): Uint8Array {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(n, 0)
  return b
}

/** Reads a 4-byte u32 BE value. */
export function readU32(value: Uint8Array): number {
  return Buffer.from(value.buffer, value.byteOffset, value.length).readUInt32BE(0)
}

/**
 * For each opcode the current state accepts, the inclusive `[min, max]` value length.
 * An opcode missing from the map is refused.
 */
export type CommandLimits = ReadonlyMap<number, readonly [number, number]>

/**
 * Splits bytes into commands under changing limits.
 * @example
 * ```ts
 * const dec = new CommandDecoder('flat server')
 * dec.push(chunk)
 * let cmd; while ((cmd = dec.next(limits))) handle(cmd)
 * ```
 */
export class CommandDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  private header = Buffer.alloc(HEADER_BYTES)
  private value: Uint8Array | null = null
  private op = 0
  private filled = 0
  private readonly phase: string

  /** @param phase - names the side in error messages */
  constructor(phase: string) {
    this.phase = phase
  }

  /** Bytes received but not yet returned as commands. */
  get pending(): number {
    return this.buffered + (this.value ? this.filled + HEADER_BYTES : 0)
  }

  /** Adds received bytes (kept by reference until consumed; do not reuse the buffer). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
  }

  private take(into: Uint8Array, offset: number, wanted: number): number {
    let got = 0
    while (got < wanted && this.chunks.length > 0) {
      const head = this.chunks[0]!
      const n = Math.min(head.length, wanted - got)
      into.set(head.subarray(0, n), offset + got)
      got += n
      if (n === head.length) this.chunks.shift()
      else this.chunks[0] = head.subarray(n)
    }
    this.buffered -= got
    return got
  }

  /**
   * The next complete command allowed by `limits`, or null when more bytes are needed.
   * @throws SecretChannelError `ERR_PROTOCOL` for an opcode `limits` does not allow or a length outside its bounds
   */
  next(limits: CommandLimits): Command | null {
    if (!this.value) {
      if (this.buffered < HEADER_BYTES) {
        // Refuse an unknown opcode as soon as its first byte arrives.
        if (this.buffered > 0) this.checkOp(this.chunks[0]![0]!, limits)
        return null
      }
      this.take(this.header, 0, HEADER_BYTES)
      this.op = this.header[0]!
      const bounds = this.checkOp(this.op, limits)
      const length = this.header.readUInt32BE(1)
      if (length < bounds[0] || length > bounds[1]) {
        throw new SecretChannelError(ErrorCodes.PROTOCOL, this.phase,
          `${CMD_NAMES[this.op]} with a ${length}-byte value (allowed ${bounds[0]}…${bounds[1]})`)
      }
      this.value = new Uint8Array(length)
      this.filled = 0
    }
    this.filled += this.take(this.value, this.filled, this.value.length - this.filled)
    if (this.filled < this.value.length) return null
    const cmd = { op: this.op, value: this.value }
    this.value = null
    return cmd
  }

  private checkOp(op: number, limits: CommandLimits): readonly [number, number] {
    const bounds = limits.get(op)
    if (!bounds) {
      const name = CMD_NAMES[op]
      throw new SecretChannelError(ErrorCodes.PROTOCOL, this.phase,
        name ? `${name} is not allowed here` : `unknown command 0x${op.toString(16).padStart(2, '0')}`)
    }
    return bounds
  }
}
