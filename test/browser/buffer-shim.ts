/**
 * Supplies `Buffer` to the test page through esbuild's `inject`, only while lib/streams and
 * lib/boxstream still allocate with Node's Buffer (their conversion waits for the streams rebuild).
 * The harness reports whether it was used.
 */
import { Buffer } from 'buffer'
export { Buffer }
