/**
 * box-stream as pull-stream throughs, a drop-in for `pull-box-stream@1.0.13`.
 *
 * ```
 * plaintext source ──createBoxStream(key, nonce)──▶ wire bytes ──createUnboxStream(key, nonce)──▶ plaintext
 * ```
 * Both wrap the sans-I/O {@link BoxEncoder} / {@link BoxDecoder}; this file only moves bytes and
 * maps stream ends. Each output chunk is produced only when the reader asks for one.
 * @module
 */
import { BoxEncoder, type BoxDecoder } from '../../boxstream/index.js'
import { StreamBoxDecoder } from '#box-decoder'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { utf8PlatformBytes } from '#platform-bytes'
import { isEnd, loop, type End, type Source, type SourceCallback, type Through } from './types.js'
import type { PlatformBytes } from '../../platform/bytes-type.js'

const KEY_AND_NONCE_BYTES = 56

/**
 * Accepts the two key forms pull-box-stream takes: `(key32, nonce24)` or `(key32 ‖ nonce24)`.
 * Returns copies, so the caller's buffers are never touched.
 */
function splitKeyAndNonce(key: Uint8Array, nonce: Uint8Array | undefined, phase: string): [Uint8Array, Uint8Array] {
  // `new Uint8Array(view)` copies; `Buffer#slice` would not, and the key copy is wiped later.
  if (key instanceof Uint8Array && key.length === KEY_AND_NONCE_BYTES) {
    return [new Uint8Array(key.subarray(0, 32)), new Uint8Array(key.subarray(32, KEY_AND_NONCE_BYTES))]
  }
  if (!(key instanceof Uint8Array) || key.length !== 32 || !(nonce instanceof Uint8Array) || nonce.length !== 24) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, phase, 'expected a 32-byte key and a 24-byte nonce, or one 56-byte key ‖ nonce')
  }
  return [new Uint8Array(key), new Uint8Array(nonce)]
}

/** Turns a write into bytes: Buffers and Uint8Arrays as they are, strings as UTF-8; null for anything else. */
function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data
  if (typeof data === 'string') return utf8PlatformBytes(data)
  return null
}

/**
 * Encrypts a plaintext pull-stream into box-stream frames (alias {@link createEncryptStream}).
 *
 * Writes over 4096 bytes become several frames, empty writes send nothing, strings are UTF-8.
 * A clean end of the plaintext sends the 34-byte goodbye; an error end sends no goodbye (so the
 * receiver sees a truncation) and passes the error on.
 * @param key - 32-byte key, or 56 bytes of key ‖ nonce
 * @param nonce - 24-byte starting nonce (copied, never mutated)
 * @example
 * ```ts
 * pull(pull.values(['hello']), createBoxStream(key, nonce), pull.collect((err, boxed) => send(Buffer.concat(boxed))))
 * ```
 */
export function createBoxStream(key: Uint8Array, nonce?: Uint8Array): Through<Uint8Array | string, PlatformBytes> {
  const [k, n] = splitKeyAndNonce(key, nonce, 'box-stream encoder')
  const encoder = new BoxEncoder(k, n)
  k.fill(0)
  return (read: Source<Uint8Array | string>): Source<PlatformBytes> => {
    let ended: End = null
    return (abort: End, cb: SourceCallback<PlatformBytes>): void => {
      if (ended) return cb(ended)
      if (isEnd(abort)) {
        ended = abort
        encoder.destroy()
        return read(abort, () => cb(abort))
      }
      loop((next) => {
        read(null, (end, data) => {
          if (end === true) {
            ended = true
            return cb(null, encoder.goodbye())
          }
          if (isEnd(end)) {
            ended = end
            encoder.destroy()
            return cb(end)
          }
          const bytes = toBytes(data)
          if (bytes === null) {
            const err = new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'box-stream encoder', `must be buffer or string, got ${typeof data}`)
            ended = err
            encoder.destroy()
            return read(err, () => cb(err))
          }
          if (bytes.length === 0) return next()
          cb(null, encoder.encode(bytes))
        })
      })
    }
  }
}

/**
 * Decrypts box-stream frames back into plaintext (alias {@link createDecryptStream}).
 *
 * The authenticated goodbye ends the output cleanly. Anything else is an error, and nothing
 * from a frame that failed is ever emitted:
 * - the input ends before the goodbye: `ERR_TRUNCATED` (or, if the input failed, `ERR_TRANSPORT` with that cause);
 * - a header or body does not authenticate: `ERR_BOX_TAMPERED`;
 * - a header claims more than 4096 bytes: `ERR_PROTOCOL`.
 * After a failure the input is aborted with the same error.
 * @param key - 32-byte key, or 56 bytes of key ‖ nonce
 * @param nonce - 24-byte starting nonce (copied, never mutated)
 * @example
 * ```ts
 * pull(pull.values([boxed]), createUnboxStream(key, nonce), pull.collect((err, plain) => console.log(err?.code, String(Buffer.concat(plain)))))
 * ```
 */
export function createUnboxStream(key: Uint8Array, nonce?: Uint8Array): Through<Uint8Array, PlatformBytes> {
  const [k, n] = splitKeyAndNonce(key, nonce, 'box-stream')
  const decoder = new StreamBoxDecoder(k, n)
  k.fill(0)
  return (read: Source<Uint8Array>): Source<PlatformBytes> => {
    const ready: PlatformBytes[] = []
    let ended: End = null
    const push = (plain: PlatformBytes): void => {
      ready.push(plain)
    }
    return (abort: End, cb: SourceCallback<PlatformBytes>): void => {
      if (isEnd(abort)) {
        ready.length = 0
        if (!ended) decoder.destroy()
        if (ended) return cb(abort)
        ended = abort
        return read(abort, () => cb(abort))
      }
      loop((next) => {
        if (ready.length > 0) return cb(null, ready.shift())
        if (ended) return cb(ended)
        read(null, (end, data) => {
          if (isEnd(end)) {
            ended = endOfInput(decoder, end)
            return next()
          }
          try {
            // One buffer per wire chunk (the frames that lie whole in it, opened in one native call
            // where the addon is built), not one per frame: the same bytes, fewer and larger pieces.
            if (data && data.length > 0) decoder.pushCoalesced(data, push)
            // The goodbye ends our output; the input is left alone so the other direction of a
            // duplex transport can still finish (aborting a socket's source would destroy it).
            if (decoder.ended) ended = true
          } catch (err) {
            // Frames that authenticated before the bad one were already queued and still go out.
            ended = err as SecretChannelError
            return read(ended, () => next())
          }
          next()
        })
      })
    }
  }
}

/** Maps the end of the wire input to the end of the plaintext output. */
function endOfInput(decoder: BoxDecoder, end: true | Error): true | Error {
  if (decoder.ended) return true
  if (end instanceof SecretChannelError) return end
  if (end === true) {
    try {
      decoder.end()
      return true
    } catch (err) {
      return err as SecretChannelError
    }
  }
  decoder.destroy()
  return new SecretChannelError(ErrorCodes.TRANSPORT, 'box-stream', 'the input failed before the goodbye', { cause: end })
}

/**
 * Alias of {@link createBoxStream}, as in pull-box-stream.
 * @example
 * ```ts
 * pull(pull.values([Buffer.from('hi')]), createEncryptStream(key, nonce), toSocket)
 * ```
 */
export const createEncryptStream = createBoxStream
/**
 * Alias of {@link createUnboxStream}, as in pull-box-stream.
 * @example
 * ```ts
 * pull(fromSocket, createDecryptStream(key, nonce), pull.collect(done))
 * ```
 */
export const createDecryptStream = createUnboxStream
