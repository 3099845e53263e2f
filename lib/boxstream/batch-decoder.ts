/**
 * {@link BoxDecoder} that opens, in one call, every frame lying whole in a pushed chunk, where the
 * backend's keyed secretbox can (`KeyedSecretbox.openFrames`: the sodium-native backend with the
 * native addon built). The streams make their decoders from this class in Node (`#box-decoder`);
 * a browser bundle gets the plain {@link BoxDecoder}, since no browser backend has the call.
 *
 * The batch runs at a frame boundary, for `pushCoalesced` and `pushInPlace` (whose plaintext goes
 * out one view per chunk anyway). What it leaves goes through {@link BoxDecoder}'s own path: a
 * frame the chunk cuts short, the goodbye, a header that claims more than 4096 bytes.
 * @module
 */
import type { KeyedSecretbox } from '../crypto/backend.js'
import type { PlatformBytes } from '../platform/bytes-type.js'
import { BoxDecoder } from './decoder.js'

/** Results of `openFrames`: [next at, next to, frames opened, status]; shared, read right after each call. */
const batchResult = new Uint32Array(4)

/**
 * A {@link BoxDecoder} with the native addon's whole-chunk batches; the same results, byte for byte.
 * @example
 * ```ts
 * const dec = new BatchBoxDecoder(key, nonce)
 * socket.on('data', (chunk) => dec.pushInPlace(chunk, (plain) => app.write(plain)))
 * ```
 */
export class BatchBoxDecoder extends BoxDecoder {
  protected override readHeader(chunk: Uint8Array, at: number, onPlaintext: (body: PlatformBytes) => void, coalesce: boolean): number {
    if (coalesce && this.headerFill === 0 && this.box?.openFrames) {
      at = this.openWholeFrames(this.box, chunk, at, onPlaintext)
      if (at === chunk.length) return at
    }
    return super.readHeader(chunk, at, onPlaintext, coalesce)
  }

  /**
   * Opens the frames lying whole in `chunk` from `at` in one call, their plaintext going to the
   * arena: the chunk itself in place, else a buffer with room for all the chunk still holds (one
   * per chunk, as the frame-by-frame path makes). Returns where it stopped, before a frame it
   * left as it was.
   */
  private openWholeFrames(box: KeyedSecretbox, chunk: Uint8Array, at: number, onPlaintext: (body: PlatformBytes) => void): number {
    if (!this.inPlace && (this.arena === null || this.arena.length - this.arenaAt < chunk.length - at)) this.newArena(chunk.length - at, onPlaintext)
    const status = box.openFrames!(chunk, at, this.arena!, this.arenaAt, this.nonce, batchResult)
    if (status < 0) return at
    this.arenaAt = batchResult[1]!
    this.framesOpened += batchResult[2]!
    if (status === 1) throw this.poison(this.tampered('header'))
    if (status === 2) throw this.poison(this.tampered('body'))
    return batchResult[0]!
  }
}
