/**
 * The SHS1 handshake, sans-I/O: {@link ClientHandshake}, {@link ServerHandshake}, the session keys they
 * produce, and the {@link HandshakeDriver} every stream adapter drives them through.
 * @module
 */
export { ClientHandshake, type ClientHandshakeOptions } from './client.js'
export { ServerHandshake } from './server.js'
export { type HandshakeOptions } from './base.js'
export { type SessionKeys } from './session.js'
export { Phase } from './layout.js'
export { HandshakeDriver, MAX_HANDSHAKE_INPUT, type DriverOutput } from './driver.js'
