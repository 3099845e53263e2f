/** A tiny in-memory byte duplex pair (streamx): what one side writes, the other reads. */
import { Duplex } from 'streamx'

/** Two connected duplexes. Ending one ends the other's readable side. */
export function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex
  let b!: Duplex
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      write(data, cb) {
        other().push(data)
        cb(null)
      },
      final(cb) {
        other().push(null)
        cb(null)
      }
    })
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}
