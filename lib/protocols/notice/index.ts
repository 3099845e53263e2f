/**
 * The notice key agreement (seed 002): three phases over small notices, then box-stream.
 * @module
 */
export { NoticePeer } from './peer.js'
export type { NoticePeerOptions, NoticeEvent, NoticeOutput, NoticeRole, NoticeStage } from './peer.js'
export { KnownPeers } from './known-peers.js'
export type { KnownPeer } from './known-peers.js'
export { keyFingerprint, displayFingerprint, FINGERPRINT_BYTES } from './fingerprint.js'
export { DEFAULT_MAX_NOTICE_BYTES, MIN_MAX_NOTICE_BYTES, NOTICE_HEADER_BYTES, MessageType, AbortReason } from './layout.js'
export { NoticeChannel } from './channel.js'
export type { NoticeChannelOptions, NoticeChannelEvents, NoticeSecureInfo } from './channel.js'
export { noticeTransportPair } from './transport.js'
export type { NoticeTransport } from './transport.js'
export { framedTransport, connectNotice } from './framed.js'
export type { ByteDuplex } from './framed.js'
