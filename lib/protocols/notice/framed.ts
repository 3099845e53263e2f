/**
 * The framed duplex adapter: carries notices over any byte stream (TCP, a pipe, a Node or streamx
 * duplex) by prefixing each with its length:
 * ```
 *  0          2
 *  ├─ len ────┼──── notice (len bytes, 10..maxNoticeBytes) ────┤   repeated
 *  │ u16 BE   │
 * ```
 * The framing is the shared length-prefixed framer (`lib/framing.ts`) with a u16 prefix. A length
 * outside 10..maxNoticeBytes is a protocol error (garbage on the stream), and so is a stream that
 * ends in the middle of a frame.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { LengthPrefixedDecoder, encodeLengthPrefixed, type FrameFormat } from '../../framing.js'
import { NoticeChannel, type NoticeChannelOptions } from './channel.js'
import { DEFAULT_MAX_NOTICE_BYTES, NOTICE_HEADER_BYTES, NoticePhase } from './layout.js'
import type { NoticeTransport } from './transport.js'

/**
 * The byte stream shape the framed adapter needs: what both Node and streamx duplexes offer.
 * @example
 * ```ts
 * const stream: ByteDuplex = net.connect(7000, '127.0.0.1') // or a streamx Duplex, a serial port stream…
 * const transport = framedTransport(stream)
 * ```
 */
export interface ByteDuplex {
  write(chunk: Uint8Array): unknown
  end(chunk?: unknown): unknown
  destroy(err?: Error): unknown
  // Loosely typed on purpose: Node's and streamx's event signatures differ.
  on(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
}

/**
 * The notice stream's frame format: u16 prefix, 10 (a notice header) to `maxNoticeBytes`.
 * @example
 * ```ts
 * const decoder = new LengthPrefixedDecoder(noticeFrameFormat(200))
 * ```
 */
export function noticeFrameFormat(maxNoticeBytes: number): FrameFormat {
  return { prefixBytes: 2, minBytes: NOTICE_HEADER_BYTES, maxBytes: maxNoticeBytes, phase: NoticePhase.TRANSPORT, noun: 'notice frame (garbage on the stream?)' }
}

/** What we send is framed under the prefix's own limit: the peer applies its own cap. */
const SEND_FORMAT: FrameFormat = { prefixBytes: 2, minBytes: 1, maxBytes: 0xffff, phase: NoticePhase.TRANSPORT, noun: 'notice' }

/**
 * Turns a byte stream into a {@link NoticeTransport}.
 * @param stream - any duplex of bytes
 * @param maxNoticeBytes - the largest notice accepted (default 200)
 * @example
 * ```ts
 * const transport = framedTransport(socket) // length-prefixed notices over any byte stream
 * const channel = new NoticeChannel(transport, { role: 'responder', keyPair, knownPeers: 'peers.json', peerName: 'alice' })
 * ```
 */
export function framedTransport(stream: ByteDuplex, maxNoticeBytes = DEFAULT_MAX_NOTICE_BYTES): NoticeTransport {
  const listeners = new Set<(notice: Uint8Array) => void>()
  const closers = new Set<(err?: Error) => void>()
  const decoder = new LengthPrefixedDecoder(noticeFrameFormat(maxNoticeBytes))
  let done = false
  let ended = false
  let closeError: Error | undefined
  const close = (err?: Error): void => {
    if (done) return
    done = true
    closeError = err
    for (const l of closers) l(err)
  }
  const onData = (chunk: Uint8Array): void => {
    if (done) return
    let notices: Uint8Array[]
    try {
      notices = decoder.push(chunk)
    } catch (err) {
      // Garbage on the stream: a length no notice can have.
      close(err as Error)
      stream.destroy()
      return
    }
    for (const notice of notices) {
      for (const l of listeners) l(notice)
      if (done) return
    }
  }
  const onEnd = (): void => {
    if (decoder.buffered > 0) close(new SecretChannelError(ErrorCodes.TRUNCATED, NoticePhase.TRANSPORT, 'the stream ended in the middle of a notice frame'))
    else close()
  }
  const onClose = (): void => close()
  const onError = (err: Error): void => close(err)
  stream.on('data', onData)
  stream.on('end', onEnd)
  stream.on('close', onClose)
  stream.on('error', onError)
  return {
    send(notice) {
      if (ended) return
      stream.write(encodeLengthPrefixed(notice, SEND_FORMAT))
    },
    onNotice(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onClose(listener) {
      // A listener that arrives after the stream went away still hears about it.
      if (done) queueMicrotask(() => listener(closeError))
      closers.add(listener)
      return () => closers.delete(listener)
    },
    close() {
      done = true
      if (ended) return
      ended = true
      stream.removeListener('data', onData)
      stream.end()
    }
  }
}

/**
 * Runs the notice agreement over a byte stream and returns the plaintext channel.
 * @param stream - any duplex of bytes (a `net.Socket`, a streamx duplex, one end of a pair)
 * @param options - see {@link NoticeChannelOptions}
 * @example
 * ```ts
 * const socket = net.connect(7000, '127.0.0.1')
 * const channel = connectNotice(socket, { role: 'initiator', keyPair, knownPeers: 'peers.json', peerName: 'bob' })
 * channel.on('secure', (info) => console.log('fingerprint', info.fingerprint))
 * ```
 */
export function connectNotice(stream: ByteDuplex, options: NoticeChannelOptions): NoticeChannel {
  return new NoticeChannel(framedTransport(stream, options.maxNoticeBytes), { lingerMs: 0, ...options })
}
