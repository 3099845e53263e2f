/**
 * The type of the byte arrays the package hands out, resolved in the user's own compilation:
 * Node's `Buffer` where Node's types are loaded (in Node every byte array we hand out is a
 * Buffer), and `Uint8Array` where they are not (a browser project, where the `browser` build hands
 * out plain Uint8Arrays and there is no `Buffer` type to name). Read from the global `Buffer`'s
 * `isBuffer` predicate, so the published declarations never name `Buffer` themselves.
 * @module
 */

/**
 * `Buffer` with Node's types loaded, `Uint8Array` without them.
 * @example
 * ```ts
 * const received: PlatformBytes[] = []
 * stream.on('data', (chunk: PlatformBytes) => received.push(chunk))
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches the predicate's own `any` parameter
export type PlatformBytes = typeof globalThis extends { Buffer: { isBuffer(obj: any): obj is infer B } } ? B : Uint8Array
