/**
 * The SHS1 handshake, sans-I/O: {@link ClientHandshake}, {@link ServerHandshake}, the session keys they
 * produce, and the {@link HandshakeDriver} every stream adapter drives them through.
 * @module
 */
export { ClientHandshake, type ClientHandshakeOptions } from './client.js'
export { ServerHandshake, type ServerAccept } from './server.js'
export { type HandshakeOptions } from './base.js'
export { type SessionKeys } from './session.js'
export { CLIENT_HELLO_BYTES, SERVER_HELLO_BYTES, CLIENT_AUTH_BYTES, SERVER_ACCEPT_BYTES, Phase } from './layout.js'
export { HandshakeDriver, MAX_HANDSHAKE_INPUT, type HandshakeDriverOptions, type DriverOutput, type DriverState, type HangUp } from './driver.js'
