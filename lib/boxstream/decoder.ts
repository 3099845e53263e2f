/**
 * The receiving half of box-stream, sans-I/O: wire bytes in (in chunks of any size), plaintext out.
 *
 * Strict where the deployed implementations differ: a header claiming more than 4096 bytes is a
 * protocol error, and a transport that ends before the goodbye is an error, never a clean end.
 * Nothing is ever emitted from a frame that did not authenticate, and after the first failure the
 * decoder refuses everything.
 * @module
 */
import type { CryptoBackend, KeyedSecretbox } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { isAllZero } from '../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { copyKeyAndNonce } from './encoder.js'
import { allocBuffer } from './slab.js'
import { allocPlatformBytes } from '#platform-bytes'
import { HEADER_BYTES, MAX_FRAME_BODY, TAG_BYTES, bodyNonceOf, incrementNonce } from './layout.js'
import type { PlatformBytes } from '../platform/bytes-type.js'

const PHASE = 'box-stream'
const EMPTY = new Uint8Array(0)
const EMPTY_BUFFER = allocPlatformBytes(0)

/**
 * Turns box-stream wire bytes back into plaintext.
 *
 * @example
 * ```ts
 * const dec = new BoxDecoder(key, nonce)
 * socket.on('data', (chunk) => dec.push(chunk, (plain) => app.write(plain)))
 * socket.on('end', () => dec.end()) // throws ERR_TRUNCATED without a goodbye
 * ```
 */
export class BoxDecoder {
  private readonly key: Uint8Array
  protected readonly nonce: Uint8Array
  private readonly crypto: CryptoBackend
  /** The backend's per-key fast path, when it has one (noble: the XSalsa20 subkey cached per nonce prefix). */
  protected readonly box: KeyedSecretbox | null
  /**
   * Every boxed header is copied here (34 bytes, cheaper than the views it would otherwise take)
   * and opened in place; the views below are made once:
   * ```
   * header: [ tag 0..16 | length 16..18 | body tag 18..34 ]
   *           headerTag   └──── headerBox (boxed, then plain) ┘
   * ```
   */
  private readonly header = new Uint8Array(HEADER_BYTES)
  private readonly headerTag = this.header.subarray(0, TAG_BYTES)
  private readonly headerBox = this.header.subarray(TAG_BYTES)
  private readonly bodyTag = this.header.subarray(TAG_BYTES + 2)
  protected headerFill = 0
  /** Length of the body being read, or -1 while reading a header. */
  private bodyLength = -1
  /** Partial body when it straddles chunks. */
  private body: PlatformBytes | null = null
  private bodyFill = 0
  /**
   * Plaintext of the frames that arrive whole inside the current chunk, decrypted straight from
   * the chunk, back to back: one allocation per chunk rather than one per 4 KiB frame.
   * ```
   * arena: [ delivered … | pending (arenaStart..arenaAt) | free … ]
   * ```
   */
  protected arena: PlatformBytes | null = null
  private arenaStart = 0
  protected arenaAt = 0
  private goodbye = false
  /** True during a {@link pushInPlace} call. */
  protected inPlace = false
  private failure: SecretChannelError | null = null
  /** Set by {@link destroy}: the error for later use is built only if anything uses the decoder again. */
  private destroyed = false
  protected framesOpened = 0

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

  private open(out: Uint8Array, cipher: Uint8Array, tag: Uint8Array, nonce: Uint8Array): boolean {
    return this.box ? this.box.open(out, cipher, tag, nonce) : this.crypto.secretboxOpenDetached(out, cipher, tag, nonce, this.key)
  }

  private wipeKey(): void {
    this.key.fill(0)
    this.box?.wipe()
  }

  /** True once the authenticated goodbye arrived: the peer finished cleanly. */
  get ended(): boolean {
    return this.goodbye
  }

  /** The error that stopped this decoder, if any. */
  get error(): SecretChannelError | null {
    return this.stopped()
  }

  /** The failure, or after {@link destroy} (without a goodbye) `ERR_INVALID_STATE`, built now. */
  private stopped(): SecretChannelError | null {
    if (!this.failure && this.destroyed) this.failure = new SecretChannelError(ErrorCodes.INVALID_STATE, PHASE, 'the decoder was destroyed')
    return this.failure
  }

  /** True when a frame is partly received (a transport end now would cut it). */
  get midFrame(): boolean {
    return this.headerFill > 0 || this.bodyLength >= 0
  }

  /**
   * Feeds wire bytes. Calls `onPlaintext` once per authenticated, non-empty frame body, in order.
   * Bytes after the goodbye are ignored.
   * @throws SecretChannelError `ERR_BOX_TAMPERED` when a header or body fails authentication,
   *   `ERR_PROTOCOL` when a header claims more than 4096 bytes; the same error again on later calls
   */
  push(chunk: Uint8Array, onPlaintext: (body: PlatformBytes) => void): void {
    this.run(chunk, onPlaintext, false, false)
  }

  /**
   * Like {@link push}, but the plaintext of consecutive frames that arrive whole in this chunk is
   * handed over in one call (one buffer per chunk instead of one per frame), which is what a
   * stream adapter wants: fewer, larger buffers downstream. Frames that authenticated before a
   * failure are still delivered before the error is thrown.
   */
  pushCoalesced(chunk: Uint8Array, onPlaintext: (body: PlatformBytes) => void): void {
    this.run(chunk, onPlaintext, true, false)
  }

  /**
   * Like {@link pushCoalesced}, but frames that lie whole in `chunk` are opened in place and their
   * plaintext compacted to the front of the same chunk, so no second buffer is allocated:
   * ```
   * chunk before: [hdr|body 1 ][hdr|body 2 ][hdr|bo…      (the rest of body 3 comes next time)
   * chunk after:  [plain 1|plain 2]…                       one view of it goes to onPlaintext
   * ```
   * Only for chunks nobody else holds (a `net.Socket`'s reads, each a fresh buffer): the chunk is
   * overwritten. The views handed out are never written again, so the application may keep them.
   * A frame that straddles chunks is gathered in a buffer of its own, as with {@link push}.
   */
  pushInPlace(chunk: PlatformBytes, onPlaintext: (body: PlatformBytes) => void): void {
    this.run(chunk, onPlaintext, true, true)
  }

  private run(chunk: Uint8Array, onPlaintext: (body: PlatformBytes) => void, coalesce: boolean, inPlace: boolean): void {
    const failure = this.stopped()
    if (failure) throw failure
    let at = 0
    if (inPlace) {
      // The chunk is its own arena: plaintext is compacted towards its front, always behind `at`.
      this.arena = chunk as PlatformBytes
      this.arenaStart = this.arenaAt = 0
    }
    this.inPlace = inPlace
    try {
      // A zero-length body needs no bytes, so it completes even at the end of a chunk.
      while ((at < chunk.length || this.bodyLength === 0) && !this.goodbye) {
        at = this.bodyLength < 0 ? this.readHeader(chunk, at, onPlaintext, coalesce) : this.readBody(chunk, at, onPlaintext, coalesce)
      }
    } catch (err) {
      this.flush(onPlaintext)
      this.arena = null
      throw err
    }
    this.flush(onPlaintext)
    // Never keep the arena past this call: an idle connection must not hold a chunk's worth of memory.
    this.arena = null
  }

  /** Hands over the arena's plaintext that was decrypted but not yet delivered. */
  private flush(onPlaintext: (body: PlatformBytes) => void): void {
    if (this.arena && this.arenaAt > this.arenaStart) {
      const out = this.arena.subarray(this.arenaStart, this.arenaAt)
      this.arenaStart = this.arenaAt
      onPlaintext(out)
    }
  }

  /**
   * Tells the decoder the transport ended.
   * @throws SecretChannelError `ERR_TRUNCATED` unless the goodbye was received
   */
  end(): void {
    const failure = this.stopped()
    if (failure) throw failure
    if (this.goodbye) return
    const where = this.midFrame ? 'in the middle of a frame' : `after ${this.framesOpened} frame(s) at a frame boundary`
    throw this.poison(new SecretChannelError(ErrorCodes.TRUNCATED, PHASE, `the transport ended ${where} without the goodbye: the stream was cut`))
  }

  /** Wipes the key; the decoder refuses everything afterwards. */
  destroy(): void {
    this.wipeKey()
    this.body = null
    if (!this.failure && !this.goodbye) this.destroyed = true
  }

  protected poison(err: SecretChannelError): SecretChannelError {
    this.failure = err
    this.wipeKey()
    this.body = null
    return err
  }

  /** Hands over what the arena holds, then starts a fresh one of `size` bytes. */
  protected newArena(size: number, onPlaintext: (body: PlatformBytes) => void): void {
    this.flush(onPlaintext)
    this.arena = allocBuffer(size)
    this.arenaStart = this.arenaAt = 0
  }

  /** The error for a header or body that failed authentication, naming the frame. */
  protected tampered(part: 'header' | 'body'): SecretChannelError {
    return new SecretChannelError(ErrorCodes.BOX_TAMPERED, PHASE, `${part} of frame ${this.framesOpened} failed authentication (tampered, corrupted or out of sync)`)
  }

  /**
   * Reads (the rest of) a header from `chunk` at `at`; returns where it stopped. `onPlaintext` and
   * `coalesce` are the current push's, for a subclass that opens several frames here at once
   * (`BatchBoxDecoder`, with the native addon).
   */
  protected readHeader(chunk: Uint8Array, at: number, _onPlaintext: (body: PlatformBytes) => void, _coalesce: boolean): number {
    const header = this.header
    const fill = this.headerFill
    const take = Math.min(HEADER_BYTES - fill, chunk.length - at)
    for (let i = 0; i < take; i++) header[fill + i] = chunk[at + i]!
    const next = at + take
    if (fill + take < HEADER_BYTES) {
      this.headerFill = fill + take
      return next
    }
    this.headerFill = 0
    if (!this.open(this.headerBox, this.headerBox, this.headerTag, this.nonce)) {
      throw this.poison(this.tampered('header'))
    }
    if (isAllZero(this.headerBox)) {
      this.goodbye = true
      this.wipeKey()
      return next
    }
    const length = (header[TAG_BYTES]! << 8) | header[TAG_BYTES + 1]!
    if (length > MAX_FRAME_BODY) {
      throw this.poison(new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `frame ${this.framesOpened} claims ${length} bytes; the limit is ${MAX_FRAME_BODY}`))
    }
    this.bodyLength = length
    this.bodyFill = 0
    return next
  }

  private readBody(chunk: Uint8Array, at: number, onPlaintext: (body: PlatformBytes) => void, coalesce: boolean): number {
    const length = this.bodyLength
    let cipher: Uint8Array
    let next: number
    let plain: PlatformBytes
    let inArena = false
    if (length === 0) {
      // An empty body still carries a tag to check, but needs no bytes and no output space.
      cipher = EMPTY
      plain = EMPTY_BUFFER
      next = at
    } else if (this.bodyFill === 0 && chunk.length - at >= length && this.inPlace) {
      // Opened where it lies; moved down to the end of the plaintext so far once it verified.
      // (A plain Uint8Array view: cheaper to make than a Buffer, and never handed out.)
      cipher = new Uint8Array(chunk.buffer, chunk.byteOffset + at, length)
      plain = cipher as PlatformBytes
      next = at + length
      inArena = true
    } else if (this.bodyFill === 0 && chunk.length - at >= length) {
      // The whole body is in this chunk: decrypt it from the chunk into the arena.
      cipher = chunk.subarray(at, at + length)
      next = at + length
      // What is left of the chunk bounds the plaintext still to come from it.
      if (this.arena === null || this.arena.length - this.arenaAt < length) this.newArena(Math.max(length, chunk.length - at), onPlaintext)
      plain = this.arena!.subarray(this.arenaAt, this.arenaAt + length)
      inArena = true
    } else {
      if (this.body === null) this.body = allocBuffer(length)
      const take = Math.min(length - this.bodyFill, chunk.length - at)
      this.body.set(chunk.subarray(at, at + take), this.bodyFill)
      this.bodyFill += take
      if (this.bodyFill < length) return at + take
      // A body that straddled chunks is decrypted where it was gathered.
      cipher = this.body
      plain = this.body
      next = at + take
    }
    if (!this.open(plain, cipher, this.bodyTag, bodyNonceOf(this.nonce))) {
      throw this.poison(this.tampered('body'))
    }
    this.body = null
    this.bodyFill = 0
    this.bodyLength = -1
    this.framesOpened++
    incrementNonce(this.nonce)
    incrementNonce(this.nonce)
    if (length === 0) return next
    if (inArena) {
      if (this.inPlace && next - length !== this.arenaAt) this.arena!.copyWithin(this.arenaAt, next - length, next)
      this.arenaAt += length
      if (!coalesce) this.flush(onPlaintext)
    } else {
      // Delivered in order: whatever the arena holds goes first.
      this.flush(onPlaintext)
      onPlaintext(plain)
    }
    return next
  }
}
