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
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../errors.js'
import type { KeyPair } from '../keys.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { ClientHandshake } from './client.js'
import { ServerHandshake } from './server.js'
import { Phase } from './layout.js'
import type { SessionKeys } from './session.js'

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
}

/** How the transport went away. */
export type HangUp = { kind: 'end' } | { kind: 'error', cause: unknown }

/** Where the driver is; `'authorize'` is the server's wait for the application's verdict. */
export type DriverState = 'hello' | 'await-hello' | 'await-auth' | 'authorize' | 'await-accept' | 'ready' | 'failed'

const output = (): DriverOutput => ({ send: [], authorize: null, ready: null, rest: [], error: null })

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

  /**
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for malformed keys (from the machines)
   */
  constructor(options: HandshakeDriverOptions) {
    this.isInitiator = options.isInitiator
    const common = { appKey: options.appKey, keyPair: options.keyPair, crypto: options.crypto, ephemeralSecretKey: options.ephemeralSecretKey }
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
  }

  /** Where the handshake is. */
  get state(): DriverState {
    return this.current
  }

  /** True once the handshake succeeded or failed. */
  get settled(): boolean {
    return this.current === 'ready' || this.current === 'failed'
  }

  /** The phase name for error messages: the message we wait for (or work on) now. */
  get phase(): string {
    switch (this.current) {
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
    if (this.machine instanceof ClientHandshake && this.current === 'hello') {
      return this.step(out, (hs) => {
        out.send.push((hs as ClientHandshake).createHello())
        this.current = 'await-hello'
      })
    }
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
    this.advance(out)
    // Bytes left over once the handshake is done are the session's first data, however many a
    // transport delivers in one chunk; only bytes piling up while it still waits are a flood.
    if (!this.settled && this.queued > MAX_HANDSHAKE_INPUT) {
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
    if (this.current !== 'authorize' || !(hs instanceof ServerHandshake)) return out
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
    return this.step(out, () => {
      const { message, session } = hs.createAccept()
      out.send.push(message)
      this.ready(out, session)
    })
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
   */
  hangUp(event: HangUp): SecretChannelError | null {
    if (this.settled) return null
    const phase = this.phase
    const partial = this.queued
    const cause = event.kind === 'error' ? { cause: event.cause } : undefined
    let err: SecretChannelError
    if (partial === 0 && this.current === 'await-hello' && this.isInitiator) {
      err = new SecretChannelError(ErrorCodes.WRONG_APP_KEY, phase, 'the server hung up on our hello: it is probably on another network (a different app key), or does not speak SHS1', cause)
    } else if (partial === 0 && this.current === 'await-accept') {
      err = new SecretChannelError(ErrorCodes.UNAUTHORIZED, phase, 'the server hung up after we authenticated: it refused us, or we dialed a key it does not hold (wrong number; SHS1 does not say which)', cause)
    } else if (event.kind === 'error') {
      const failure = event.cause as { message?: string } | undefined
      err = new SecretChannelError(ErrorCodes.TRANSPORT, phase, `the transport failed: ${failure?.message ?? String(failure)}`, cause)
    } else if (this.current === 'authorize') {
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

  private fail(): void {
    this.machine?.destroy()
    this.machine = null
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

  /** Runs machine steps; any throw fails the handshake with a typed error. */
  private step(out: DriverOutput, fn: (hs: ClientHandshake | ServerHandshake) => void): DriverOutput {
    const hs = this.machine
    if (!hs) return out
    try {
      fn(hs)
    } catch (err) {
      const typed = err instanceof SecretChannelError
        ? err
        : new SecretChannelError(ErrorCodes.PROTOCOL, this.phase, 'the handshake step failed', { cause: err })
      return this.failWith(out, typed)
    }
    return out
  }

  /** Cuts as many whole messages as the buffer holds and runs them through the machine. */
  private advance(out: DriverOutput): DriverOutput {
    while (!this.settled && this.current !== 'authorize' && out.error === null) {
      const hs = this.machine!
      const message = this.take(hs.expectedLength)
      if (!message) break
      this.step(out, () => {
        if (hs instanceof ClientHandshake) {
          if (this.current === 'await-hello') {
            hs.receiveHello(message)
            out.send.push(hs.createAuth())
            this.current = 'await-accept'
          } else {
            this.ready(out, hs.receiveAccept(message))
          }
        } else if (this.current === 'await-hello') {
          hs.receiveHello(message)
          out.send.push(hs.createHello())
          this.current = 'await-auth'
        } else {
          out.authorize = hs.receiveAuth(message)
          this.current = 'authorize'
        }
      })
    }
    return out
  }

  private ready(out: DriverOutput, session: SessionKeys): void {
    out.ready = session
    out.rest = this.chunks.splice(0)
    this.queued = 0
    this.machine = null
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
