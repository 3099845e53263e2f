/**
 * The flat protocol after authentication: DATA-LENGTH / DATA / VERIFICATION-SHA256 triples and an
 * authenticated END, sans-I/O.
 *
 * One write of any size is split into packets of at most the negotiated MAX-PACKET plaintext bytes.
 * Each packet costs two nonces of its direction's counter:
 * ```
 * DATA-LENGTH  [ 0x06 | 4 | n u32 BE ]                            n = plaintext bytes, 1 … maxPacket
 * DATA         [ 0x07 | n+16 | tag (16) ‖ XSalsa20(plaintext) ]  nonce i
 * VERIFICATION [ 0x08 | 48 | tag (16) ‖ XSalsa20(SHA-256(plaintext)) ]  nonce i+1
 * END          [ 0x13 | 16 | tag of an empty secretbox ]         nonce j (the next unused)
 * ```
 * The receiver opens DATA, hashes the plaintext, opens VERIFICATION and compares the two in
 * constant time; any failure is `ERR_BOX_TAMPERED`. A transport that ends without END is a
 * truncation, which the stream adapter reports.
 * @module
 */
import type { CryptoBackend } from '../../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import { Cmd, HEADER_BYTES, readU32 } from './commands.js'
import type { Command, CommandLimits } from './commands.js'
import { nonceFor } from './keys.js'

const TAG = 16

/** Seals outgoing data for one direction. */
export class FlatSender {
  private readonly crypto: CryptoBackend
  private readonly key: Uint8Array
  private counter: bigint
  private readonly nonce = new Uint8Array(24)
  /** Largest plaintext per packet; only ever lowered (a late MAX-PACKET), see {@link limitMaxPacket}. */
  maxPacket: number
  private ended = false

  /**
   * @param crypto - the backend
   * @param key - this direction's 32-byte key (copied)
   * @param maxPacket - negotiated MAX-PACKET
   * @param firstNonce - the first unused counter value
   */
  constructor(crypto: CryptoBackend, key: Uint8Array, maxPacket: number, firstNonce = 0n) {
    this.crypto = crypto
    this.key = Uint8Array.from(key)
    this.maxPacket = maxPacket
    this.counter = firstNonce
  }

  /** Lowers MAX-PACKET (never raises it). */
  limitMaxPacket(n: number): void {
    this.maxPacket = Math.min(this.maxPacket, n)
  }

  /** Wipes the key; nothing can be sealed afterwards. */
  destroy(): void {
    this.ended = true
    wipe(this.key)
  }

  private box(plaintext: Uint8Array, into: Uint8Array): void {
    // into = [tag (16) | body]
    into.set(plaintext, TAG)
    this.crypto.secretboxSealDetached(into.subarray(TAG, TAG + plaintext.length), into.subarray(0, TAG), nonceFor(this.counter, this.nonce), this.key)
    this.counter++
  }

  /** Bytes on the wire for `n` plaintext bytes. */
  encodedLength(n: number): number {
    const packets = Math.ceil(n / this.maxPacket)
    return n + packets * (3 * HEADER_BYTES + 4 + TAG + TAG + 32)
  }

  /** Seals `plaintext` (any length ≥ 1) into one buffer of packets. */
  seal(plaintext: Uint8Array): Uint8Array {
    if (this.ended) throw new SecretChannelError(ErrorCodes.INVALID_STATE, 'flat channel', 'write after end')
    const out = Buffer.allocUnsafe(this.encodedLength(plaintext.length))
    const crypto = this.crypto
    let at = 0
    for (let from = 0; from < plaintext.length; from += this.maxPacket) {
      const chunk = plaintext.subarray(from, Math.min(plaintext.length, from + this.maxPacket))
      out[at] = Cmd.DATA_LENGTH; out.writeUInt32BE(4, at + 1); out.writeUInt32BE(chunk.length, at + 5); at += 9
      out[at] = Cmd.DATA; out.writeUInt32BE(chunk.length + TAG, at + 1); at += HEADER_BYTES
      const digest = crypto.sha256(chunk)
      this.box(chunk, out.subarray(at, at + TAG + chunk.length)); at += TAG + chunk.length
      out[at] = Cmd.VERIFICATION_SHA256; out.writeUInt32BE(TAG + 32, at + 1); at += HEADER_BYTES
      this.box(digest, out.subarray(at, at + TAG + 32)); at += TAG + 32
    }
    return out
  }

  /** Seals a 32-byte proof value as one box (the client's first message). */
  sealValue(value: Uint8Array): Uint8Array {
    const out = new Uint8Array(TAG + value.length)
    this.box(value, out)
    return out
  }

  /** The END command; nothing may be sent after it. */
  end(): Uint8Array {
    const out = Buffer.alloc(HEADER_BYTES + TAG)
    out[0] = Cmd.END
    out.writeUInt32BE(TAG, 1)
    this.box(new Uint8Array(0), out.subarray(HEADER_BYTES))
    this.ended = true
    wipe(this.key)
    return out
  }
}

/** What {@link FlatReceiver.receive} yields. */
export type Received = { type: 'data', data: Uint8Array } | { type: 'end' } | null

/** Opens incoming data for one direction. */
export class FlatReceiver {
  private readonly crypto: CryptoBackend
  private readonly key: Uint8Array
  private counter: bigint
  private readonly nonce = new Uint8Array(24)
  private maxPacket: number
  private expect: 'length' | 'data' | 'verify' | 'done' = 'length'
  private length = 0
  private plaintext: Uint8Array | null = null
  private readonly limitsIdle: CommandLimits
  private readonly phase: string

  /**
   * @param crypto - the backend
   * @param key - this direction's 32-byte key (copied)
   * @param maxPacket - negotiated MAX-PACKET
   * @param firstNonce - the first unused counter value
   * @param phase - names the side in errors
   * @param extra - further commands allowed between packets (e.g. ERROR)
   */
  constructor(crypto: CryptoBackend, key: Uint8Array, maxPacket: number, firstNonce: bigint, phase: string, extra: Array<[number, readonly [number, number]]> = []) {
    this.crypto = crypto
    this.key = Uint8Array.from(key)
    this.maxPacket = maxPacket
    this.counter = firstNonce
    this.phase = phase
    this.limitsIdle = new Map<number, readonly [number, number]>([[Cmd.DATA_LENGTH, [4, 4]], [Cmd.END, [TAG, TAG]], ...extra])
  }

  /** Lowers MAX-PACKET (never raises it). */
  limitMaxPacket(n: number): void {
    this.maxPacket = Math.min(this.maxPacket, n)
  }

  /** Wipes the key; nothing can be opened afterwards. */
  destroy(): void {
    this.expect = 'done'
    wipe(this.key)
  }

  /** The commands acceptable now. */
  limits(): CommandLimits {
    switch (this.expect) {
      case 'length': return this.limitsIdle
      case 'data': return new Map([[Cmd.DATA, [this.length + TAG, this.length + TAG]]])
      case 'verify': return new Map([[Cmd.VERIFICATION_SHA256, [TAG + 32, TAG + 32]]])
      default: return new Map()
    }
  }

  private open(box: Uint8Array): Uint8Array {
    const out = new Uint8Array(box.length - TAG)
    const ok = this.crypto.secretboxOpenDetached(out, box.subarray(TAG), box.subarray(0, TAG), nonceFor(this.counter, this.nonce), this.key)
    this.counter++
    if (!ok) throw new SecretChannelError(ErrorCodes.BOX_TAMPERED, this.phase, 'a packet failed authentication (tampered, reordered or replayed)')
    return out
  }

  /** Opens the client's proof (first box of the client→server direction); null when it fails. */
  openValueOrNull(box: Uint8Array): Uint8Array | null {
    try {
      return this.open(box)
    } catch {
      return null
    }
  }

  /**
   * Feeds one command allowed by {@link limits}.
   * @returns the plaintext of a complete packet, `end`, or null (more commands needed)
   */
  receive(cmd: Command): Received {
    switch (cmd.op) {
      case Cmd.DATA_LENGTH: {
        const n = readU32(cmd.value)
        if (n < 1 || n > this.maxPacket) throw new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, `DATA-LENGTH ${n} outside 1…${this.maxPacket}`)
        this.length = n
        this.expect = 'data'
        return null
      }
      case Cmd.DATA:
        this.plaintext = this.open(cmd.value)
        this.expect = 'verify'
        return null
      case Cmd.VERIFICATION_SHA256: {
        const claimed = this.open(cmd.value)
        const data = this.plaintext!
        this.plaintext = null
        this.expect = 'length'
        if (!constantTimeEqual(claimed, this.crypto.sha256(data))) {
          throw new SecretChannelError(ErrorCodes.BOX_TAMPERED, this.phase, 'VERIFICATION-SHA256 does not match the packet')
        }
        return { type: 'data', data }
      }
      case Cmd.END:
        this.open(cmd.value)
        this.expect = 'done'
        wipe(this.key)
        return { type: 'end' }
      default:
        throw new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, `unexpected command 0x${cmd.op.toString(16)}`)
    }
  }
}
