/**
 * Async iteration of a streamx duplex that finishes on 'end'.
 *
 * streamx's own iterator waits for 'close', which on a duplex only comes once the writable side
 * has finished too. A channel must be readable to its end while we still write (an echo loop
 * answers after the peer's goodbye), so this iterator finishes on 'end'. Breaking out of the loop
 * destroys the stream, as with Node streams.
 * @module
 */
import type { Duplex } from 'streamx'
import type { PlatformBytes } from '../platform/bytes-type.js'

/**
 * Iterates `stream`'s chunks until 'end'; rethrows its error; throws `destroyedError()` if it
 * closes without ending.
 * @param stream - the duplex to read
 * @param destroyedError - makes the error for a stream destroyed before its end
 */
export function iterateUntilEnd(stream: Duplex, destroyedError: () => Error): AsyncIterableIterator<PlatformBytes> {
  let error: Error | null = null
  let ended = false
  let closed = false
  let wake: (() => void) | null = null
  const notify = (): void => {
    const w = wake
    wake = null
    if (w) w()
  }
  const onEnd = (): void => {
    ended = true
    notify()
  }
  const onError = (err: Error): void => {
    error = err
    notify()
  }
  const onClose = (): void => {
    closed = true
    notify()
  }
  stream.on('readable', notify)
  stream.on('end', onEnd)
  stream.on('error', onError)
  stream.on('close', onClose)
  const cleanup = (): void => {
    stream.removeListener('readable', notify)
    stream.removeListener('end', onEnd)
    stream.removeListener('error', onError)
    stream.removeListener('close', onClose)
  }
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next(): Promise<IteratorResult<PlatformBytes>> {
      for (;;) {
        const data = stream.read() as PlatformBytes | null
        if (data !== null) return { value: data, done: false }
        if (error) {
          cleanup()
          throw error
        }
        if (ended) {
          cleanup()
          return { value: undefined, done: true }
        }
        if (closed) {
          cleanup()
          throw destroyedError()
        }
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    async return(): Promise<IteratorResult<PlatformBytes>> {
      cleanup()
      if (!ended) stream.destroy()
      return { value: undefined, done: true }
    }
  }
}
