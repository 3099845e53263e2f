/** The shape of one fuzz target, shared by the bounded tape properties and the long `npm run fuzz` runner. */
import type fc from 'fast-check'

/** A parser or state machine under fuzz: inputs to draw and the property every input must satisfy. */
export interface FuzzTarget<T, R extends void | Promise<void> = void> {
  /** Short stable name, used by FUZZ_TARGET and in reports. */
  name: string
  /** What is being fuzzed, in words. */
  description: string
  /** The inputs. */
  arbitrary: fc.Arbitrary<T>
  /** True when `check` returns a promise (the stream adapters). */
  async?: boolean
  /** Throws a PropertyViolation (or lets a non-typed library exception escape) when the property fails. */
  check(input: T): R
}
