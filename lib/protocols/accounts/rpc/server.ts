/**
 * Serves a request handler over TCP, every connection wrapped in a `SecretStream` (so every call
 * is encrypted and the caller's long-term key is proven before the first byte of a request).
 *
 * Per connection: requests are answered strictly in order, one at a time. A framing error (zero
 * or oversized length) or an undecodable request gets one error response and the connection is
 * closed: after junk the byte stream cannot be trusted to be in step.
 * @module
 */
import net from 'node:net'
import { SecretStream } from '../../../streams/secret-stream.js'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../../errors.js'
import type { KeyPair } from '../../../keys.js'
import { DEFAULT_MAX_MESSAGE_BYTES, MessageDecoder, frameMessage } from './framing.js'
import { decodeRequest, encodeError } from './messages.js'
import type { Request } from './messages.js'
import { ACCOUNTS_APP_KEY } from './app-key.js'
import { trackConnections } from '../close-server.js'

/** Answers one request from the peer whose proven key is `remotePublicKey`, connected from `remoteAddress`. Must not throw. */
export type RpcHandler = (request: Request, remotePublicKey: Uint8Array, remoteAddress: string) => Promise<Uint8Array>

/** Options for {@link createRpcServer}. */
export interface RpcServerOptions {
  /** The server's long-term key pair (clients dial its public key). */
  keyPair: KeyPair
  /** SHS app key; {@link ACCOUNTS_APP_KEY} by default. */
  appKey?: Uint8Array
  /** Largest request body; 16 KiB by default. */
  maxMessageBytes?: number
  /** SHS handshake deadline, ms. */
  handshakeTimeout?: number
  /** Drop a connection after this many ms without traffic (default 60 000; 0 disables). */
  idleTimeout?: number
  /** Told about every connection that fails. */
  onError?: (err: Error) => void
}

/** Most requests one connection may have waiting for an answer. */
const MAX_PENDING_REQUESTS = 32

/** A `net.Server` that serves `handler` over SecretStreams. */
export function createRpcServer(options: RpcServerOptions, handler: RpcHandler): net.Server {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  const idle = options.idleTimeout ?? 60_000
  return trackConnections(net.createServer({ allowHalfOpen: true }, (socket) => {
    const stream = new SecretStream(socket, {
      isInitiator: false, keyPair: options.keyPair, appKey: options.appKey ?? ACCOUNTS_APP_KEY, handshakeTimeout: options.handshakeTimeout
    })
    if (idle > 0) {
      socket.setTimeout(idle, () => stream.destroy(new SecretChannelError(ErrorCodes.IDLE_TIMEOUT, 'accounts rpc', `no request for ${idle} ms`)))
    }
    const address = socket.remoteAddress ?? '-'
    const decoder = new MessageDecoder(max)
    let queue: Promise<void> = Promise.resolve()
    let pending = 0
    let failed = false
    const fail = (err: unknown): void => {
      if (failed) return
      failed = true
      const e = isSecretChannelError(err) ? err : new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts rpc', String(err), { cause: err })
      options.onError?.(e)
      // Tell the peer why once the answers already owed are out, then hang up whatever it does.
      queue = queue.then(() => {
        if (stream.destroying) return
        stream.write(frameMessage(encodeError(e.code, e.message), max))
        stream.end()
        setTimeout(() => { if (!stream.destroying) stream.destroy() }, 1000).unref()
      })
    }
    stream.on('error', (err: Error) => { if (!failed) { failed = true; options.onError?.(err) } })
    stream.on('end', () => { queue = queue.then(() => { if (!stream.destroying && !failed) stream.end() }) })
    stream.on('data', (data: unknown) => {
      if (failed) return
      let bodies: Uint8Array[]
      try {
        bodies = decoder.push(data as Uint8Array)
      } catch (err) {
        return fail(err)
      }
      for (const body of bodies) {
        let request: Request
        try {
          request = decodeRequest(body)
        } catch (err) {
          return fail(err)
        }
        if (++pending > MAX_PENDING_REQUESTS) {
          return fail(new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts rpc', `more than ${MAX_PENDING_REQUESTS} requests waiting on one connection`))
        }
        const remote = stream.remotePublicKey!
        queue = queue.then(async () => {
          let response: Uint8Array
          try {
            response = await handler(request, remote, address)
          } catch (err) {
            return fail(err)
          } finally {
            pending--
          }
          if (!stream.destroying && !failed) stream.write(frameMessage(response, max))
        })
      }
    })
  }))
}
