/**
 * `#box-decoder` in a browser: the plain `BoxDecoder` (no browser backend batches frames; see
 * `decoder-node.ts`).
 * @module
 */
export { BoxDecoder as StreamBoxDecoder } from '../boxstream/decoder.js'
