/**
 * Runs enrollment over any duplex byte stream (a `net.Socket`, a streamx `Duplex`, an in-memory
 * pair): frames messages (`framing.ts`), feeds the state machines, owns the deadline and the abort
 * signal, and hangs up exactly once.
 *
 * Failures reject the returned promise with a {@link SecretChannelError}; the stream is then
 * destroyed without an error argument, so a caller without an `'error'` listener never crashes.
 * On success the stream is ended (unless `end: false`) and handed back untouched otherwise.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { EnrollmentClient, type EnrollmentClientOptions, type EnrollmentResult } from './client.js'
import { FrameDecoder, checkMaxFrameBytes, encodeFrame } from './framing.js'
import { assertCanCreate, saveReceivedKey } from './identity.js'
import { generateIssuedKey } from './issue.js'
import { Phase, messageName } from './layout.js'
import { EnrollmentServer, type EnrollmentServerOptions } from './server.js'
import { toEnrolledDevice, type EnrolledDevice, type EnrollmentStore } from './store.js'

/**
 * The part of a duplex stream the adapter uses; `net.Socket` and streamx `Duplex` both fit.
 * @example
 * ```ts
 * const stream: DuplexLike = net.connect(7000, 'enroll.example') // or any streamx Duplex
 * const result = await enroll(stream, { code: '482-913-075' })
 * ```
 */
export interface DuplexLike {
  /** Subscribes to `'data'`, `'end'`, `'close'` and `'error'`. */
  on(event: string, listener: (...args: any[]) => void): unknown
  /** Unsubscribes; the adapter leaves no listener behind except a no-op `'error'` one after it ends the stream. */
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  /** Sends one framed message. */
  write(chunk: Uint8Array, ...rest: any[]): unknown
  /** Ends our direction (after success, or after a farewell). */
  end(...args: any[]): unknown
  /** Tears the transport down (after a failure). */
  destroy(...args: any[]): unknown
}

/**
 * One message seen by the adapter, for logs and the example.
 * @example
 * ```ts
 * const log = (e: EnrollmentLogEvent) => console.error(`${e.direction} ${e.message} (${e.bytes} bytes)`)
 * await enroll(socket, { code, log }) // e.g. "sent CLIENT_HELLO (37 bytes)"
 * ```
 */
export interface EnrollmentLogEvent {
  /** Which way it went. */
  direction: 'sent' | 'received'
  /** The message type, e.g. `"CLIENT_HELLO"`. */
  message: string
  /** Its size in bytes (without the frame's length prefix). */
  bytes: number
}

/**
 * Options of the stream adapters.
 * @example
 * ```ts
 * const options: EnrollmentStreamOptions = { timeout: 10_000, signal: AbortSignal.timeout(60_000), maxFrameBytes: 8192 }
 * await enroll(socket, { code, ...options })
 * ```
 */
export interface EnrollmentStreamOptions {
  /** Deadline for the whole exchange in milliseconds (default 30 000; 0 disables it). */
  timeout?: number
  /** Aborts the exchange (`ERR_ABORTED`). */
  signal?: AbortSignal
  /** Largest message accepted (default 4096 bytes). */
  maxFrameBytes?: number
  /** Called for every message sent or received. */
  log?: (event: EnrollmentLogEvent) => void
  /** End the stream after success (default true). */
  end?: boolean
}

/**
 * Options of {@link enroll}.
 * @example
 * ```ts
 * const options: EnrollOptions = { code: '482-913-075', serverPublicKey, identityPath: 'identity.json' }
 * const result = await enroll(net.connect(7001, 'server.example'), options)
 * ```
 */
export interface EnrollOptions extends EnrollmentClientOptions, EnrollmentStreamOptions {
  /** Where to save the received key (mode 0600); not saved when left out. */
  identityPath?: string
  /** Replace an existing file at `identityPath`. */
  overwrite?: boolean
}

/**
 * Options of {@link acceptEnrollment}.
 * @example
 * ```ts
 * const options: AcceptEnrollmentOptions = { keyPair: serverKeys, code: EnrollmentCode.generate(), store }
 * net.createServer((socket) => acceptEnrollment(socket, options).catch(console.error)).listen(7001)
 * ```
 */
export interface AcceptEnrollmentOptions extends EnrollmentServerOptions, EnrollmentStreamOptions {
  /** Where enrolled devices are recorded. */
  store: EnrollmentStore
}

/**
 * Enrolls this device over `stream`: runs the exchange, checks the issued key and, with
 * `identityPath`, saves it.
 *
 * @example
 * ```ts
 * const socket = net.connect(7000, 'enroll.example')
 * const { key, serverPublicKey } = await enroll(socket, { code: '482-913-075', identityPath: 'device.json' })
 * ```
 * @throws SecretChannelError see {@link EnrollmentClient.receive}, plus `ERR_TRUNCATED`,
 *   `ERR_TRANSPORT`, `ERR_HANDSHAKE_TIMEOUT`, `ERR_ABORTED`
 */
export async function enroll(stream: DuplexLike, options: EnrollOptions = {}): Promise<EnrollmentResult> {
  // Refuse before spending a one-time code on a key we could not save.
  if (options.identityPath !== undefined && !options.overwrite) {
    try {
      await assertCanCreate(options.identityPath)
    } catch (err) {
      stream.destroy()
      throw err
    }
  }
  const client = new EnrollmentClient(options)
  const result = await drive<EnrollmentResult>(stream, options, {
    begin: () => client.start().send,
    handle: async (message) => {
      const step = client.receive(message)
      const enrolled = step.events.find((e) => e.type === 'enrolled')
      return { send: step.send, done: enrolled?.result }
    },
    farewell: () => client.farewell,
    destroy: () => client.destroy()
  })
  if (options.identityPath !== undefined) await saveReceivedKey(options.identityPath, result.key, { overwrite: options.overwrite })
  return result
}

/**
 * Serves one enrollment over `stream`: on success the device is recorded in `store` and then
 * receives its key.
 *
 * @example
 * ```ts
 * const code = EnrollmentCode.generate()
 * net.createServer((socket) => {
 *   acceptEnrollment(socket, { keyPair, code, store }).then((device) => console.log('enrolled', device.id), console.error)
 * }).listen(7000)
 * ```
 * @throws SecretChannelError see {@link EnrollmentServer.receive}, plus `ERR_TRUNCATED`,
 *   `ERR_TRANSPORT`, `ERR_HANDSHAKE_TIMEOUT`, `ERR_ABORTED`, and the store's errors
 */
export async function acceptEnrollment(stream: DuplexLike, options: AcceptEnrollmentOptions): Promise<EnrolledDevice> {
  if (!options?.store) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'a store is required')
  const server = new EnrollmentServer(options)
  return drive<EnrolledDevice>(stream, options, {
    begin: () => [],
    handle: async (message) => {
      let step = server.receive(message)
      for (const event of step.events) {
        // Off the event loop for RSA: other connections keep being served meanwhile.
        if (event.type === 'key-needed') step = server.issue(await generateIssuedKey(event.keyType, event.rsa))
      }
      const issued = step.events.find((e) => e.type === 'issued')
      if (!issued) return { send: step.send, done: undefined }
      // Record first: a device must never hold a key its server does not know.
      const device = toEnrolledDevice(issued.device)
      await options.store.add(device)
      return { send: step.send, done: device }
    },
    farewell: () => server.farewell,
    destroy: () => server.destroy()
  })
}

interface Driver<T> {
  begin(): Uint8Array[]
  handle(message: Uint8Array): Promise<{ send: Uint8Array[], done: T | undefined }>
  farewell(): Uint8Array | null
  destroy(): void
}

/** How long a farewell (ABORT) may take to flush before the stream is destroyed anyway. */
const FAREWELL_GRACE_MS = 1000

function drive<T>(stream: DuplexLike, options: EnrollmentStreamOptions, driver: Driver<T>): Promise<T> {
  const maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes)
  const timeout = options.timeout ?? 30_000
  if (!Number.isFinite(timeout) || timeout < 0) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ENROLLMENT, 'timeout must be a non-negative number of milliseconds')
  const decoder = new FrameDecoder(maxFrameBytes)
  const log = options.log

  return new Promise<T>((resolve, reject) => {
    let settled = false
    let chain: Promise<void> = Promise.resolve()
    let timer: NodeJS.Timeout | null = null

    const send = (messages: Uint8Array[]): void => {
      for (const m of messages) {
        log?.({ direction: 'sent', message: messageName(m[0]!), bytes: m.length })
        stream.write(encodeFrame(m, maxFrameBytes))
      }
    }

    const cleanup = (): void => {
      settled = true
      if (timer) clearTimeout(timer)
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('close', onEnd)
      stream.removeListener('error', onError)
      options.signal?.removeEventListener('abort', onAbort)
      decoder.clear()
    }

    const fail = (err: unknown): void => {
      if (settled) return
      cleanup()
      driver.destroy()
      const error = err instanceof SecretChannelError
        ? err
        : new SecretChannelError(ErrorCodes.PROTOCOL, Phase.ENROLLMENT, 'unexpected failure', { cause: err })
      const farewell = driver.farewell()
      // Swallow late transport errors: the caller hears about this failure through the promise only.
      stream.on('error', () => undefined)
      if (farewell) {
        log?.({ direction: 'sent', message: messageName(farewell[0]!), bytes: farewell.length })
        try {
          stream.end(encodeFrame(farewell, maxFrameBytes))
        } catch {
          // the stream is already gone; nothing to tell the peer
        }
        setTimeout(() => stream.destroy(), FAREWELL_GRACE_MS).unref()
      } else {
        stream.destroy()
      }
      reject(error)
    }

    const succeed = (value: T): void => {
      if (settled) return
      cleanup()
      if (options.end !== false) {
        // The peer may already be gone (our last write then fails later): never let that crash the process.
        stream.on('error', () => undefined)
        stream.end()
      }
      resolve(value)
    }

    const onMessage = async (message: Uint8Array): Promise<void> => {
      if (settled) return
      log?.({ direction: 'received', message: messageName(message[0]!), bytes: message.length })
      const step = await driver.handle(message)
      if (settled) return
      send(step.send)
      if (step.done !== undefined) succeed(step.done)
    }

    function onData(chunk: Uint8Array | string): void {
      if (settled) return
      let messages: Uint8Array[]
      try {
        messages = decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      } catch (err) {
        fail(err)
        return
      }
      for (const message of messages) chain = chain.then(() => onMessage(message)).catch(fail)
    }
    function onEnd(): void {
      // Let messages already received be handled first.
      chain = chain.then(() => fail(new SecretChannelError(ErrorCodes.TRUNCATED, Phase.ENROLLMENT, 'the peer hung up before enrollment finished')))
    }
    function onError(err: Error): void {
      fail(new SecretChannelError(ErrorCodes.TRANSPORT, Phase.ENROLLMENT, 'the transport failed', { cause: err }))
    }
    function onAbort(): void {
      fail(new SecretChannelError(ErrorCodes.ABORTED, Phase.ENROLLMENT, 'aborted', { cause: options.signal?.reason }))
    }

    if (options.signal?.aborted) {
      driver.destroy()
      stream.destroy()
      reject(new SecretChannelError(ErrorCodes.ABORTED, Phase.ENROLLMENT, 'aborted before it started', { cause: options.signal.reason }))
      return
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('close', onEnd)
    stream.on('error', onError)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    if (timeout > 0) {
      timer = setTimeout(() => fail(new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, Phase.ENROLLMENT, `not finished within ${timeout} ms`)), timeout)
    }
    try {
      send(driver.begin())
    } catch (err) {
      fail(err)
    }
  })
}
