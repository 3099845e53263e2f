/**
 * The pull-stream protocol, typed (https://github.com/pull-stream/pull-stream spec).
 *
 * A source is a function the reader calls with `(abort, cb)`; the source answers once with
 * `cb(end, data)`. `end` is `null` while data flows, `true` for a clean end and an `Error` for a
 * failure. A sink is a function that takes a source and starts reading from it; a through takes a
 * source and returns a new one. Nothing moves until a reader asks: that is the backpressure.
 * @module
 */

/**
 * How a stream stopped: `true` for a clean end, an `Error` for a failure; `null` while still going.
 * @example
 * ```ts
 * const source: Source<Buffer> = (end: End, cb) => {
 *   if (end) return cb(end) // true: stop; an Error: abort with it
 *   cb(null, Buffer.from('x'))
 * }
 * ```
 */
export type End = true | Error | null

/** The answer a source gives: either `(null, data)` or `(end)`. */
export type SourceCallback<T> = (end: End, data?: T) => void

/**
 * A readable pull-stream. Call with `abort` set to ask the source to stop.
 * @example
 * ```ts
 * const once: Source<string> = (end, cb) => cb(end ?? null, end ? undefined : 'hello')
 * ```
 */
export type Source<T> = (abort: End, cb: SourceCallback<T>) => void

/**
 * A writable pull-stream: it reads from the source it is given until that ends.
 * @example
 * ```ts
 * const log: Sink<Buffer> = (read) => read(null, function next (end, data) {
 *   if (end) return
 *   console.log(data)
 *   read(null, next)
 * })
 * ```
 */
export type Sink<T> = (read: Source<T>) => void

/**
 * A transform: reads from one source and is itself a source.
 * @example
 * ```ts
 * const upper: Through<string, string> = (read) => (end, cb) => read(end, (end, data) => cb(end, data?.toUpperCase()))
 * ```
 */
export type Through<In, Out> = (read: Source<In>) => Source<Out>

/**
 * Two streams facing opposite ways, as a connection is.
 * @example
 * ```ts
 * const duplex: Duplex<Uint8Array, Buffer> = connect(bob.publicKey, onSecure)
 * pull(wire, duplex, wire)
 * ```
 */
export interface Duplex<In, Out = In> {
  /** What the other party reads from us. */
  source: Source<Out>
  /** Where the other party's data comes in. */
  sink: Sink<In>
}

/** True when `end` says the stream has stopped (cleanly or not). */
export function isEnd(end: End | undefined): end is true | Error {
  return end !== null && end !== undefined && (end as unknown) !== false
}

/**
 * Runs `step` again and again without growing the stack when it answers synchronously
 * (a source that has data ready calls back at once; recursion would overflow on long runs).
 * `step(next)` does one unit of work and calls `next()` when another is wanted.
 */
export function loop(step: (next: () => void) => void): void {
  let running = false
  let again = false
  const next = (): void => {
    again = true
    if (running) return
    running = true
    while (again) {
      again = false
      step(next)
    }
    running = false
  }
  next()
}
