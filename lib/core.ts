/**
 * The portable core of secret-channel: what runs anywhere JavaScript runs (browsers, web
 * workers, Deno, Bun, Node). Imports no Node built-in; randomness comes from
 * `globalThis.crypto.getRandomValues`. Bundlers targeting the web get this module for the package
 * root (the `browser` export condition); Node code can import it as `secret-channel/core`.
 * This file only re-exports.
 *
 * @example
 * ```ts
 * import { SecretStream, fromWebSocket, generateKeyPair, parseId, SSB_MAIN_NETWORK_APP_KEY } from 'secret-channel'
 * const channel = new SecretStream(fromWebSocket(new WebSocket('ws://127.0.0.1:8989')), {
 *   isInitiator: true, keyPair: generateKeyPair(), appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: parseId(serverId)
 * })
 * await channel.opened
 * ```
 * @module
 */
export { SecretChannelError, ErrorCodes, isSecretChannelError, type ErrorCode } from './errors.js'
export type { PlatformBytes } from './platform/bytes-type.js'
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
export {
  getCryptoBackend,
  useCryptoBackend,
  createCryptoBackend,
  cryptoReady,
  registerCryptoBackend,
  availableCryptoBackends,
  type CryptoBackend,
  type CryptoBackendName
} from './crypto/index.js'
export { fromWebSocket, WebSocketDuplex, fromWebStreams, WebStreamDuplex, type WebSocketLike, type WebSocketDuplexOptions, type WebStreamPair } from './transports/index.js'
