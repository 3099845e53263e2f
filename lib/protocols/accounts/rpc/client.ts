/**
 * A request/response client over one `SecretStream` to an account server.
 * @module
 */
import net from 'node:net'
import { SecretStream } from '../../../streams/secret-stream.js'
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import type { ErrorCode } from '../../../errors.js'
import type { KeyPair } from '../../../keys.js'
import { generateKeyPair } from '../../../keys.js'
import { DEFAULT_MAX_MESSAGE_BYTES, MessageDecoder, frameMessage } from './framing.js'
import { decodeResponse, encodeRequest } from './messages.js'
import { ACCOUNTS_APP_KEY } from './app-key.js'

/**
 * Where an account server is and who it is.
 * @example
 * ```ts
 * const identity: accounts.Endpoint = { host: 'id.example', port: 9000, publicKey: parseId(identityServerId) }
 * await accounts.register({ identity, userID: 'alice', password })
 * ```
 */
export interface Endpoint {
  /** Host name or address; 127.0.0.1 by default. */
  host?: string
  /** TCP port. */
  port: number
  /** The server's Ed25519 public key (the client refuses anyone else). */
  publicKey: Uint8Array
}

/**
 * Options for {@link RpcClient.connect}.
 * @example
 * ```ts
 * const options: accounts.RpcClientOptions = { keyPair, callTimeout: 10_000 }
 * const rpc = await accounts.RpcClient.connect(endpoint, options)
 * ```
 */
export interface RpcClientOptions {
  /** Our key pair for the channel; a throwaway one by default (a device without an identity yet). */
  keyPair?: KeyPair
  /** SHS app key; {@link ACCOUNTS_APP_KEY} by default. */
  appKey?: Uint8Array
  /** Largest response body; 16 KiB by default. */
  maxMessageBytes?: number
  /** SHS handshake deadline, ms. */
  handshakeTimeout?: number
  /** How long to wait for an answer before giving up on the channel, ms (default 30 000). */
  callTimeout?: number
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes))

/**
 * One open channel; calls are answered in order. Close it with {@link close}.
 * @example
 * ```ts
 * const rpc = await accounts.RpcClient.connect(identity.endpoint, { keyPair })
 * const fields = await rpc.call(opcode, [Buffer.from('alice')])
 * rpc.close()
 * ```
 */
export class RpcClient {
  private readonly stream: SecretStream
  private readonly decoder: MessageDecoder
  private readonly max: number
  private readonly waiting: Array<{ resolve: (fields: Uint8Array[]) => void, reject: (err: Error) => void }> = []
  private failure: Error | null = null
  private readonly callTimeout: number
  private timer: ReturnType<typeof setTimeout> | null = null

  private constructor(stream: SecretStream, max: number, callTimeout: number) {
    this.stream = stream
    this.max = max
    this.callTimeout = callTimeout
    this.decoder = new MessageDecoder(max)
    stream.on('data', (chunk: unknown) => this.receive(chunk as Uint8Array))
    stream.on('error', (err: Error) => this.failAll(err))
    stream.on('close', () => this.failAll(new SecretChannelError(ErrorCodes.TRUNCATED, 'accounts rpc', 'the server closed the channel')))
    // The server said goodbye: whatever is still unanswered never will be. Say goodbye too.
    stream.on('end', () => {
      this.failAll(new SecretChannelError(ErrorCodes.TRUNCATED, 'accounts rpc', 'the server ended the channel'))
      if (!stream.destroying) stream.end()
    })
  }

  /** Dials `endpoint` and completes the secret handshake. */
  static async connect(endpoint: Endpoint, options: RpcClientOptions = {}): Promise<RpcClient> {
    const socket = net.connect({ host: endpoint.host ?? '127.0.0.1', port: endpoint.port, allowHalfOpen: true })
    const stream = new SecretStream(socket, {
      isInitiator: true, keyPair: options.keyPair ?? generateKeyPair(), appKey: options.appKey ?? ACCOUNTS_APP_KEY,
      remotePublicKey: endpoint.publicKey, handshakeTimeout: options.handshakeTimeout
    })
    stream.on('error', () => {})
    await stream.opened
    return new RpcClient(stream, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, options.callTimeout ?? 30_000)
  }

  /**
   * Sends one request and waits for its answer.
   * @returns the response fields
   * @throws SecretChannelError with the server's code when it refused
   */
  call(op: number, fields: Uint8Array[]): Promise<Uint8Array[]> {
    if (this.failure) return Promise.reject(this.failure)
    const body = frameMessage(encodeRequest(op, fields), this.max)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.armTimer()
      this.stream.write(body)
    })
  }

  /** (Re)starts the answer deadline while anything is unanswered. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.waiting.length === 0 || this.callTimeout <= 0) return
    this.timer = setTimeout(() => {
      const err = new SecretChannelError(ErrorCodes.IDLE_TIMEOUT, 'accounts rpc', `no answer within ${this.callTimeout} ms`)
      this.failAll(err)
      this.stream.destroy(err)
    }, this.callTimeout)
    this.timer.unref?.()
  }

  /** Sends raw bytes on the channel (tests: junk and oversized messages). */
  sendRaw(bytes: Uint8Array): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.armTimer()
      this.stream.write(bytes)
    })
  }

  /** Ends the channel (sends the goodbye). */
  close(): void {
    if (!this.stream.destroying) this.stream.end()
  }

  private receive(chunk: Uint8Array): void {
    try {
      for (const body of this.decoder.push(chunk)) {
        const response = decodeResponse(body)
        const waiter = this.waiting.shift()
        if (!waiter) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts rpc', 'an answer nobody asked for')
        this.armTimer()
        if (response.ok) waiter.resolve(response.fields)
        else {
          const code = (KNOWN_CODES.has(response.code) ? response.code : ErrorCodes.PROTOCOL) as ErrorCode
          // The server's message already names its phase.
          waiter.reject(new SecretChannelError(code, 'accounts rpc', response.detail.replace(/[^\x20-\x7e]/g, '?')))
        }
      }
    } catch (err) {
      this.failAll(err as Error)
      this.stream.destroy(err as Error)
    }
  }

  private failAll(err: Error): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.failure ??= err
    for (const w of this.waiting.splice(0)) w.reject(this.failure)
  }
}
