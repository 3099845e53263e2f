/**
 * The portable side of `#platform-transport` (see `transport-node.ts`): a browser has no
 * `net.Socket`, so every transport keeps the buffers it delivers.
 * @module
 */

/**
 * Always false here: only Node sockets can be switched to reading into buffers a stream owns.
 * Exported under both of `transport-node.ts`'s names (`readIntoOwnBuffers` too), as one function
 * the bundle carries once.
 * @param _raw - the transport a stream was handed
 * @example
 * ```ts
 * canReadIntoOwnBuffers(webSocketDuplex) // false
 * ```
 */
export function canReadIntoOwnBuffers(_raw: object): boolean {
  return false
}

export { canReadIntoOwnBuffers as readIntoOwnBuffers }
