/**
 * The server side of one incoming connection, shared by `createServer` (TCP) and
 * `createWebSocketServer`: start the handshake on the raw transport and report exactly one outcome.
 *
 * ```
 * raw transport ──> SecretStream (server) ── opened ──> onOpen(stream)
 *                                          └─ failed ──> stream and transport destroyed,
 *                                                        onFail(typed error)
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../errors.js'
import { SecretStream } from '../streams/secret-stream.js'
import type { Authorize } from '../streams/secret-stream.js'
import type { RawStream } from '../streams/raw-adapter.js'
import { streamOptions, type SocketChannelOptions } from './options.js'

function ignore(): void {}

/**
 * Runs the server handshake on `raw`. Errors during the handshake never surface as unhandled
 * `'error'` events (the stream reports them through `opened`); a failure of any kind reaches
 * `onFail` as a `SecretChannelError` (a foreign one becomes `ERR_TRANSPORT` with it as `cause`).
 * @param raw - the accepted transport
 * @param options - the server's channel options (`ownReadBuffers` counts only with `socketBuffers`)
 *   and its `authorize`
 * @param socketBuffers - true for a `net.Socket`: its read buffers are ours to decrypt in place, and
 *   a written buffer is free again once its write callback runs (so wire buffers are recycled)
 * @param onOpen - called with the authenticated stream
 * @param onFail - called with the typed handshake error
 * @example
 * ```ts
 * acceptSecretStream(socket, { keyPair, appKey }, true, (stream) => app(stream), (err) => log(err.code))
 * ```
 */
export function acceptSecretStream(
  raw: RawStream,
  options: SocketChannelOptions & { authorize?: Authorize },
  socketBuffers: boolean,
  onOpen: (stream: SecretStream) => void,
  onFail: (err: SecretChannelError) => void
): void {
  const fail = (err: unknown): void => {
    onFail(isSecretChannelError(err)
      ? err
      : new SecretChannelError(ErrorCodes.TRANSPORT, 'handshake', 'the connection failed during the handshake', { cause: err }))
  }
  // A reset during the handshake must not become an unhandled 'error' on the transport; the
  // secret stream sees the same event and reports it through `opened`.
  raw.on('error', ignore)
  let stream: SecretStream
  try {
    stream = new SecretStream(raw, { ...streamOptions(options, socketBuffers), isInitiator: false, authorize: options.authorize })
  } catch (err) {
    raw.destroy()
    fail(err)
    return
  }
  stream.on('error', ignore)
  stream.opened.then(
    () => {
      stream.off('error', ignore)
      onOpen(stream)
    },
    (err: unknown) => {
      stream.destroy()
      raw.destroy()
      fail(err)
    }
  )
}
