/**
 * The stream adapter: a {@link NoticeChannel} drives a {@link NoticePeer} over a
 * {@link NoticeTransport}, owns the retransmission timer and the known-peers file, and is a
 * streamx `Duplex` of plaintext once the agreement is done.
 * @module
 */
import type { DuplexEvents } from 'streamx'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { KnownPeers } from './known-peers.js'
import { NoticePhase } from './layout.js'
import { NoticePeer, type NoticeOutput, type NoticePeerOptions } from './peer.js'
import type { NoticeTransport } from './transport.js'
import { retransmissionBudget } from './reliable.js'
import { ChannelDuplex } from '../../streams/channel-duplex.js'

/**
 * Options of a {@link NoticeChannel}: those of {@link NoticePeer} plus where known keys live.
 * @example
 * ```ts
 * const options: NoticeChannelOptions = { role: 'initiator', keyPair, knownPeers: 'known-peers.json', peerName: 'bob' }
 * const channel = new NoticeChannel(transport, options)
 * ```
 */
export interface NoticeChannelOptions extends NoticePeerOptions {
  /**
   * The known-peers file (a {@link KnownPeers} or its path). The peer's key is looked up under
   * `peerName` before the agreement and, when learned, stored there once phase 3 proved it.
   */
  knownPeers?: KnownPeers | string
  /** The local name of the peer in the known-peers file; required with `knownPeers`. */
  peerName?: string
  /** Close the transport when the session ends or fails. Default true. */
  closeTransport?: boolean
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number
  /**
   * After a clean close, keep answering the peer's retransmissions for this long (ms), so that a
   * lost final acknowledgement does not leave the peer retrying into the void (TCP's TIME-WAIT).
   * Default: the peer's whole retransmission budget (retransmitMs × (1+2+4+8+16+16+…)) for the
   * same settings; {@link connectNotice} uses 0 (a byte stream loses nothing).
   */
  lingerMs?: number
}

/**
 * What the `secure` event carries.
 * @example
 * ```ts
 * const info: NoticeSecureInfo = await channel.secured()
 * console.log(info.fingerprint, info.learned ? '(new key: compare it with the peer)' : '')
 * ```
 */
export interface NoticeSecureInfo {
  /** The peer's Ed25519 public key. */
  remotePublicKey: Uint8Array
  /** Its short fingerprint, for both people to compare. */
  fingerprint: string
  /** True when the key was learned in this session (first use) rather than known before. */
  learned: boolean
  /** The session id. */
  sessionId: Uint8Array
}

/**
 * Events of a {@link NoticeChannel} beyond those of a Duplex.
 * @example
 * ```ts
 * channel.on('peer-key', ({ fingerprint }) => console.log('compare with the peer:', fingerprint))
 * channel.on('secure', (info) => console.log('secure', info.learned ? '(key learned now)' : ''))
 * channel.on('rekeyed', () => console.log('new session keys'))
 * ```
 */
export interface NoticeChannelEvents extends DuplexEvents {
  /** A key arrived in phase 2 (proven only at `secure`): show the fingerprint. */
  'peer-key': [info: { publicKey: Uint8Array; fingerprint: string }]
  /** The agreement finished; writes flow as box-stream from now on. */
  secure: [info: NoticeSecureInfo]
  /** A re-key finished. */
  rekeyed: [sessionId: Uint8Array]
}

/** How many reliable notices may wait before a write holds its callback (backpressure). */
const BACKLOG_LIMIT = 64

/**
 * A plaintext duplex over a notice transport: runs the three phases, then box-stream.
 *
 * @example
 * ```ts
 * const [ta, tb] = noticeTransportPair()
 * const alice = new NoticeChannel(ta, { role: 'initiator', keyPair: aliceKeys, knownPeers: 'alice-peers.json', peerName: 'bob' })
 * alice.on('secure', (info) => console.log('bob is', info.fingerprint))
 * alice.write('hello')
 * ```
 */
export class NoticeChannel extends ChannelDuplex<NoticeChannelEvents> {
  /** The state machine (for inspection; drive it only through this channel). */
  readonly peer: NoticePeer
  private readonly transport: NoticeTransport
  private readonly knownPeers: KnownPeers | null
  private readonly peerName: string | null
  private readonly closeTransport: boolean
  private readonly clock: () => number
  private timer: NodeJS.Timeout | null = null
  private readonly lingerMs: number
  private unsubscribe: Array<() => void> = []
  private rekeyWaiters: Array<{ resolve: (sid: Uint8Array) => void; reject: (err: Error) => void }> = []
  private agreed: NoticeSecureInfo | null = null
  private remoteEnded = false
  private finishedSession = false

  /**
   * @param transport - any {@link NoticeTransport}
   * @param options - see {@link NoticeChannelOptions}
   */
  constructor(transport: NoticeTransport, options: NoticeChannelOptions) {
    super({})
    if (!transport || typeof transport.send !== 'function' || typeof transport.onNotice !== 'function') {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, NoticePhase.NOTICE, 'transport must have send() and onNotice()')
    }
    this.transport = transport
    this.knownPeers = typeof options.knownPeers === 'string' ? KnownPeers.load(options.knownPeers) : options.knownPeers ?? null
    this.peerName = options.peerName ?? null
    if (this.knownPeers && !this.peerName) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, NoticePhase.NOTICE, 'peerName is required with knownPeers')
    }
    const stored = this.knownPeers ? this.knownPeers.get(this.peerName!) : null
    if (stored && options.peerKey && !Buffer.from(stored).equals(Buffer.from(options.peerKey))) {
      throw new SecretChannelError(ErrorCodes.KEY_CHANGED, NoticePhase.NOTICE, `the given peerKey differs from the key known for "${this.peerName}"`)
    }
    this.peer = new NoticePeer({ ...options, peerKey: options.peerKey ?? stored })
    this.closeTransport = options.closeTransport ?? true
    this.clock = options.now ?? Date.now
    this.lingerMs = options.lingerMs ?? retransmissionBudget(options.retransmitMs ?? 300, options.maxRetransmits ?? 8)
    // Subscribe and start now, not in _open (which streamx runs a tick later): a notice or a
    // transport close arriving in between must not be lost.
    this.unsubscribe.push(this.transport.onNotice((notice) => this.onNotice(notice)))
    if (this.transport.onClose) this.unsubscribe.push(this.transport.onClose((err) => this.onTransportClose(err)))
    this.begin()
    this.apply(this.peer.start(this.clock()))
  }

  protected phaseName(): string {
    return 'notice channel'
  }

  /** The peer's public key once known. */
  get remotePublicKey(): Uint8Array | null {
    return this.peer.remotePublicKey
  }

  /** What `secure` reported, once it happened. */
  get secureInfo(): NoticeSecureInfo | null {
    return this.agreed
  }

  /** Resolves with the `secure` information once the agreement is done; rejects if it fails. */
  secured(): Promise<NoticeSecureInfo> {
    if (this.agreed) return Promise.resolve(this.agreed)
    return new Promise((resolve, reject) => {
      const onSecure = (info: NoticeSecureInfo): void => {
        this.off('close', onClose)
        resolve(info)
      }
      const onClose = (): void => {
        this.off('secure', onSecure)
        reject(this.peer.error ?? new SecretChannelError(ErrorCodes.ABORTED, NoticePhase.NOTICE, 'closed before the agreement finished'))
      }
      this.once('secure', onSecure)
      this.once('close', onClose)
    })
  }

  /**
   * Re-keys the open session (phase 3 alone). Resolves with the new session id once both sides switched.
   * @throws SecretChannelError `ERR_INVALID_STATE` (as a rejection) unless the session is open
   */
  rekey(): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      try {
        this.apply(this.peer.rekey(this.clock()))
        this.rekeyWaiters.push({ resolve, reject })
      } catch (err) {
        reject(err)
      }
    })
  }

  override _read(cb: (err: Error | null) => void): void {
    cb(null)
  }

  override _write(data: unknown, cb: (err: Error | null) => void): void {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : (data as Uint8Array)
      this.apply(this.peer.write(bytes, this.clock()))
    } catch (err) {
      cb(err as Error)
      return
    }
    // Held until the backlog shrinks (backpressure).
    if (this.peer.backlog > BACKLOG_LIMIT) this.holdWrite(cb)
    else cb(null)
  }

  override _final(cb: (err: Error | null) => void): void {
    // Held until our goodbye and everything before it are acknowledged.
    this.holdFinal(cb)
    try {
      this.apply(this.peer.end(this.clock()))
    } catch (err) {
      this.releaseFinal(err as Error)
    }
  }

  protected onTeardown(): void {
    // streamx waits for a pending _open, _write or _final before destroying: the base releases them.
    this.stopTimer()
  }

  /** The stream is done (destroyed, or both sides finished): settle the rekey waiters and the transport. */
  protected override onRelease(): void {
    this.stopTimer()
    const err = this.peer.error ?? new SecretChannelError(ErrorCodes.ABORTED, NoticePhase.NOTICE, 'the channel was destroyed')
    for (const w of this.rekeyWaiters.splice(0)) w.reject(err)
    if (this.finishedSession) return // finish() owns the linger and the transport
    if (this.peer.stage !== 'failed') {
      for (const notice of this.peer.destroy().notices) this.safeSend(notice)
    } else {
      this.peer.destroy()
    }
    this.detach()
  }

  private onNotice(notice: Uint8Array): void {
    if (this.finishedSession) {
      // Lingering after a clean close: only acknowledge the peer's retransmissions.
      for (const n of this.peer.receive(notice, this.clock()).notices) this.safeSend(n)
      return
    }
    if (this.destroying) return
    this.apply(this.peer.receive(notice, this.clock()))
  }

  private detach(): void {
    for (const off of this.unsubscribe) off()
    this.unsubscribe = []
    if (this.closeTransport) this.transport.close?.()
  }

  private onTransportClose(err?: Error): void {
    if (this.destroying || this.finishedSession) return
    if (this.remoteEnded && this.peer.stage !== 'failed') {
      // Both goodbyes may be exchanged already; the transport going away now loses nothing we need.
      this.finish()
      return
    }
    if (err instanceof SecretChannelError) {
      this.destroy(err) // the framing already says what went wrong (garbage, a cut frame)
      return
    }
    const what = this.agreed ? 'before the goodbye' : 'during the key agreement'
    this.destroy(
      new SecretChannelError(err ? ErrorCodes.TRANSPORT : ErrorCodes.TRUNCATED, NoticePhase.TRANSPORT, `the transport closed ${what}`, err ? { cause: err } : undefined)
    )
  }

  private safeSend(notice: Uint8Array): void {
    try {
      this.transport.send(notice)
    } catch {
      // A notice transport may lose notices; a failing send is a lost notice, and retransmission covers it.
    }
  }

  private apply(out: NoticeOutput): void {
    for (const notice of out.notices) this.safeSend(notice)
    for (const event of out.events) {
      switch (event.type) {
        case 'peer-key':
          this.emit('peer-key', { publicKey: event.publicKey, fingerprint: event.fingerprint })
          break
        case 'secure': {
          const info: NoticeSecureInfo = { remotePublicKey: event.remotePublicKey, fingerprint: event.fingerprint, learned: event.learned, sessionId: event.sessionId }
          if (event.learned && this.knownPeers) {
            try {
              this.knownPeers.remember(this.peerName!, event.remotePublicKey)
            } catch (err) {
              this.destroy(err as Error)
              return
            }
          }
          this.agreed = info
          this.emit('secure', info)
          this.markOpen()
          break
        }
        case 'rekeyed':
          this.emit('rekeyed', event.sessionId)
          for (const w of this.rekeyWaiters.splice(0)) w.resolve(event.sessionId)
          break
        case 'data':
          this.push(event.data)
          break
        case 'end':
          this.remoteEnded = true
          this.push(null)
          break
        case 'close':
          this.finish()
          return
        case 'error':
          this.destroy(event.error)
          return
      }
    }
    if (this.peer.backlog <= BACKLOG_LIMIT) this.releaseWrite(null)
    if (this.peer.flushed) this.releaseFinal(null)
    this.schedule()
  }

  private finish(): void {
    if (this.finishedSession) return
    this.finishedSession = true
    this.stopTimer()
    if (!this.remoteEnded) this.push(null)
    this.releaseOpen(new SecretChannelError(ErrorCodes.ABORTED, NoticePhase.NOTICE, 'the session ended before it was secure'))
    this.releaseWrite(null)
    this.releaseFinal(null)
    if (this.lingerMs > 0) setTimeout(() => this.detach(), this.lingerMs).unref()
    else this.detach()
  }

  private schedule(): void {
    this.stopTimer()
    if (this.destroying || this.finishedSession) return
    const due = this.peer.nextDeadline()
    if (due === null) return
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.destroying) this.apply(this.peer.tick(this.clock()))
    }, Math.max(0, due - this.clock()))
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
