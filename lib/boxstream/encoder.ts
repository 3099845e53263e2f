/**
 * The sending half of box-stream, sans-I/O: plaintext in, wire bytes out.
 * @module
 */
import type { CryptoBackend, KeyedSecretbox } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { allocBuffer } from './slab.js'
import { HEADER_BYTES, HEADER_PLAINTEXT_BYTES, KEY_BYTES, MAX_FRAME_BODY, NONCE_BYTES, TAG_BYTES, bodyNonceOf, encodedLength, incrementNonce } from './layout.js'
import { copyBytes } from '../crypto/policy.js'
import { FULL_FRAME_BYTES, type WireBuffer } from './wire-buffer.js'
import type { PlatformBytes } from '../platform/bytes-type.js'

const PHASE = 'box-stream encoder'

/** Checks a key and nonce and returns private copies (callers' buffers are never mutated). */
export function copyKeyAndNonce(key: Uint8Array, nonce: Uint8Array, phase: string): [Uint8Array, Uint8Array] {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'key must be 32 bytes')
  }
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'nonce must be 24 bytes')
  }
  return [copyBytes(key), copyBytes(nonce)]
}

/**
 * Turns application writes into box-stream frames. Each write becomes one buffer holding all its
 * frames, encrypted in place, so a 64 KiB write is one allocation and one transport write.
 *
 * @example
 * ```ts
 * const enc = new BoxEncoder(key, nonce)
 * socket.write(enc.encode(Buffer.from('hello')))
 * socket.end(enc.goodbye())
 * ```
 */
export class BoxEncoder {
  private readonly key: Uint8Array
  private readonly nonce: Uint8Array
  private readonly crypto: CryptoBackend
  /** The backend's per-key fast path, when it has one (noble: the XSalsa20 subkey cached per nonce prefix). */
  private readonly box: KeyedSecretbox | null
  private finished = false

  /**
   * @param key - 32-byte key for this direction
   * @param nonce - 24-byte starting nonce (copied)
   * @param crypto - the backend; the process-wide one when left out
   */
  constructor(key: Uint8Array, nonce: Uint8Array, crypto: CryptoBackend = getCryptoBackend()) {
    ;[this.key, this.nonce] = copyKeyAndNonce(key, nonce, PHASE)
    this.crypto = crypto
    this.box = crypto.keyedSecretbox?.(this.key) ?? null
  }

  private seal(data: Uint8Array, tag: Uint8Array, nonce: Uint8Array): void {
    if (this.box) this.box.seal(data, tag, nonce)
    else this.crypto.secretboxSealDetached(data, tag, nonce, this.key)
  }

  /** True once {@link goodbye} has been produced. */
  get ended(): boolean {
    return this.finished
  }

  /**
   * Encodes one write. Writes over 4096 bytes become several frames; an empty write yields an empty
   * array (box-stream sends nothing for it, as the reference does).
   * @param plaintext - the bytes to send; not modified
   * @returns the wire bytes, a fresh buffer the caller owns
   */
  encode(plaintext: Uint8Array): PlatformBytes {
    const out = allocBuffer(encodedLength(plaintext.length))
    this.encodeInto(plaintext, out, 0)
    return out
  }

  /**
   * Encodes one write into `out` at `offset`; `out` must have {@link encodedLength} bytes free there.
   * With `wire` (whose `bytes` is `out`), full frames that fall on the buffer's natural frame
   * offsets use its precomputed views instead of making four per frame.
   * @returns the number of bytes written
   */
  encodeInto(plaintext: Uint8Array, out: Uint8Array, offset: number, wire?: WireBuffer): number {
    if (this.finished) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'write after the goodbye was sent')
    // The native addon frames the whole write in one call; -1 means it could not (nothing written).
    if (this.box?.sealFrames) {
      const written = this.box.sealFrames(plaintext, out, offset, this.nonce)
      if (written >= 0) return written
    }
    let at = offset
    for (let from = 0; from < plaintext.length; from += MAX_FRAME_BODY) {
      const length = Math.min(MAX_FRAME_BODY, plaintext.length - from)
      const source = length === plaintext.length ? plaintext : plaintext.subarray(from, from + length)
      const slot = wire && length === MAX_FRAME_BODY && at % FULL_FRAME_BYTES === 0 ? at / FULL_FRAME_BYTES : -1
      const precomputed = slot >= 0 && slot < wire!.frames
      const body = precomputed ? wire!.body[slot]! : out.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)
      const bodyTag = precomputed ? wire!.bodyTag[slot]! : out.subarray(at + 18, at + HEADER_BYTES)
      const header = precomputed ? wire!.headerPlain[slot]! : out.subarray(at + TAG_BYTES, at + HEADER_BYTES)
      const headerTag = precomputed ? wire!.headerTag[slot]! : out.subarray(at, at + TAG_BYTES)
      // Body first: its tag lands in the header plaintext, bytes 18..34 of the frame.
      this.sealBody(body, bodyTag, source, bodyNonceOf(this.nonce))
      out[at + 16] = length >>> 8
      out[at + 17] = length & 0xff
      this.seal(header, headerTag, this.nonce)
      incrementNonce(this.nonce)
      incrementNonce(this.nonce)
      at += HEADER_BYTES + length
    }
    return at - offset
  }

  /** Seals `source` into `body`: straight from the caller's bytes where the backend can, else copied there first. */
  private sealBody(body: Uint8Array, tag: Uint8Array, source: Uint8Array, nonce: Uint8Array): void {
    if (this.box?.sealFrom) return this.box.sealFrom(body, tag, source, nonce)
    body.set(source)
    this.seal(body, tag, nonce)
  }

  /** The 34-byte goodbye: a boxed header of 18 zero bytes. After it, {@link encode} throws. */
  goodbye(): PlatformBytes {
    if (this.finished) throw new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'the goodbye was already sent')
    // The goodbye's plaintext is 18 zero bytes: zero the (uninitialised) allocation first.
    const out = allocBuffer(HEADER_BYTES).fill(0)
    this.seal(out.subarray(TAG_BYTES, TAG_BYTES + HEADER_PLAINTEXT_BYTES), out.subarray(0, TAG_BYTES), this.nonce)
    this.finished = true
    this.destroy()
    return out
  }

  /** Wipes the key; the encoder cannot be used afterwards. */
  destroy(): void {
    this.finished = true
    this.key.fill(0)
    this.box?.wipe()
  }
}
