/**
 * The portable side of `#platform-transport` (see `transport-node.ts`): a browser has no
 * `net.Socket`, so every transport keeps the buffers it delivers.
 * @module
 */

/**
 * Always false here: only Node sockets can be switched to reading into buffers a stream owns.
 * @param _raw - the transport a stream was handed
 * @example
 * ```ts
 * readIntoOwnBuffers(webSocketDuplex) // false
 * ```
 */
export function readIntoOwnBuffers(_raw: object): boolean {
  return false
}

/**
 * Always false here, see {@link readIntoOwnBuffers}.
 * @param _raw - the transport a stream was handed
 * @example
 * ```ts
 * canReadIntoOwnBuffers(webSocketDuplex) // false
 * ```
 */
export function canReadIntoOwnBuffers(_raw: object): boolean {
  return false
}
