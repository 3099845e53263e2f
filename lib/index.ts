/**
 * secret-channel: Scuttlebutt's secret handshake (SHS1) and box-stream as hardened, composable
 * duplex streams. This file only re-exports.
 * @module
 */

// core
export { SecretChannelError, ErrorCodes, isSecretChannelError, type ErrorCode } from './errors.js'
export {
  generateKeyPair,
  formatId,
  parseId,
  toIdentityFile,
  parseIdentityFile,
  assertKeyPair,
  SSB_MAIN_NETWORK_APP_KEY,
  type KeyPair,
  type IdentityFile
} from './keys.js'
export { SecretStream, DEFAULT_HANDSHAKE_TIMEOUT, type SecretStreamEvents, type SecretStreamOptions, type Authorize, type RawStream } from './streams/secret-stream.js'
export { createDuplexPair, MemoryDuplex } from './streams/memory-pair.js'
export { ClientHandshake, ServerHandshake, type SessionKeys, type HandshakeOptions, type ClientHandshakeOptions } from './handshake/index.js'
export { BoxEncoder, BoxDecoder, MAX_FRAME_BODY } from './boxstream/index.js'
export { getCryptoBackend, useCryptoBackend, createCryptoBackend, type CryptoBackend } from './crypto/index.js'

// transports: TCP / Unix-socket server and client (lib/net)
export { createServer, connect, SecretServer, addSocketShims, type ServerOptions, type ServerStream, type PeerAddress, type ConnectOptions, type ClientStream, type SocketLike, type ChannelOptions } from './net/index.js'

// transports: WebSocket (browser or `ws`) and WHATWG stream pairs as raw duplexes; a WebSocket server (Node, `ws`)
export { fromWebSocket, WebSocketDuplex, fromWebStreams, WebStreamDuplex, type WebSocketLike, type WebSocketDuplexOptions, type WebStreamPair } from './transports/index.js'
export { createWebSocketServer, SecretWebSocketServer, type WebSocketServerOptions, type WebSocketServerStream } from './transports/websocket-server.js'

// accounts (seeds 001 and 003): key server, identity server, flat login protocol
export * as accounts from './protocols/accounts/index.js'
export { FlatStream, IdentityServer, KeyServer } from './protocols/accounts/index.js'

// enrollment (seed 000): see docs/enrollment.md
export {
  enroll, acceptEnrollment, EnrollmentClient, EnrollmentServer, EnrollmentCode, MemoryEnrollmentStore, JsonFileEnrollmentStore,
  enrolledAuthorizer, saveReceivedKey,
  type EnrollOptions, type AcceptEnrollmentOptions, type EnrollmentResult, type EnrolledDevice, type EnrollmentStore, type ReceivedKey
} from './protocols/enrollment/index.js'

// notice key agreement (seed 002)
export {
  NoticePeer,
  NoticeChannel,
  KnownPeers,
  connectNotice,
  framedTransport,
  noticeTransportPair,
  keyFingerprint,
  displayFingerprint,
  DEFAULT_MAX_NOTICE_BYTES,
  type NoticePeerOptions,
  type NoticeEvent,
  type NoticeOutput,
  type NoticeChannelOptions,
  type NoticeSecureInfo,
  type NoticeTransport,
  type KnownPeer
} from './protocols/notice/index.js'

// performance (perf): which crypto backends load here
export { availableCryptoBackends, type CryptoBackendName } from './crypto/index.js'
