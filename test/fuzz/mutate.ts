/**
 * Byte-level mutations and chunkings as fast-check arbitraries. Positions are drawn as plain
 * numbers and reduced modulo the current length when applied, so one mutation list fits any input.
 */
import fc from 'fast-check'

/** One edit of a byte string. */
export type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; count: number }
  | { kind: 'swap'; pos: number; other: number }

const pos = fc.nat()

/** Any single mutation. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), pos, value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pos }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pos, count: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), pos, other: pos }) }
)

/** Mutations that keep the length (for inputs whose length is checked first). */
export const inPlaceMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), pos, value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), pos, other: pos }) }
)

/** 1 to `max` mutations. */
export const mutationsArb = (max = 4, arb = mutationArb): fc.Arbitrary<Mutation[]> => fc.array(arb, { minLength: 1, maxLength: max })

/** Applies mutations in order to a copy of `input`. */
export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(input)
  for (const m of mutations) {
    const n = out.length
    switch (m.kind) {
      case 'flip':
        if (n) out[m.pos % n] = out[m.pos % n]! ^ (1 << m.bit)
        break
      case 'set':
        if (n) out[m.pos % n] = m.value
        break
      case 'truncate':
        out = out.slice(0, n ? m.pos % n : 0)
        break
      case 'insert': {
        const at = m.pos % (n + 1)
        const next = new Uint8Array(n + m.bytes.length)
        next.set(out.subarray(0, at))
        next.set(m.bytes, at)
        next.set(out.subarray(at), at + m.bytes.length)
        out = next
        break
      }
      case 'delete': {
        if (!n) break
        const at = m.pos % n
        const next = new Uint8Array(n - Math.min(m.count, n - at))
        next.set(out.subarray(0, at))
        next.set(out.subarray(at + m.count), at)
        out = next
        break
      }
      case 'swap':
        if (n) {
          const a = m.pos % n
          const b = m.other % n
          const t = out[a]!
          out[a] = out[b]!
          out[b] = t
        }
        break
    }
  }
  return out
}

/** Chunk sizes for splitting a byte string; 0-sized chunks are allowed (transports deliver those too). */
export const chunkingArb: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<number[]>([]) },
  { weight: 1, arbitrary: fc.constant<number[]>([1]) },
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 4 }) }
)

/**
 * Splits `bytes` into chunks whose sizes cycle through `sizes` (the whole input at once when
 * `sizes` is empty). Zero sizes yield empty chunks but never stall: at least one byte is
 * consumed every `sizes.length` chunks.
 */
export function chunk(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length === 0 || sizes.every((s) => s === 0)) return [bytes]
  const out: Uint8Array[] = []
  let at = 0
  let i = 0
  while (at < bytes.length) {
    const size = sizes[i++ % sizes.length]!
    out.push(bytes.subarray(at, at + size))
    at += size
  }
  return out
}
