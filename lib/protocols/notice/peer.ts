/**
 * The notice key agreement, sans-I/O: one {@link NoticePeer} per side (Alice is the `initiator`,
 * Bob the `responder`). It takes received notices and clock ticks, and returns the notices to send
 * and the events that happened. It never touches a transport, a timer or a file.
 *
 * ```
 * initiator                                   responder
 *   HELLO(nonceI, fp(B)?)          ─────▶                               phase 1
 *                                  ◀─────     REPLY(nonceR, fp(A)?)
 *   START(sendsKey, needsKey)      ─────▶
 *   KEY(A, sig)            if B lacks A ─▶   ◀─ KEY(B, sig)  if A lacks B   phase 2 (overlap)
 *                                  ◀─────     KEY_ACK(fp(A))
 *   KEY_ACK(fp(B))                 ─────▶
 *   PART(seal_B(partI), sig)       ─────▶   ◀─ PART(seal_A(partR), sig)     phase 3 (overlap)
 *   CONFIRM(macI)                  ─────▶   ◀─ CONFIRM(macR)
 *   SWITCH, then DATA (box-stream) ─────▶   ◀─ SWITCH, then DATA
 * ```
 * Re-key of an open session: REKEY(nonce) both ways, then PART / CONFIRM / SWITCH as above.
 * @module
 */
import type { CryptoBackend } from '../../crypto/backend.js'
import { getCryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../crypto/policy.js'
import { BoxDecoder, BoxEncoder } from '../../boxstream/index.js'
import { ErrorCodes, SecretChannelError, type ErrorCode } from '../../errors.js'
import { assertKeyPair, type KeyPair } from '../../keys.js'
import { Machine, type Step } from '../../machine.js'
import { displayFingerprint, keyFingerprint } from './fingerprint.js'
import { NONCE_BYTES, deriveSessionId, keyStatement } from './kdf.js'
import { AbortReason, DEFAULT_MAX_NOTICE_BYTES, MessageType, NOTICE_HEADER_BYTES, NoticePhase } from './layout.js'
import {
  decodeMessage,
  encodeAnnounce,
  encodeData,
  encodeKey,
  encodeKeyAck,
  encodeRekey,
  encodeStart,
  encodeSwitch,
  type NoticeMessage
} from './messages.js'
import { ReliableLink } from './reliable.js'
import { AgreementRound, type RoundParty } from './round.js'

/**
 * Which side of the agreement this peer plays. The initiator sends the first HELLO.
 * @example
 * ```ts
 * const role: NoticeRole = dialed ? 'initiator' : 'responder'
 * const peer = new NoticePeer({ role, keyPair, peerKey: null })
 * ```
 */
export type NoticeRole = 'initiator' | 'responder'

/**
 * Options of a {@link NoticePeer}.
 * @example
 * ```ts
 * const options: NoticePeerOptions = { role: 'initiator', keyPair, peerKey: null } // null: learn it on first use
 * const peer = new NoticePeer(options)
 * ```
 */
export interface NoticePeerOptions {
  /** `initiator` (Alice, sends HELLO) or `responder` (Bob). */
  role: NoticeRole
  /** Our long-term Ed25519 key pair. */
  keyPair: KeyPair
  /** The peer's Ed25519 public key if we already know it (from the known-peers file), else null. */
  peerKey?: Uint8Array | null
  /** Accept a peer key we did not know (trust on first use). Default true; false refuses unknown peers. */
  trustOnFirstUse?: boolean
  /** Largest notice in bytes, header included; both sides must use the same. Default 200. */
  maxNoticeBytes?: number
  /** Unacknowledged notices in flight. Default 16. */
  window?: number
  /** First retransmission timeout in ms (doubles per retry). Default 300. */
  retransmitMs?: number
  /** Retransmissions of one notice before giving up with `ERR_TRANSPORT`. Default 8. */
  maxRetransmits?: number
  /** Deadline in ms for the agreement (phases 1-3) and for each re-key. Default 30 000. */
  timeoutMs?: number
  /** The crypto backend; the process-wide one when left out. */
  crypto?: CryptoBackend
}

/**
 * Something that happened, returned with the notices to send.
 * @example
 * ```ts
 * const events: NoticeEvent[] = out.events
 * for (const event of events) if (event.type === 'data') process.stdout.write(event.data)
 * ```
 */
export type NoticeEvent =
  /** A peer key arrived in phase 2 (not yet proven: that happens in phase 3, see `secure`). */
  | { type: 'peer-key'; publicKey: Uint8Array; fingerprint: string }
  /** Both confirmations are in: the session is box-stream from now on. */
  | { type: 'secure'; remotePublicKey: Uint8Array; fingerprint: string; learned: boolean; sessionId: Uint8Array }
  /** A re-key finished: both directions use keys from the new agreement. */
  | { type: 'rekeyed'; sessionId: Uint8Array }
  /** Plaintext from the peer, in order. */
  | { type: 'data'; data: Buffer }
  /** The peer ended its direction with an authenticated goodbye. */
  | { type: 'end' }
  /** Both directions ended and everything was acknowledged. */
  | { type: 'close' }
  /** The session failed; nothing more will happen. */
  | { type: 'error'; error: SecretChannelError }

/**
 * What one call produced: notices to hand to the transport (`send`, in order) and events, the
 * `{ send, events }` step of every protocol machine.
 * @example
 * ```ts
 * const out: NoticeOutput = peer.receive(notice, Date.now())
 * for (const n of out.send) transport.send(n)
 * ```
 */
export interface NoticeOutput extends Step<NoticeEvent> {
  /**
   * The same array as `send`.
   * @deprecated use `send`, the name every protocol machine shares
   */
  notices: Uint8Array[]
}

function output(): NoticeOutput {
  const send: Uint8Array[] = []
  return { send, notices: send, events: [] }
}

/**
 * The stage a {@link NoticePeer} is in.
 * @example
 * ```ts
 * const stage: NoticeStage = peer.stage
 * if (stage === 'open') out = peer.write(Buffer.from('hi'), Date.now())
 * ```
 */
export type NoticeStage = 'new' | 'hello-sent' | 'await-hello' | 'await-start' | 'keys' | 'parts' | 'open' | 'closed' | 'failed'

/** A re-key waiting for both nonces. */
interface RekeyStart {
  myNonce: Uint8Array
}

/**
 * One side of the notice key agreement and of the box-stream session that follows, on the protocol
 * kernel (`lib/machine.ts`): `phase` (also `stage`) is one of {@link NoticeStage}. Unlike the
 * one-shot handshakes it never throws for what the peer sends: a failure moves it to `"failed"`,
 * wipes every key, queues an ABORT and becomes an `error` event. Application calls out of turn are
 * `ERR_INVALID_STATE` and leave a healthy session running.
 *
 * @example
 * ```ts
 * const alice = new NoticePeer({ role: 'initiator', keyPair: aliceKeys, peerKey: null })
 * let out = alice.start(Date.now())            // out.send: [HELLO]
 * // hand out.send to the transport; for every notice received: out = alice.receive(notice, Date.now())
 * // on a timer at alice.nextDeadline():        out = alice.tick(Date.now())
 * // after the 'secure' event:                   out = alice.write(Buffer.from('hi'), Date.now())
 * ```
 */
export class NoticePeer extends Machine<Exclude<NoticeStage, 'failed'>> {
  /** Our role. */
  readonly role: NoticeRole
  private readonly crypto: CryptoBackend
  private readonly keyPair: KeyPair
  private readonly myFingerprint: Uint8Array
  private readonly trustOnFirstUse: boolean
  private readonly timeoutMs: number
  private readonly fragmentBytes: number
  private readonly link: ReliableLink
  private failure: SecretChannelError | null = null
  private out: NoticeOutput = output()
  private deadline: number | null = null

  // Phase 1 and 2.
  private peerKey: Uint8Array | null
  private peerFingerprint: Uint8Array | null
  private learned = false
  private myNonce: Uint8Array | null = null
  private sid: Uint8Array | null = null
  private mustSendKey = false
  private needKey = false
  private awaitingKeyAck = false

  // Phase 3 and re-key.
  private round: AgreementRound | null = null
  private rekeyStart: RekeyStart | null = null
  private secured = false

  // Box-stream.
  private encoder: BoxEncoder | null = null
  private decoder: BoxDecoder | null = null
  private pendingDecoder: BoxDecoder | null = null
  private localEnded = false
  private remoteEnded = false
  /** True when the peer aborted: an ABORT is never answered with one. */
  private abortSent = false

  /** @param options - see {@link NoticePeerOptions} */
  constructor(options: NoticePeerOptions) {
    super('new', NoticePhase.NOTICE)
    const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, NoticePhase.NOTICE, detail)
    if (!options || typeof options !== 'object') throw bad('options are required')
    if (options.role !== 'initiator' && options.role !== 'responder') throw bad('role must be "initiator" or "responder"')
    this.role = options.role
    this.keyPair = assertKeyPair(options.keyPair)
    this.crypto = options.crypto ?? getCryptoBackend()
    const peerKey = options.peerKey ?? null
    if (peerKey !== null && (!(peerKey instanceof Uint8Array) || peerKey.length !== 32)) throw bad('peerKey must be a 32-byte public key or null')
    this.peerKey = peerKey ? peerKey.slice() : null
    this.peerFingerprint = this.peerKey ? keyFingerprint(this.peerKey, this.crypto) : null
    this.myFingerprint = keyFingerprint(this.keyPair.publicKey, this.crypto)
    this.trustOnFirstUse = options.trustOnFirstUse ?? true
    this.timeoutMs = options.timeoutMs ?? 30_000
    if (!(this.timeoutMs > 0)) throw bad('timeoutMs must be positive')
    const maxNoticeBytes = options.maxNoticeBytes ?? DEFAULT_MAX_NOTICE_BYTES
    this.link = new ReliableLink({
      maxNoticeBytes,
      window: options.window ?? 16,
      retransmitMs: options.retransmitMs ?? 300,
      maxRetransmits: options.maxRetransmits ?? 8
    })
    this.fragmentBytes = maxNoticeBytes - NOTICE_HEADER_BYTES
  }

  /** Where the agreement stands: the same as `phase`. */
  get stage(): NoticeStage {
    return this.current as NoticeStage
  }

  /** The error that stopped this peer, if any. */
  get error(): SecretChannelError | null {
    return this.failure
  }

  /** The peer's public key once known (given, or received in phase 2). */
  get remotePublicKey(): Uint8Array | null {
    return this.peerKey ? this.peerKey.slice() : null
  }

  /** The current session id (changes with each re-key), once phase 1 is done. */
  get sessionId(): Uint8Array | null {
    return this.sid ? this.sid.slice() : null
  }

  /** True once the first agreement finished (the `secure` event was emitted). */
  get secure(): boolean {
    return this.secured
  }

  /** True while a re-key is running. */
  get rekeying(): boolean {
    return this.rekeyStart !== null || (this.round !== null && this.round.rekey)
  }

  /**
   * True once we sent our goodbye, the peer acknowledged everything we sent, and no re-key is
   * still running (a re-key in flight sends CONFIRM and SWITCH even after the goodbye).
   */
  get flushed(): boolean {
    return this.localEnded && this.link.idle && !this.rekeying
  }

  /** Reliable notices queued or unacknowledged: adapters use it for backpressure. */
  get backlog(): number {
    return this.link.backlog
  }

  /**
   * Starts the agreement. The initiator sends HELLO; the responder starts waiting for one.
   * Both start the agreement deadline.
   */
  start(now: number): NoticeOutput {
    if (this.current !== 'new') throw this.misuse('start() called twice')
    this.deadline = now + this.timeoutMs
    if (this.role === 'responder') {
      this.current = 'await-hello'
      return this.collect()
    }
    return this.run(now, () => {
      this.myNonce = this.crypto.randomBytes(NONCE_BYTES)
      this.current = 'hello-sent'
      this.send(encodeAnnounce(MessageType.HELLO, this.myNonce, this.peerFingerprint), now)
    })
  }

  /** Takes one notice from the transport. Never throws for anything the peer sends: failures become an `error` event. */
  receive(notice: Uint8Array, now: number): NoticeOutput {
    if (this.current === 'failed') return this.answerWhileFailed(notice)
    if (this.current === 'new') throw this.misuse('receive() before start()')
    return this.run(now, () => {
      const delivery = this.link.receive(notice, now)
      if (delivery.abort !== null) throw this.peerAborted(delivery.abort)
      for (const message of delivery.messages) {
        if (this.current === 'closed') break
        this.dispatch(decodeMessage(message), now)
      }
      this.maybeClose()
    })
  }

  /** Lets time pass: retransmits what is due and enforces the deadlines. */
  tick(now: number): NoticeOutput {
    if (this.current === 'failed' || this.current === 'closed' || this.current === 'new') return this.collect()
    return this.run(now, () => {
      if (this.deadline !== null && now >= this.deadline) {
        const what = this.rekeying ? 'the re-key' : 'the key agreement'
        throw new SecretChannelError(ErrorCodes.HANDSHAKE_TIMEOUT, this.rekeying ? NoticePhase.REKEY : this.phaseName(), `${what} did not finish within ${this.timeoutMs} ms (stage "${this.current}")`)
      }
      this.link.tick(now)
    })
  }

  /** When {@link tick} should next be called (ms, same clock as `now`), or null when nothing is pending. */
  nextDeadline(): number | null {
    if (this.current === 'failed' || this.current === 'closed') return null
    const link = this.link.nextDeadline()
    if (this.deadline === null) return link
    return link === null ? this.deadline : Math.min(link, this.deadline)
  }

  /**
   * Sends plaintext through the box-stream (after `secure`).
   * @throws SecretChannelError `ERR_INVALID_STATE` before `secure`, after {@link end}, or after a failure
   */
  write(data: Uint8Array, now: number): NoticeOutput {
    if (this.current !== 'open' || !this.encoder) throw this.misuse('write() before the session is secure or after it ended')
    if (this.localEnded) throw this.misuse('write() after end()')
    return this.run(now, () => {
      if (data.length > 0) this.sendData(this.encoder!.encode(data), now)
    })
  }

  /** Ends our direction with the box-stream goodbye. */
  end(now: number): NoticeOutput {
    if (this.current !== 'open' || !this.encoder) throw this.misuse('end() before the session is secure')
    if (this.localEnded) return this.collect()
    return this.run(now, () => {
      this.localEnded = true
      this.sendData(this.encoder!.goodbye(), now)
      this.maybeClose()
    })
  }

  /**
   * Re-keys the open session: phase 3 alone, both keys being known. Data keeps flowing under the
   * old keys until both confirmations are in; then each side sends SWITCH and continues under the new ones.
   * @throws SecretChannelError `ERR_INVALID_STATE` unless the session is open, idle and not ended
   */
  rekey(now: number): NoticeOutput {
    if (this.current !== 'open') throw this.misuse('rekey() needs an open session')
    if (this.rekeying) throw this.misuse('a re-key is already running')
    if (this.localEnded) throw this.misuse('rekey() after end()')
    return this.run(now, () => this.beginRekey(now))
  }

  /**
   * Abandons the session: wipes every secret and returns a best-effort ABORT for the peer.
   * Idempotent; produces no `error` event.
   */
  override destroy(): NoticeOutput {
    if (this.current === 'failed' || this.current === 'closed') {
      this.wipeAll()
      return this.collect()
    }
    this.failure = new SecretChannelError(ErrorCodes.ABORTED, NoticePhase.NOTICE, 'the session was destroyed by its owner')
    this.current = 'failed'
    this.link.clear()
    this.wipeAll()
    this.out.send.push(this.link.abortNotice(AbortReason.CLOSED))
    return this.collect()
  }

  // ---------------------------------------------------------------------------------------------

  private run(now: number, step: () => void): NoticeOutput {
    try {
      step()
    } catch (err) {
      this.failWith(err)
      return this.collect()
    }
    this.out.send.push(...this.link.flush())
    return this.collect()
  }

  private collect(): NoticeOutput {
    const out = this.out
    this.out = output()
    return out
  }

  private send(message: Uint8Array, now: number): void {
    this.link.send(message, now)
  }

  private sendData(wire: Uint8Array, now: number): void {
    // One DATA message per notice (2 bytes of length, the type byte, the bytes), so the receiver
    // decodes as notices arrive.
    const chunk = this.fragmentBytes - 3
    for (let at = 0; at < wire.length; at += chunk) this.send(encodeData(wire.subarray(at, Math.min(wire.length, at + chunk))), now)
  }

  private emit(event: NoticeEvent): void {
    this.out.events.push(event)
  }

  private misuse(detail: string): SecretChannelError {
    return this.outOfTurn(detail)
  }

  private phaseName(): string {
    switch (this.current) {
      case 'new':
      case 'hello-sent':
      case 'await-hello':
      case 'await-start':
        return NoticePhase.PHASE1
      case 'keys':
        return NoticePhase.PHASE2
      case 'parts':
        return NoticePhase.PHASE3
      default:
        return this.rekeying ? NoticePhase.REKEY : NoticePhase.DATA
    }
  }

  private protocolError(detail: string, code: ErrorCode = ErrorCodes.PROTOCOL): SecretChannelError {
    return new SecretChannelError(code, this.phaseName(), detail)
  }

  private unexpected(message: NoticeMessage): SecretChannelError {
    const name = Object.entries(MessageType).find(([, v]) => v === message.type)?.[0] ?? String(message.type)
    return this.protocolError(`unexpected ${name} message in stage "${this.current}" (replayed, reordered by an attacker, or a confused peer)`)
  }

  private dispatch(message: NoticeMessage, now: number): void {
    switch (message.type) {
      case MessageType.HELLO:
        if (this.role !== 'responder' || this.current !== 'await-hello') throw this.unexpected(message)
        return this.onHello(message.nonce, message.fingerprint, now)
      case MessageType.REPLY:
        if (this.role !== 'initiator' || this.current !== 'hello-sent') throw this.unexpected(message)
        return this.onReply(message.nonce, message.fingerprint, now)
      case MessageType.START:
        if (this.role !== 'responder' || this.current !== 'await-start') throw this.unexpected(message)
        if (message.sendsKey !== this.needKey || message.needsKey !== this.mustSendKey) {
          throw this.protocolError('START disagrees with the fingerprints announced in phase 1 (tampered?)')
        }
        return this.enterPhase2(now)
      case MessageType.KEY:
        return this.onKey(message.publicKey, message.signature, now)
      case MessageType.KEY_ACK:
        if (this.current !== 'keys' || !this.awaitingKeyAck) throw this.unexpected(message)
        if (!constantTimeEqual(message.fingerprint, this.myFingerprint)) {
          throw this.protocolError('the peer acknowledged a key that is not ours: our key was altered in transit')
        }
        this.awaitingKeyAck = false
        return this.maybeEndPhase2(now)
      case MessageType.PART:
        if (!this.round || this.round.hasPeerPart) throw this.unexpected(message)
        return this.onPart(this.round, message.sealed, message.signature, now)
      case MessageType.CONFIRM:
        if (!this.round || !this.round.derived || this.round.peerConfirmed) throw this.unexpected(message)
        return this.onConfirm(this.round, message.mac, now)
      case MessageType.REKEY:
        if (this.current !== 'open' || (this.round !== null)) throw this.unexpected(message)
        return this.onRekey(message.nonce, now)
      case MessageType.SWITCH:
        if (!this.pendingDecoder) throw this.unexpected(message)
        this.decoder?.destroy()
        this.decoder = this.pendingDecoder
        this.pendingDecoder = null
        return
      case MessageType.DATA:
        if (!this.decoder || this.remoteEnded) throw this.unexpected(message)
        return this.onData(this.decoder, message.bytes)
    }
  }

  /** Checks a fingerprint the peer holds for us. */
  private checkFingerprintOfMe(fingerprint: Uint8Array | null): void {
    if (fingerprint === null) {
      this.mustSendKey = true
      return
    }
    if (!constantTimeEqual(fingerprint, this.myFingerprint)) {
      throw this.protocolError(
        'the peer holds a different key for us than ours: it is not talking to who it thinks, or we changed keys; refusing',
        ErrorCodes.KEY_CHANGED
      )
    }
    this.mustSendKey = false
  }

  private checkWeMayLearn(): void {
    this.needKey = this.peerKey === null
    if (this.needKey && !this.trustOnFirstUse) {
      throw this.protocolError('the peer is unknown and trust on first use is off', ErrorCodes.UNAUTHORIZED)
    }
  }

  private onHello(nonceI: Uint8Array, fingerprint: Uint8Array | null, now: number): void {
    this.checkFingerprintOfMe(fingerprint)
    this.checkWeMayLearn()
    this.myNonce = this.crypto.randomBytes(NONCE_BYTES)
    this.sid = deriveSessionId(this.crypto, nonceI, this.myNonce)
    this.current = 'await-start'
    this.send(encodeAnnounce(MessageType.REPLY, this.myNonce, this.peerFingerprint), now)
  }

  private onReply(nonceR: Uint8Array, fingerprint: Uint8Array | null, now: number): void {
    this.checkFingerprintOfMe(fingerprint)
    this.checkWeMayLearn()
    this.sid = deriveSessionId(this.crypto, this.myNonce!, nonceR)
    this.send(encodeStart(this.mustSendKey, this.needKey), now)
    this.enterPhase2(now)
  }

  private enterPhase2(now: number): void {
    this.current = 'keys'
    if (this.mustSendKey) {
      const signature = this.crypto.sign(keyStatement(this.sid!, this.keyPair.publicKey), this.keyPair.secretKey)
      this.send(encodeKey(this.keyPair.publicKey, signature), now)
      this.awaitingKeyAck = true
    }
    this.maybeEndPhase2(now)
  }

  private onKey(publicKey: Uint8Array, signature: Uint8Array, now: number): void {
    if (this.current !== 'keys' || !this.needKey || this.peerKey !== null) {
      if (this.peerKey !== null && !constantTimeEqual(publicKey, this.peerKey)) {
        throw this.protocolError('the peer offers a key that differs from the one we know for it: possible man in the middle; refusing', ErrorCodes.KEY_CHANGED)
      }
      throw this.protocolError(`unexpected KEY message in stage "${this.current}"`)
    }
    if (constantTimeEqual(publicKey, this.keyPair.publicKey)) throw this.protocolError('the peer presented our own key (reflected?)')
    if (!this.crypto.signPublicKeyToCurve(publicKey)) throw this.protocolError('the peer key is not a valid Ed25519 public key')
    if (!this.crypto.verify(signature, keyStatement(this.sid!, publicKey), publicKey)) {
      throw this.protocolError('the KEY signature does not verify (tampered, or replayed from another session)')
    }
    this.peerKey = publicKey.slice()
    this.peerFingerprint = keyFingerprint(this.peerKey, this.crypto)
    this.learned = true
    this.emit({ type: 'peer-key', publicKey: this.peerKey.slice(), fingerprint: displayFingerprint(this.peerKey, this.crypto) })
    this.send(encodeKeyAck(this.peerFingerprint), now)
    this.maybeEndPhase2(now)
  }

  private maybeEndPhase2(now: number): void {
    if (this.current !== 'keys' || this.awaitingKeyAck || this.peerKey === null) return
    this.current = 'parts'
    this.startRound(this.sid!, false, now)
  }

  private startRound(sid: Uint8Array, rekey: boolean, now: number): void {
    const party: RoundParty = {
      crypto: this.crypto,
      initiator: this.role === 'initiator',
      keyPair: this.keyPair,
      myFingerprint: this.myFingerprint,
      peerKey: this.peerKey!,
      peerFingerprint: this.peerFingerprint!
    }
    this.round = new AgreementRound(party, sid, rekey)
    this.send(this.round.partMessage, now)
  }

  private onPart(round: AgreementRound, sealed: Uint8Array, signature: Uint8Array, now: number): void {
    const result = round.acceptPart(sealed, signature)
    if (result === 'bad-signature') {
      throw this.protocolError(
        this.learned
          ? 'the PART signature does not verify (tampered, or replayed from another session)'
          : 'the PART signature does not verify under the key we know for the peer (tampered, replayed, or not the peer: possible man in the middle)'
      )
    }
    if (result === 'not-for-us') throw this.protocolError('the key part was not sealed to our key')
    this.send(result, now)
  }

  private onConfirm(round: AgreementRound, mac: Uint8Array, now: number): void {
    if (!round.acceptConfirm(mac)) {
      throw this.protocolError('key confirmation failed: the two sides did not derive the same key (tampered or a man in the middle)')
    }
    // Both confirmations are in (ours went out when we derived the key): switch our sending side.
    const keys = round.keys()
    this.encoder?.destroy()
    this.encoder = new BoxEncoder(keys.sendKey, keys.sendNonce, this.crypto)
    this.pendingDecoder?.destroy()
    this.pendingDecoder = new BoxDecoder(keys.receiveKey, keys.receiveNonce, this.crypto)
    wipe(keys.sendKey, keys.sendNonce, keys.receiveKey, keys.receiveNonce)
    round.wipe()
    this.send(encodeSwitch(), now)
    this.sid = round.sid
    this.round = null
    this.rekeyStart = null
    this.deadline = null
    this.current = 'open'
    if (round.rekey) {
      this.emit({ type: 'rekeyed', sessionId: round.sid.slice() })
      return
    }
    this.secured = true
    this.emit({
      type: 'secure',
      remotePublicKey: this.peerKey!.slice(),
      fingerprint: displayFingerprint(this.peerKey!, this.crypto),
      learned: this.learned,
      sessionId: round.sid.slice()
    })
  }

  private beginRekey(now: number): void {
    this.rekeyStart = { myNonce: this.crypto.randomBytes(NONCE_BYTES) }
    this.deadline = now + this.timeoutMs
    this.send(encodeRekey(this.rekeyStart.myNonce), now)
  }

  private onRekey(peerNonce: Uint8Array, now: number): void {
    if (!this.rekeyStart) this.beginRekey(now)
    const mine = this.rekeyStart!.myNonce
    const initiator = this.role === 'initiator'
    const sid = deriveSessionId(this.crypto, initiator ? mine : peerNonce, initiator ? peerNonce : mine, this.sid!)
    this.startRound(sid, true, now)
  }

  private onData(decoder: BoxDecoder, bytes: Uint8Array): void {
    decoder.push(bytes, (data) => this.emit({ type: 'data', data }))
    if (decoder.ended) {
      this.remoteEnded = true
      this.emit({ type: 'end' })
    }
  }

  private maybeClose(): void {
    if (this.current === 'open' && this.remoteEnded && this.flushed) {
      this.current = 'closed'
      this.deadline = null
      this.wipeAll()
      this.emit({ type: 'close' })
    }
  }

  private peerAborted(reason: number): SecretChannelError {
    this.link.clear() // never answer an ABORT with an ABORT
    this.abortSent = true
    switch (reason) {
      case AbortReason.KEY_CHANGED:
        return this.protocolError('the peer refused: one of us holds a different key for the other (possible man in the middle)', ErrorCodes.KEY_CHANGED)
      case AbortReason.UNKNOWN_PEER:
        return this.protocolError('the peer refused: it does not know our key and will not learn it', ErrorCodes.UNAUTHORIZED)
      case AbortReason.CLOSED:
        return this.protocolError('the peer abandoned the session', ErrorCodes.ABORTED)
      default:
        return this.protocolError('the peer aborted the session')
    }
  }

  /** Fails closed without throwing: poisoned, wiped, ABORT queued, an `error` event. */
  private failWith(err: unknown): void {
    const error =
      err instanceof SecretChannelError
        ? err
        : new SecretChannelError(ErrorCodes.PROTOCOL, this.phaseName(), 'internal failure while handling a notice', { cause: err })
    this.failure = error
    this.current = 'failed'
    this.link.clear()
    this.wipeAll()
    this.out.send.length = 0
    if (!this.abortSent) this.out.send.push(this.link.abortNotice(abortReasonFor(error.code)))
    this.emit({ type: 'error', error })
  }

  /** A failed peer answers each reliable notice with its ABORT again, so a lost ABORT is repeated. */
  private answerWhileFailed(notice: Uint8Array): NoticeOutput {
    if (!this.abortSent && notice.length > 1 && (notice[1]! & 0x01) !== 0 && this.failure) {
      this.out.send.push(this.link.abortNotice(abortReasonFor(this.failure.code)))
    }
    return this.collect()
  }

  private wipeAll(): void {
    this.wipeSecrets()
    this.encoder?.destroy()
    this.decoder?.destroy()
    this.pendingDecoder?.destroy()
    this.round?.wipe()
    this.round = null
    this.rekeyStart = null
  }
}

function abortReasonFor(code: ErrorCode): number {
  if (code === ErrorCodes.KEY_CHANGED) return AbortReason.KEY_CHANGED
  if (code === ErrorCodes.UNAUTHORIZED) return AbortReason.UNKNOWN_PEER
  if (code === ErrorCodes.ABORTED) return AbortReason.CLOSED
  return AbortReason.FAILED
}
