/**
 * Box-stream, sans-I/O: {@link BoxEncoder} and {@link BoxDecoder}.
 * @module
 */
export { BoxEncoder } from './encoder.js'
export { BoxDecoder } from './decoder.js'
export { MAX_FRAME_BODY, incrementNonce } from './layout.js'
