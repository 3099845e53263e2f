/**
 * The reliability sublayer of the notice protocol, sans-I/O: it turns a lossy, duplicating,
 * reordering datagram service into an ordered stream of messages in each direction.
 *
 * - Sending: a message is prefixed with its length (u16 BE) and cut into fragments of at most
 *   `maxNoticeBytes - 10` bytes; each fragment becomes one RELIABLE notice with the next sequence
 *   number (u32, from 0); the last carries END. The receiver checks END against the length, so a
 *   flipped END bit or a cut message is a protocol error, never a message glued to the next.
 *   At most `window` notices are unacknowledged at a time; the rest wait in a queue.
 * - Acknowledging: every notice carries `ack`, the number of reliable notices received in order
 *   (cumulative, like TCP). A received reliable notice (new or duplicate) makes an ack due; it rides
 *   on the next reliable notice, or goes out alone as a pure acknowledgement.
 * - Retransmitting: each unacknowledged notice has its own deadline, `retransmitMs` doubled per try
 *   (capped at 16×). After `maxRetransmits` tries the link gives up.
 * - Receiving: duplicates (seq below the next expected) are dropped; notices ahead of it are kept
 *   (up to {@link RECEIVE_WINDOW} ahead) until the gap fills; anything further ahead, or an ack for
 *   a notice never sent, is a protocol error, because an honest peer cannot produce it.
 * - Watching: a message left half received, or a gap left unfilled, for `stallMs` (by default the
 *   peer's whole retransmission budget) is a protocol error: an honest peer would have resent.
 *
 * Time is a number of milliseconds passed in by the caller; this file never reads a clock.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import {
  Flag,
  MAX_MESSAGE_BYTES,
  MIN_MAX_NOTICE_BYTES,
  NOTICE_HEADER_BYTES,
  NoticePhase,
  decodeNotice,
  encodeNotice
} from './layout.js'

/** How far ahead of the next expected sequence number a receiver buffers; also the largest send window. */
const RECEIVE_WINDOW = 64
const MAX_SEQ = 0xffffffff
/** Bytes of the length prefix at the start of every message. */
const LENGTH_BYTES = 2
const MAX_BACKOFF_SHIFT = 4

/** Settings of a {@link ReliableLink}. */
export interface ReliableLinkOptions {
  /** Largest notice in bytes, header included. */
  maxNoticeBytes: number
  /** Unacknowledged notices allowed in flight (1..64). */
  window: number
  /** First retransmission timeout in ms; doubles per retry. */
  retransmitMs: number
  /** Retransmissions of one notice before the link gives up. */
  maxRetransmits: number
  /** How long a half-received message or a gap may make no progress. Default: the retransmission budget. */
  stallMs?: number
}

/** How long a sender with these settings keeps retransmitting one notice before it gives up (ms). */
export function retransmissionBudget(retransmitMs: number, maxRetransmits: number): number {
  let total = 0
  for (let k = 0; k <= maxRetransmits; k++) total += retransmitMs * 2 ** Math.min(k, MAX_BACKOFF_SHIFT)
  return total
}

interface InFlight {
  seq: number
  flags: number
  fragment: Uint8Array
  due: number
  tries: number
}

/** What one received notice produced. */
export interface LinkDelivery {
  /** Messages completed by this notice, in order (possibly several when a gap filled). */
  messages: Uint8Array[]
  /** The reason byte when the notice was an ABORT. */
  abort: number | null
}

/** Ordered, acknowledged, retransmitted message delivery over notices. */
export class ReliableLink {
  private readonly options: ReliableLinkOptions
  private readonly fragmentBytes: number
  // Sending.
  private nextSeq = 0
  private readonly queue: Array<{ flags: number; fragment: Uint8Array }> = []
  private readonly inflight: InFlight[] = []
  /** Notices to send at the next flush; encoded then, so they carry the freshest ack. */
  private readonly outbox: Array<{ flags: number; seq: number; fragment: Uint8Array }> = []
  // Receiving.
  private expected = 0
  private ackDue = false
  private readonly ahead = new Map<number, { flags: number; fragment: Uint8Array }>()
  private partial: Uint8Array[] = []
  private partialBytes = 0
  /** Declared length (prefix included) of the message being reassembled, or -1 between messages. */
  private partialExpected = -1
  /** When reception last made progress; watched while something is incomplete. */
  private lastProgress = 0
  private readonly stallMs: number

  /** @param options - see {@link ReliableLinkOptions} */
  constructor(options: ReliableLinkOptions) {
    const { maxNoticeBytes, window, retransmitMs, maxRetransmits } = options
    const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, NoticePhase.NOTICE, detail)
    if (!Number.isInteger(maxNoticeBytes) || maxNoticeBytes < MIN_MAX_NOTICE_BYTES || maxNoticeBytes > 65535) {
      throw bad(`maxNoticeBytes must be an integer from ${MIN_MAX_NOTICE_BYTES} to 65535`)
    }
    if (!Number.isInteger(window) || window < 1 || window > RECEIVE_WINDOW) throw bad(`window must be an integer from 1 to ${RECEIVE_WINDOW}`)
    if (!(retransmitMs > 0)) throw bad('retransmitMs must be positive')
    if (!Number.isInteger(maxRetransmits) || maxRetransmits < 0) throw bad('maxRetransmits must be a non-negative integer')
    this.options = { ...options }
    this.fragmentBytes = maxNoticeBytes - NOTICE_HEADER_BYTES
    this.stallMs = options.stallMs ?? retransmissionBudget(retransmitMs, maxRetransmits)
  }

  /** True when everything sent has been acknowledged and nothing waits to be sent. */
  get idle(): boolean {
    return this.inflight.length === 0 && this.queue.length === 0
  }

  /** Reliable notices queued or unacknowledged. */
  get backlog(): number {
    return this.inflight.length + this.queue.length
  }

  /** Number of reliable notices sent so far (for tests and statistics). */
  get sent(): number {
    return this.nextSeq
  }

  /**
   * Queues one message; its notices go out as the window allows.
   * @throws SecretChannelError `ERR_INVALID_ARGUMENT` for an empty or oversized message
   */
  send(message: Uint8Array, now: number): void {
    if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, NoticePhase.NOTICE, `a message must be 1..${MAX_MESSAGE_BYTES} bytes`)
    }
    const framed = new Uint8Array(LENGTH_BYTES + message.length)
    framed[0] = message.length >>> 8
    framed[1] = message.length & 0xff
    framed.set(message, LENGTH_BYTES)
    for (let at = 0; at < framed.length; at += this.fragmentBytes) {
      const end = Math.min(framed.length, at + this.fragmentBytes)
      this.queue.push({ flags: Flag.RELIABLE | (end === framed.length ? Flag.END : 0), fragment: framed.subarray(at, end) })
    }
    this.fill(now)
  }

  /**
   * Takes one received notice.
   * @throws SecretChannelError `ERR_PROTOCOL` for a malformed notice, a sequence number beyond the
   *   window, an acknowledgement of something never sent, or an oversized message
   */
  receive(notice: Uint8Array, now: number): LinkDelivery {
    const header = decodeNotice(notice, this.options.maxNoticeBytes)
    this.acknowledge(header.ack, now)
    const delivery: LinkDelivery = { messages: [], abort: null }
    if ((header.flags & Flag.ABORT) !== 0) {
      delivery.abort = header.fragment[0]!
      return delivery
    }
    if ((header.flags & Flag.RELIABLE) === 0) return delivery
    this.ackDue = true
    if (header.seq < this.expected) return delivery // duplicate: already delivered, ack again
    if (header.seq - this.expected >= RECEIVE_WINDOW) {
      throw new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, `notice ${header.seq} is beyond the receive window (expected ${this.expected})`)
    }
    if (header.seq > this.expected) {
      if (!this.incomplete) this.lastProgress = now
      if (!this.ahead.has(header.seq)) this.ahead.set(header.seq, { flags: header.flags, fragment: header.fragment.slice() })
      return delivery
    }
    this.lastProgress = now
    this.accept(header.flags, header.fragment, delivery)
    for (let next = this.ahead.get(this.expected); next; next = this.ahead.get(this.expected)) {
      this.ahead.delete(this.expected)
      this.accept(next.flags, next.fragment, delivery)
    }
    return delivery
  }

  /**
   * Retransmits every notice whose deadline passed.
   * @throws SecretChannelError `ERR_TRANSPORT` when a notice went unacknowledged `maxRetransmits` times
   */
  tick(now: number): void {
    if (this.incomplete && now >= this.lastProgress + this.stallMs) {
      const what = this.partialExpected >= 0 ? 'a message was left half received' : `notice ${this.expected} never arrived while later ones did`
      throw new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, `${what} for ${this.stallMs} ms (the peer stopped mid-message, or acknowledgements were forged)`)
    }
    for (const item of this.inflight) {
      if (item.due > now) continue
      if (item.tries > this.options.maxRetransmits) {
        throw new SecretChannelError(ErrorCodes.TRANSPORT, NoticePhase.TRANSPORT, `notice ${item.seq} was not acknowledged after ${this.options.maxRetransmits} retransmissions: the peer is unreachable`)
      }
      this.transmit(item, now)
    }
  }

  /** The earliest retransmission or stall deadline, or null when nothing is pending. */
  nextDeadline(): number | null {
    let soonest: number | null = this.incomplete ? this.lastProgress + this.stallMs : null
    for (const item of this.inflight) if (soonest === null || item.due < soonest) soonest = item.due
    return soonest
  }

  /** True while a message is half received or a notice is missing before buffered later ones. */
  private get incomplete(): boolean {
    return this.partialExpected >= 0 || this.ahead.size > 0
  }

  /** Takes the notices to send now, adding a pure acknowledgement when one is due and nothing carries it. */
  flush(): Uint8Array[] {
    if (this.ackDue && this.outbox.length === 0) this.outbox.push({ flags: 0, seq: 0, fragment: new Uint8Array(0) })
    this.ackDue = false
    return this.outbox.splice(0, this.outbox.length).map((n) => encodeNotice(n.flags, n.seq, this.expected, n.fragment))
  }

  /** An ABORT notice with `reason` (best effort: it is never retransmitted). */
  abortNotice(reason: number): Uint8Array {
    return encodeNotice(Flag.ABORT, 0, this.expected, Uint8Array.of(reason))
  }

  /** Drops everything queued, in flight or half received. */
  clear(): void {
    this.queue.length = 0
    this.inflight.length = 0
    this.outbox.length = 0
    this.ahead.clear()
    this.partial = []
    this.partialBytes = 0
    this.partialExpected = -1
  }

  private accept(flags: number, fragment: Uint8Array, delivery: LinkDelivery): void {
    const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, detail)
    this.expected++
    if (this.partialExpected < 0) {
      if (fragment.length < LENGTH_BYTES) throw bad('a message starts with a fragment too short for its length')
      const declared = (fragment[0]! << 8) | fragment[1]!
      if (declared === 0 || declared > MAX_MESSAGE_BYTES) throw bad(`a message declares ${declared} bytes (1..${MAX_MESSAGE_BYTES})`)
      this.partialExpected = LENGTH_BYTES + declared
    }
    this.partialBytes += fragment.length
    if (this.partialBytes > this.partialExpected) throw bad('a message is longer than its declared length')
    this.partial.push(fragment.slice())
    const complete = this.partialBytes === this.partialExpected
    if (complete !== ((flags & Flag.END) !== 0)) {
      throw bad(complete ? 'a message reached its length without END (tampered?)' : 'END before a message reached its length (truncated or tampered)')
    }
    if (!complete) return
    const message = new Uint8Array(this.partialBytes - LENGTH_BYTES)
    let at = -LENGTH_BYTES
    for (const part of this.partial) {
      if (at < 0) message.set(part.subarray(LENGTH_BYTES), 0)
      else message.set(part, at)
      at += part.length
    }
    this.partial = []
    this.partialBytes = 0
    this.partialExpected = -1
    delivery.messages.push(message)
  }

  private acknowledge(ack: number, now: number): void {
    if (ack > this.nextSeq) {
      throw new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, `acknowledgement ${ack} covers notices never sent (sent ${this.nextSeq})`)
    }
    let removed = 0
    while (removed < this.inflight.length && this.inflight[removed]!.seq < ack) removed++
    if (removed > 0) {
      this.inflight.splice(0, removed)
      this.fill(now)
    }
  }

  private fill(now: number): void {
    while (this.queue.length > 0 && this.inflight.length < this.options.window) {
      if (this.nextSeq >= MAX_SEQ) {
        throw new SecretChannelError(ErrorCodes.INVALID_STATE, NoticePhase.NOTICE, 'sequence numbers exhausted (2^32 notices): open a new session')
      }
      const { flags, fragment } = this.queue.shift()!
      const item: InFlight = { seq: this.nextSeq++, flags, fragment, due: now, tries: 0 }
      this.inflight.push(item)
      this.transmit(item, now)
    }
  }

  private transmit(item: InFlight, now: number): void {
    this.outbox.push(item)
    item.due = now + this.options.retransmitMs * 2 ** Math.min(item.tries, MAX_BACKOFF_SHIFT)
    item.tries++
  }
}
