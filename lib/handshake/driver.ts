/**
 * The one SHS1 handshake driver every adapter uses (streamx `SecretStream`, the pull client and
 * server): bytes in, decisions out. Sans-I/O: no stream, no timer, no global.
 *
 * It knows the message sizes and their order, so an adapter never sequences SHS1 by role:
 * ```
 * adapter                         driver                              machines
 * start()                ──▶  client: msg1 to send
 * feed(chunk)            ──▶  buffers, cuts exact messages  ──▶  receiveHello / receiveAuth / receiveAccept
 *                        ◀──  { send, authorize?, ready?, rest, error? }
 * decide(verdict)        ──▶  server: msg4 + ready, or the refusal
 * hangUp(event)          ──▶  THE decision of what a transport end / failure means right now
 * ```
 * After `ready`, the bytes that came after the last handshake message are handed over in `rest`
 * (they are box-stream's) and the driver is spent.
 *
 * The machines yield their public-key operations as data (`requests.ts`). With a synchronous
 * backend the driver answers each one inline, on the same call stack. With a backend that has an
 * asynchronous curve (WebCrypto) it asks an {@link AsyncCurveSession} and the call returns at the
 * first unanswered request with `pending`, a promise of the output of the rest of the step:
 * ```
 * feed(msg2) ──▶ { send: [], pending } ····(X25519, sign in WebCrypto)····▶ { send: [msg3] }
 *                                              feed() meanwhile: bytes kept, nothing stepped
 *                                              destroy() meanwhile: wiped, the late answer dropped
 *                                              hangUp(end) meanwhile: decided once the step is done
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import type { KeyPair } from '../keys.js'
import type { AsyncCurveSession, CryptoBackend } from '../crypto/backend.js'
import { getCryptoBackend } from '../crypto/index.js'
import { ClientHandshake } from './client.js'
import { ServerHandshake } from './server.js'
import { Phase } from './layout.js'
import type { SessionKeys } from './session.js'
import { askSession, type CurveAnswer, type CurveRequest, type CurveSteps } from './requests.js'

/** Most bytes that may wait unused while the handshake is not over (the largest message is 112 bytes). */
export const MAX_HANDSHAKE_INPUT = 64 * 1024

/** Options of a {@link HandshakeDriver}. */
export interface HandshakeDriverOptions {
  /** True on the dialing side (the SHS1 client). */
  isInitiator: boolean
  /** 32-byte app key. */
  appKey: Uint8Array
  /** Our long-term key pair. */
  keyPair: KeyPair
  /** Client only: the server's long-term public key. */
  remotePublicKey?: Uint8Array
  /** The crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
  /** Test vectors only: a fixed ephemeral X25519 secret. */
  ephemeralSecretKey?: Uint8Array
}

/** What the adapter must do after a call: send, ask, finish, or fail (in that order). */
export interface DriverOutput {
  /** Messages to write to the transport, in order. */
  send: Uint8Array[]
  /** Server: the client proved this long-term key; ask the application, then call {@link HandshakeDriver.decide}. */
  authorize: Uint8Array | null
  /** The handshake is done: session keys for box-stream. */
  ready: SessionKeys | null
  /** With `ready`: bytes received after the last handshake message, in order (box-stream's). */
  rest: Uint8Array[]
  /** The handshake failed: send nothing more, tear down with this error. */
  error: SecretChannelError | null
  /**
   * With `ready`: the transport ended while the last step waited for an asynchronous answer; the
   * adapter delivers that end to box-stream after `rest`.
   */
  ended: boolean
  /**
   * The step waits for an asynchronous public-key operation (a WebCrypto backend): the output of
   * the rest of it, to apply when it settles (it may itself be pending again). Never rejects.
   * Meanwhile `feed()` keeps bytes without stepping; after `destroy()` it resolves to nothing.
   */
  pending?: Promise<DriverOutput>
}

/** How the transport went away. */
export type HangUp = { kind: 'end' } | { kind: 'error', cause: unknown }

/** Where the driver is; `'authorize'` is the server's wait for the application's verdict. */
export type DriverState = 'hello' | 'await-hello' | 'await-auth' | 'authorize' | 'await-accept' | 'ready' | 'failed'

const output = (): DriverOutput => ({ send: [], authorize: null, ready: null, rest: [], error: null, ended: false })

/** What a driver step produced once all its requests are answered. */
interface StepResult {
  /** A message to send. */
  send?: Uint8Array
  /** Server: the proven client key to ask the application about. */
  authorize?: Uint8Array
  /** The handshake is done. */
  session?: SessionKeys
}

/** Where a step that starts in a state leads when it succeeds, per role. */
const CLIENT_NEXT: Partial<Record<DriverState, DriverState>> = { hello: 'await-hello', 'await-hello': 'await-accept', 'await-accept': 'ready' }
const SERVER_NEXT: Partial<Record<DriverState, DriverState>> = { 'await-hello': 'await-auth', 'await-auth': 'authorize', authorize: 'ready' }

/** How a suspended step resumes: with the answer, or with the failure to throw into it. */
type Resumption = { value: CurveAnswer } | { error: unknown }

/**
 * One side of an SHS1 handshake, driven by transport bytes.
 *
 * @example
 * ```ts
 * const driver = new HandshakeDriver({ isInitiator: true, appKey, keyPair, remotePublicKey: serverKey })
 * apply(driver.start())
 * socket.on('data', (chunk) => apply(driver.feed(chunk)))
 * socket.on('end', () => fail(driver.hangUp({ kind: 'end' })))
 * ```
 */
export class HandshakeDriver {
  /** True on the client. */
  readonly isInitiator: boolean
  private machine: ClientHandshake | ServerHandshake | null
  private readonly chunks: Uint8Array[] = []
  private queued = 0
  private current: DriverState
  /** The asynchronous answerer, when the backend has one; null: the machine answers inline. */
  private curve: AsyncCurveSession | null
  /** A step waits for {@link curve}. */
  private waiting = false
  /** The transport ended while a step waited; decided when it is done. */
  private endedWhileWaiting = false

  /**
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for malformed keys (from the machines)
   */
  constructor(options: HandshakeDriverOptions) {
    this.isInitiator = options.isInitiator
    const crypto = options.crypto ?? getCryptoBackend()
    const common = { appKey: options.appKey, keyPair: options.keyPair, crypto, ephemeralSecretKey: options.ephemeralSecretKey }
    if (options.isInitiator) {
      if (!(options.remotePublicKey instanceof Uint8Array)) {
        throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.HANDSHAKE, 'the initiator must give remotePublicKey (the server key it dials)')
      }
      this.machine = new ClientHandshake({ ...common, serverPublicKey: options.remotePublicKey })
      this.current = 'hello'
    } else {
      this.machine = new ServerHandshake(common)
      this.current = 'await-hello'
    }
    // After the machine checked the options: the session starts its key generation at once.
    this.curve = crypto.asyncCurve ? crypto.asyncCurve.session(options.keyPair, options.ephemeralSecretKey) : null
  }

  /** Where the handshake is. */
  get state(): DriverState {
    return this.current
  }

  /** True once the handshake succeeded or failed. */
  get settled(): boolean {
    return this.current === 'ready' || this.current === 'failed'
  }

  /** True while a step waits for an asynchronous public-key operation (see `DriverOutput.pending`). */
  get busy(): boolean {
    return this.waiting
  }

  /** The phase name for error messages: the message we wait for (or work on) now. */
  get phase(): string {
    return this.phaseOf(this.current)
  }

  private phaseOf(state: DriverState): string {
    switch (state) {
      case 'hello': return Phase.CLIENT_HELLO
      case 'await-hello': return this.isInitiator ? Phase.SERVER_HELLO : Phase.CLIENT_HELLO
      case 'await-auth': case 'authorize': return Phase.CLIENT_AUTH
      case 'await-accept': return Phase.SERVER_ACCEPT
      default: return Phase.HANDSHAKE
    }
  }

  /** Client: the hello to send first. Server: nothing (it speaks second). Call once. */
  start(): DriverOutput {
    const out = output()
    if (this.machine instanceof ClientHandshake && this.current === 'hello' && !this.waiting) this.run(out, this.clientHello(this.machine))
    return out
  }

  /**
   * Transport bytes in (kept by reference until used; a view into a transport chunk is fine as
   * long as the transport does not reuse it before the next call).
   */
  feed(bytes: Uint8Array): DriverOutput {
    const out = output()
    if (this.settled) return out
    if (bytes.length > 0) {
      this.chunks.push(bytes)
      this.queued += bytes.length
    }
    return this.checkFlood(this.advance(out))
  }

  /**
   * Bytes left over once the handshake is done are the session's first data, however many a
   * transport delivers in one chunk; only bytes piling up while it still waits for a message are a
   * flood. While a step waits for an asynchronous answer they may be the session's (a peer that
   * sends data right behind its last message): checked once the step is done.
   */
  private checkFlood(out: DriverOutput): DriverOutput {
    if (!this.settled && !this.waiting && this.queued > MAX_HANDSHAKE_INPUT) {
      return this.failWith(out, new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, 'the peer sent more data than the handshake allows'))
    }
    return out
  }

  /**
   * Server: the application's verdict on the client `authorize` named. A truthy verdict accepts
   * (msg4 goes out and the session is ready); a falsy one or a `cause` refuses, and we hang up
   * without proving who we are.
   */
  decide(accept: boolean, cause?: unknown): DriverOutput {
    const out = output()
    const hs = this.machine
    if (this.current !== 'authorize' || !(hs instanceof ServerHandshake) || this.waiting) return out
    if (!accept) {
      hs.reject()
      this.machine = null
      this.current = 'failed'
      this.drop()
      out.error = new SecretChannelError(ErrorCodes.UNAUTHORIZED, Phase.CLIENT_AUTH, cause === undefined
        ? 'authorize refused the client, so we hung up'
        : 'authorize failed, so the client was refused', cause === undefined ? undefined : { cause })
      return out
    }
    this.run(out, this.serverAccept(hs))
    return out
  }

  /**
   * THE one decision of what a hang-up means at each phase, for every adapter:
   * ```
   * event \ waiting for     server hello        acceptance         client hello / auth     authorize
   * end or error, 0 bytes   ERR_WRONG_APP_KEY   ERR_UNAUTHORIZED   (below)                 (below)
   * end, part of it         ERR_TRUNCATED       ERR_TRUNCATED      ERR_TRUNCATED           null (ours to decide)
   * error, otherwise        ERR_TRANSPORT       ERR_TRANSPORT      ERR_TRANSPORT           ERR_TRANSPORT
   * ```
   * A refusing server may reset the connection rather than close it, so on the client a transport
   * error at a message boundary is a hang-up too (the transport's error is kept as `cause`).
   * A server hangs up on a hello from another network and, after the client authenticated, on a
   * client it refuses or that dialed a key it does not hold; SHS1 makes the last two
   * indistinguishable, so the client names the likely cause. Returns `null` when the event does
   * not end the handshake (a client half-closing while the server's application decides), and
   * otherwise fails the driver.
   *
   * While a step waits for an asynchronous answer the decision is the one a synchronous backend
   * makes, for which the step would be done by then: an end is decided once it is (it may have
   * been the session's first data that completes it), an error at once, as after the step.
   */
  hangUp(event: HangUp): SecretChannelError | null {
    if (this.settled) return null
    if (this.waiting && event.kind === 'end') {
      this.endedWhileWaiting = true
      return null
    }
    const state = this.waiting ? this.nextState() : this.current
    const phase = this.phaseOf(state)
    const partial = this.queued
    const cause = event.kind === 'error' ? { cause: event.cause } : undefined
    let err: SecretChannelError
    if (partial === 0 && state === 'await-hello' && this.isInitiator) {
      err = new SecretChannelError(ErrorCodes.WRONG_APP_KEY, phase, 'the server hung up on our hello: it is probably on another network (a different app key), or does not speak SHS1', cause)
    } else if (partial === 0 && state === 'await-accept') {
      err = new SecretChannelError(ErrorCodes.UNAUTHORIZED, phase, 'the server hung up after we authenticated: it refused us, or we dialed a key it does not hold (wrong number; SHS1 does not say which)', cause)
    } else if (event.kind === 'error') {
      const failure = event.cause as { message?: string } | undefined
      err = new SecretChannelError(ErrorCodes.TRANSPORT, phase, `the transport failed: ${failure?.message ?? String(failure)}`, cause)
    } else if (state === 'authorize') {
      return null
    } else {
      err = new SecretChannelError(ErrorCodes.TRUNCATED, phase, partial > 0 ? `the peer hung up after ${partial} bytes of the message` : 'the peer hung up before sending it')
    }
    this.fail()
    return err
  }

  /**
   * Abandons the handshake (deadline, abort, owner's destroy): wipes every secret; later calls do
   * nothing. Safe to call at any time, twice.
   */
  destroy(): void {
    if (!this.settled) this.fail()
  }

  /** Where the step that starts (or waits) in the current state leads when it succeeds. */
  private nextState(): DriverState {
    return (this.isInitiator ? CLIENT_NEXT : SERVER_NEXT)[this.current] ?? this.current
  }

  private fail(): void {
    this.machine?.destroy()
    this.machine = null
    this.curve?.destroy()
    this.curve = null
    this.current = 'failed'
    this.drop()
  }

  private drop(): void {
    this.chunks.length = 0
    this.queued = 0
  }

  private failWith(out: DriverOutput, err: SecretChannelError): DriverOutput {
    this.fail()
    out.send.length = 0
    out.error = err
    return out
  }

  /**
   * Runs a step until it is done, answering its requests inline, or until the first request the
   * asynchronous session must answer (then `out.pending`). Any throw fails the handshake with a
   * typed error.
   */
  private run(out: DriverOutput, steps: CurveSteps<StepResult>, resumption?: Resumption): void {
    const hs = this.machine
    if (!hs) return
    let next: IteratorResult<CurveRequest, StepResult>
    try {
      next = resumption === undefined ? steps.next() : 'error' in resumption ? steps.throw(resumption.error) : steps.next(resumption.value)
      while (!next.done) {
        if (this.curve) return this.suspend(out, steps, next.value)
        next = steps.next(hs.answer(next.value))
      }
    } catch (err) {
      const typed = err instanceof SecretChannelError
        ? err
        : new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, 'the handshake step failed', { cause: err })
      this.failWith(out, typed)
      return
    }
    const result = next.value
    if (result.send) out.send.push(result.send)
    if (result.authorize) out.authorize = result.authorize
    this.current = this.nextState()
    if (result.session) this.ready(out, result.session)
  }

  /** Hands `request` to the asynchronous session; the step goes on in `out.pending`. */
  private suspend(out: DriverOutput, steps: CurveSteps<StepResult>, request: CurveRequest): void {
    this.waiting = true
    let answer: Promise<CurveAnswer>
    try {
      answer = askSession(this.curve!, request)
    } catch (err) {
      answer = Promise.reject(err)
    }
    out.pending = answer.then((value) => this.resume(steps, { value }), (error: unknown) => this.resume(steps, { error }))
  }

  /** The rest of a suspended step, then of whatever waited for it (buffered bytes, an end). */
  private resume(steps: CurveSteps<StepResult>, resumption: Resumption): DriverOutput {
    const out = output()
    this.waiting = false
    // Destroyed (or failed) while we waited: the late answer is dropped.
    if (this.settled || !this.machine) return out
    this.run(out, steps, resumption)
    this.checkFlood(this.advance(out))
    if (this.endedWhileWaiting && !this.waiting) {
      if (this.current === 'ready') {
        out.ended = true
      } else if (!this.settled) {
        const err = this.hangUp({ kind: 'end' })
        if (err) out.error ??= err
      }
    }
    return out
  }

  /** Cuts as many whole messages as the buffer holds and runs them through the machine. */
  private advance(out: DriverOutput): DriverOutput {
    while (!this.settled && !this.waiting && this.current !== 'authorize' && out.error === null) {
      const hs = this.machine!
      const message = this.take(hs.expectedLength)
      if (!message) break
      if (hs instanceof ClientHandshake) {
        this.run(out, this.current === 'await-hello' ? this.clientAuth(hs, message) : this.clientReady(hs, message))
      } else {
        this.run(out, this.current === 'await-hello' ? this.serverHello(hs, message) : this.serverAuthorize(hs, message))
      }
    }
    return out
  }

  /** Client, at the start: msg1. */
  private * clientHello(hs: ClientHandshake): CurveSteps<StepResult> {
    return { send: yield * hs.createHelloSteps() }
  }

  /** Client, on msg2: msg3. */
  private * clientAuth(hs: ClientHandshake, message: Uint8Array): CurveSteps<StepResult> {
    yield * hs.receiveHelloSteps(message)
    return { send: yield * hs.createAuthSteps() }
  }

  /** Client, on msg4: the session. */
  private * clientReady(hs: ClientHandshake, message: Uint8Array): CurveSteps<StepResult> {
    return { session: yield * hs.receiveAcceptSteps(message) }
  }

  /** Server, on msg1: msg2. */
  private * serverHello(hs: ServerHandshake, message: Uint8Array): CurveSteps<StepResult> {
    yield * hs.receiveHelloSteps(message)
    return { send: yield * hs.createHelloSteps() }
  }

  /** Server, on msg3: the proven client key, for the application to decide on. */
  private * serverAuthorize(hs: ServerHandshake, message: Uint8Array): CurveSteps<StepResult> {
    return { authorize: yield * hs.receiveAuthSteps(message) }
  }

  /** Server, once the application accepted: msg4 and the session. */
  private * serverAccept(hs: ServerHandshake): CurveSteps<StepResult> {
    const { message, session } = yield * hs.createAcceptSteps()
    return { send: message, session }
  }

  private ready(out: DriverOutput, session: SessionKeys): void {
    out.ready = session
    out.rest = this.chunks.splice(0)
    this.queued = 0
    this.machine = null
    this.curve?.destroy()
    this.curve = null
    this.current = 'ready'
  }

  /** Exactly `n` bytes from the front (a view when one chunk holds them), or null. */
  private take(n: number): Uint8Array | null {
    if (n <= 0 || this.queued < n) return null
    const first = this.chunks[0]!
    let message: Uint8Array
    if (first.length >= n) {
      message = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      message = new Uint8Array(n)
      let at = 0
      while (at < n) {
        const head = this.chunks[0]!
        const use = Math.min(head.length, n - at)
        message.set(head.subarray(0, use), at)
        at += use
        if (use === head.length) this.chunks.shift()
        else this.chunks[0] = head.subarray(use)
      }
    }
    this.queued -= n
    return message
  }
}
