/**
 * Portable raw transports for {@link SecretStream}: WebSockets and WHATWG stream pairs. The Node
 * WebSocket server lives in `websocket-server.ts` (it needs `ws` and Node's http).
 * @module
 */
export { fromWebSocket, WebSocketDuplex, type WebSocketLike, type WebSocketDuplexOptions } from './websocket.js'
export { fromWebStreams, WebStreamDuplex, type WebStreamPair } from './web-streams.js'
