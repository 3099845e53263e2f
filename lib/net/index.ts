/**
 * Secret channels over TCP and Unix sockets: {@link createServer} and {@link connect}.
 * @module
 */
export { createServer, SecretServer, type ServerOptions, type ServerStream, type PeerAddress } from './server.js'
export { connect, type ConnectOptions, type ClientStream } from './connect.js'
export { addSocketShims, type SocketLike } from './socket-shim.js'
export { type ChannelOptions } from './options.js'
export { type OpenSecretStream } from './open-stream.js'
export { createHttpConnection, peerKeyOf, type HttpCreateConnection } from './http.js'
