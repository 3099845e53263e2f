/**
 * The reason a streamx stream is given when it is destroyed without an error.
 *
 * streamx's `destroy()` without an argument builds `StreamError.STREAM_DESTROYED()`: a new `Error`
 * with a captured stack trace, every time. It is only a marker: streamx, `getStreamError` and our
 * own `_predestroy` look at its `code` (`'STREAM_DESTROYED'`) and treat it as "no error", and no
 * `'error'` event ever carries it. A handshake pair that is destroyed once open builds four of
 * them (each `SecretStream` and each end of an in-memory transport pair); in headless Chromium
 * that measured 4–5% of a WebCrypto handshake pair's time (docs/browser.md).
 *
 * {@link plainDestroyReason} gives streamx the same marker (an instance of streamx's own error
 * class, same name, message and code) without calling a constructor, so no stack is captured.
 * Streams built on streamx pass it to `super.destroy()` when called without an error.
 * @module
 */
import { Readable, getStreamError } from 'streamx'

/** The marker's code and message, as streamx writes them. */
const CODE = 'STREAM_DESTROYED'
const MESSAGE = 'Stream was destroyed'

let markerPrototype: object | null = null

/**
 * streamx's error class prototype, taken once from the marker of a destroyed probe stream (streamx
 * does not export the class). Falls back to `Error.prototype` if streamx ever stores something else.
 */
function streamErrorPrototype(): object {
  if (markerPrototype !== null) return markerPrototype
  const probe = new Readable()
  probe.destroy()
  const marker = getStreamError(probe, { all: true }) as (Error & { code?: unknown }) | null
  markerPrototype = marker !== null && marker.code === CODE ? Object.getPrototypeOf(marker) as object : Error.prototype
  return markerPrototype
}

/**
 * A fresh `STREAM_DESTROYED` marker for `destroy()` without an error: streamx's class, message and
 * code, no stack trace (none is needed: it never reaches an `'error'` listener).
 * @example
 * ```ts
 * class MyDuplex extends Duplex {
 *   destroy (err?: Error | null): void { super.destroy(err ?? plainDestroyReason()) }
 * }
 * ```
 */
export function plainDestroyReason(): Error {
  const marker = Object.create(streamErrorPrototype()) as Error & { code: string }
  // As Error's constructor defines it: an own, non-enumerable message; `code` as streamx sets it.
  Object.defineProperty(marker, 'message', { value: MESSAGE, writable: true, configurable: true, enumerable: false })
  marker.code = CODE
  return marker
}
