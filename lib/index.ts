/**
 * secret-channel: Scuttlebutt's secret handshake (SHS1) and box-stream as hardened, composable
 * duplex streams. This file only re-exports.
 * @module
 */

// the portable core (also the package root under the `browser` condition, and `secret-channel/core`)
export * from './core.js'

// transports: TCP / Unix-socket server and client (lib/net)
export { createServer, connect, SecretServer, addSocketShims, type ServerOptions, type ServerStream, type PeerAddress, type ConnectOptions, type ClientStream, type SocketLike, type ChannelOptions, type OpenSecretStream,
  createHttpConnection, peerKeyOf, type HttpCreateConnection } from './net/index.js'

// transports: a WebSocket server (Node, `ws`); the WebSocket and web-stream raw duplexes are in the core
export { createWebSocketServer, SecretWebSocketServer, type WebSocketServerOptions, type WebSocketServerStream } from './transports/websocket-server.js'

// The protocols below are also their own subpaths (secret-channel/accounts, /enrollment, /notice),
// which load only what they need; the root keeps them for compatibility.
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
