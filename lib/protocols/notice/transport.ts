/**
 * What the notice protocol needs from a message transport, and an in-memory pair of them.
 *
 * Any service that carries small datagrams fits: a chat or push-notification API, a UDP socket,
 * a WebSocket, a queue. Delivery may lose, duplicate or reorder notices; the protocol copes.
 * @module
 */

/**
 * A message transport for notices.
 * @example
 * ```ts
 * const transport: NoticeTransport = {
 *   send: (notice) => queue.publish(notice),
 *   onNotice: (listener) => queue.subscribe(listener)
 * }
 * ```
 */
export interface NoticeTransport {
  /** Sends one notice (at most `maxNoticeBytes`). Must not throw for delivery problems: losing it is fine. */
  send(notice: Uint8Array): void
  /** Registers the listener for received notices; returns a function that unregisters it. */
  onNotice(listener: (notice: Uint8Array) => void): () => void
  /**
   * Optional: registers a listener for the transport going away (with the cause if it failed);
   * returns a function that unregisters it. Message transports without a notion of closing omit it.
   */
  onClose?(listener: (err?: Error) => void): () => void
  /** Optional: closes the transport (called once the session is over, if the channel owns it). */
  close?(): void
}

/**
 * Two linked in-memory transports: what one sends, the other receives, asynchronously (a
 * microtask later), in order. For tests and examples.
 * @example
 * ```ts
 * const [alice, bob] = noticeTransportPair()
 * ```
 */
export function noticeTransportPair(): [NoticeTransport, NoticeTransport] {
  const listeners: [Set<(n: Uint8Array) => void>, Set<(n: Uint8Array) => void>] = [new Set(), new Set()]
  const closers: [Set<(err?: Error) => void>, Set<(err?: Error) => void>] = [new Set(), new Set()]
  // Like a socket: closing stops our sends; what is already on its way still arrives, then the close.
  const closed = [false, false]
  const make = (me: 0 | 1): NoticeTransport => {
    const other = me === 0 ? 1 : 0
    return {
      send(notice) {
        if (closed[me]) return
        const copy = notice.slice()
        queueMicrotask(() => {
          for (const l of listeners[other]) l(copy)
        })
      },
      onNotice(listener) {
        listeners[me].add(listener)
        return () => listeners[me].delete(listener)
      },
      onClose(listener) {
        closers[me].add(listener)
        return () => closers[me].delete(listener)
      },
      close() {
        if (closed[me]) return
        closed[me] = true
        queueMicrotask(() => {
          for (const l of closers[other]) l()
        })
      }
    }
  }
  return [make(0), make(1)]
}
