/**
 * Dials a secret-channel server over TCP or a Unix socket and resolves once the handshake is done.
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../errors.js'
import { SecretStream } from '../streams/secret-stream.js'
import { abortError } from '../streams/abort.js'
import { checkChannelOptions, streamOptions, type SocketChannelOptions } from './options.js'
import { addSocketShims, type SocketLike } from './socket-shim.js'
import type { OpenSecretStream } from './open-stream.js'

/**
 * Options for {@link connect}: where (`host` + `port`, or `path`), who we are and whom we dial.
 * @example
 * ```ts
 * const options: ConnectOptions = { host: 'example.org', port: 8008, keyPair, appKey, remotePublicKey: serverKey, handshakeTimeout: 5000 }
 * const stream = await connect(options)
 * ```
 */
export interface ConnectOptions extends SocketChannelOptions {
  /** Host name or address; default `localhost`. */
  host?: string
  /** TCP port (required unless `path` is given). */
  port?: number
  /** A Unix domain socket (or Windows named pipe) path instead of host and port. */
  path?: string
  /** The server's 32-byte Ed25519 public key: SHS1 only connects to a peer you name in advance. */
  remotePublicKey: Uint8Array
  /** Aborts the connection attempt (and, after it, the stream); the rejection's `name` is `'AbortError'`. */
  signal?: AbortSignal
}

/**
 * A secret stream made by {@link connect}: a {@link SecretStream} with socket-like extras for http.
 * @example
 * ```ts
 * const stream: ClientStream = await connect({ host, port, keyPair, appKey, remotePublicKey })
 * stream.setKeepAlive(true, 30_000) // socket manners on top of the SecretStream
 * ```
 */
export type ClientStream = OpenSecretStream & SocketLike

/**
 * Opens a TCP connection and runs the client side of the secret handshake over it.
 *
 * @returns a promise of the open stream; it rejects with a `SecretChannelError`: `ERR_TRANSPORT`
 *   (with the socket error as `cause`) when the connection cannot be made or breaks, or the handshake's
 *   own codes (`ERR_WRONG_APP_KEY`, `ERR_SERVER_KEY_MISMATCH`, `ERR_UNAUTHORIZED`, `ERR_HANDSHAKE_TIMEOUT`, …)
 * @example
 * ```ts
 * const stream = await connect({ host: '127.0.0.1', port: 8008, keyPair, appKey, remotePublicKey: serverKey })
 * await pipeline(process.stdin, stream, process.stdout)
 * ```
 */
export function connect(options: ConnectOptions): Promise<ClientStream> {
  return new Promise((resolve, reject) => {
    checkChannelOptions(options, 'connect')
    const { host, port, path, signal } = options
    if (!(options.remotePublicKey instanceof Uint8Array) || options.remotePublicKey.length !== 32) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'connect', 'remotePublicKey must be the 32-byte public key of the server')
    }
    if (path === undefined && !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'connect', 'give a port (0–65535) or a path')
    }
    if (signal?.aborted) throw abortError('connect', signal, 'aborted before connecting')
    const target = path ?? `${host ?? 'localhost'}:${port}`
    const raw: Socket = path !== undefined
      ? netConnect({ path, allowHalfOpen: true })
      : netConnect({ host: host ?? 'localhost', port: port as number, allowHalfOpen: true })

    let settled = false
    let stream: SecretStream | null = null
    const fail = (err: unknown): void => {
      if (settled) return
      settled = true
      cleanup()
      stream?.destroy()
      raw.destroy()
      reject(err)
    }
    // Registered before the secret stream exists so a connection that cannot be made is reported as
    // what it is (ERR_TRANSPORT with the errno), not as whatever the handshake makes of a dead transport.
    const onSocketError = (err: NodeJS.ErrnoException): void => {
      fail(new SecretChannelError(ErrorCodes.TRANSPORT, 'connect', describeSocketError(err, target), { cause: err }))
    }
    const onAbort = (): void => fail(abortError('connect', signal, 'aborted'))
    const cleanup = (): void => {
      raw.off('error', onSocketError)
      signal?.removeEventListener('abort', onAbort)
    }
    raw.on('error', onSocketError)
    // Once connected, a socket error belongs to a handshake phase and the secret stream reports it as such.
    raw.once('connect', () => raw.off('error', onSocketError))
    signal?.addEventListener('abort', onAbort, { once: true })

    try {
      // Our own socket: its reads are fresh buffers nobody else holds (from its first bulk read on,
      // regions of the stream's own slabs: ownReadBuffers), its written buffers ours again.
      stream = new SecretStream(raw, { ...streamOptions(options, true), isInitiator: true, remotePublicKey: options.remotePublicKey, signal })
    } catch (err) {
      fail(err)
      return
    }
    const opened = stream
    opened.on('error', ignore)
    opened.opened.then(
      () => {
        if (settled) return
        settled = true
        cleanup()
        // From here on errors are the caller's to handle (a failed stream keeps its no-op listener:
        // streamx reports the error after `opened` rejects, and nobody else is listening then).
        opened.off('error', ignore)
        resolve(addSocketShims(opened, raw) as ClientStream) // open: remotePublicKey is set
      },
      (err: unknown) => fail(isSecretChannelError(err) ? err : new SecretChannelError(ErrorCodes.TRANSPORT, 'handshake', 'the connection failed during the handshake', { cause: err }))
    )
  })
}

function ignore(): void {}

/** One readable sentence for the common socket errors. */
function describeSocketError(err: NodeJS.ErrnoException, target: string): string {
  switch (err.code) {
    case 'ECONNREFUSED': return `connection refused by ${target} (nothing listening there?)`
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot resolve ${target}`
    case 'ETIMEDOUT': return `connecting to ${target} timed out`
    case 'ECONNRESET': return `${target} reset the connection`
    case 'ENOENT': return `no socket at ${target}`
    default: return `${target}: ${err.message}`
  }
}
