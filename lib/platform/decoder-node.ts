/**
 * `#box-decoder` in Node: the streams' box-stream decoder is {@link BatchBoxDecoder}, which opens
 * whole chunks through the native addon where it is built (and behaves as `BoxDecoder` where not).
 * The browser side (`decoder-browser.ts`) is the plain `BoxDecoder`, so the batch code stays out
 * of browser bundles.
 * @module
 */
export { BatchBoxDecoder as StreamBoxDecoder } from '../boxstream/batch-decoder.js'
