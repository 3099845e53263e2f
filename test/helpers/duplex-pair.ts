/**
 * A tiny in-memory duplex pair (streamx): what one side writes, the other reads. An optional
 * `tap` sees (and may replace or drop) every chunk in flight, for tamper tests.
 */
import { Duplex } from 'streamx'

/** Rewrites a chunk in flight: return a new chunk, or null to drop it. */
export type Tap = (chunk: Uint8Array, from: 'a' | 'b') => Uint8Array | null

/** Two connected streamx Duplexes. */
export function duplexPair(tap?: Tap): [Duplex, Duplex] {
  const make = (name: 'a' | 'b', peer: () => Duplex): Duplex => new Duplex({
    write (data: Uint8Array, cb: (err: Error | null) => void) {
      const out = tap ? tap(data, name) : data
      if (out) peer().push(out)
      cb(null)
    },
    final (cb: (err: Error | null) => void) {
      peer().push(null)
      cb(null)
    }
  })
  const a = make('a', () => b)
  const b = make('b', () => a)
  return [a, b]
}
