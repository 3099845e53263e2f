/**
 * Test helpers for the notice protocol: a seeded random source and a simulated datagram network
 * with a virtual clock, which can lose, duplicate, reorder and tamper with notices.
 */
import { NoticePeer, type NoticeEvent, type NoticeOutput, type NoticePeerOptions } from '../../lib/protocols/notice/index.js'
import { generateKeyPair, type KeyPair } from '../../lib/keys.js'
import { Flag, encodeNotice } from '../../lib/protocols/notice/layout.js'

/** A small seeded PRNG (mulberry32): the same seed always gives the same run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Deterministic key pairs for tests. */
export function testKeys(n: number): KeyPair {
  return generateKeyPair(new Uint8Array(32).fill(n))
}

/** Network behaviour of the simulation. */
export interface NetworkOptions {
  seed?: number
  /** Probability that a notice is lost. */
  loss?: number
  /** Probability that a notice is delivered twice. */
  duplicate?: number
  /** Extra random delay in ms (0..jitter) per notice: reorders notices. */
  jitter?: number
  /** Base one-way delay in ms. */
  latency?: number
  /** Rewrites or drops (returns null) a notice in flight; `from` is the sending side. */
  tamper?: (notice: Uint8Array, from: 'a' | 'b', index: number) => Uint8Array | null | Array<Uint8Array>
}

/** One side of a simulation. */
export interface SimSide {
  name: 'a' | 'b'
  peer: NoticePeer
  events: NoticeEvent[]
  data: Buffer[]
  sent: Uint8Array[]
}

/** A running simulation; `run` advances it until `until` holds or the virtual time limit passes. */
export class Simulation {
  now = 0
  readonly a: SimSide
  readonly b: SimSide
  private readonly random: () => number
  private readonly net: NetworkOptions
  private queue: Array<{ at: number; to: SimSide; notice: Uint8Array; order: number }> = []
  private order = 0
  private sentCount = 0
  /** Called after every batch of events of one side; may act on the peers (write, end, rekey). */
  onEvents: (side: SimSide, events: NoticeEvent[]) => void = () => {}

  constructor(a: NoticePeer, b: NoticePeer, net: NetworkOptions = {}) {
    this.a = { name: 'a', peer: a, events: [], data: [], sent: [] }
    this.b = { name: 'b', peer: b, events: [], data: [], sent: [] }
    this.random = seededRandom(net.seed ?? 1)
    this.net = net
  }

  /** The other side. */
  other(side: SimSide): SimSide {
    return side === this.a ? this.b : this.a
  }

  /** Applies one output of `side`: schedules its notices and records its events. */
  apply(side: SimSide, out: NoticeOutput): void {
    for (const notice of out.send) {
      side.sent.push(notice)
      let copies: Uint8Array[] = [notice]
      if (this.net.tamper) {
        const t = this.net.tamper(notice, side.name, this.sentCount)
        copies = t === null ? [] : Array.isArray(t) ? t : [t]
      }
      this.sentCount++
      for (const copy of copies) {
        if (this.random() < (this.net.loss ?? 0)) continue
        const times = this.random() < (this.net.duplicate ?? 0) ? 2 : 1
        for (let i = 0; i < times; i++) {
          const at = this.now + (this.net.latency ?? 5) + this.random() * (this.net.jitter ?? 0)
          this.queue.push({ at, to: this.other(side), notice: copy, order: this.order++ })
        }
      }
    }
    if (out.events.length > 0) {
      side.events.push(...out.events)
      for (const e of out.events) if (e.type === 'data') side.data.push(e.data)
      this.onEvents(side, out.events)
    }
  }

  /** Starts both peers. */
  start(): this {
    this.apply(this.a, this.a.peer.start(this.now))
    this.apply(this.b, this.b.peer.start(this.now))
    return this
  }

  /** Runs until `until()` is true or `limitMs` of virtual time passed; returns whether `until` held. */
  run(until: () => boolean, limitMs = 120_000): boolean {
    while (!until()) {
      const deadlines = [this.a.peer.nextDeadline(), this.b.peer.nextDeadline()].filter((d): d is number => d !== null)
      this.queue.sort((x, y) => x.at - y.at || x.order - y.order)
      const nextDelivery = this.queue.length > 0 ? this.queue[0]!.at : Infinity
      const next = Math.min(nextDelivery, ...deadlines)
      if (next === Infinity || next > limitMs) return until()
      this.now = Math.max(this.now, next)
      if (nextDelivery <= this.now) {
        const { to, notice } = this.queue.shift()!
        this.apply(to, to.peer.receive(notice, this.now))
      } else {
        for (const side of [this.a, this.b]) {
          const d = side.peer.nextDeadline()
          if (d !== null && d <= this.now) this.apply(side, side.peer.tick(this.now))
        }
      }
    }
    return true
  }
}

/** Makes an initiator/responder pair with the given knowledge of each other's keys. */
export function makePair(
  options: { aKnowsB?: boolean; bKnowsA?: boolean } & Partial<NoticePeerOptions> = {},
  keys = { a: testKeys(1), b: testKeys(2) }
): { a: NoticePeer; b: NoticePeer; keys: { a: KeyPair; b: KeyPair } } {
  const { aKnowsB = false, bKnowsA = false, ...rest } = options
  const a = new NoticePeer({ ...rest, role: 'initiator', keyPair: keys.a, peerKey: aKnowsB ? keys.b.publicKey : null })
  const b = new NoticePeer({ ...rest, role: 'responder', keyPair: keys.b, peerKey: bKnowsA ? keys.a.publicKey : null })
  return { a, b, keys }
}

/** The first error event of a side, or null. */
export function errorOf(side: SimSide): { code: string; message: string } | null {
  const e = side.events.find((ev) => ev.type === 'error')
  return e && e.type === 'error' ? { code: e.error.code, message: e.error.message } : null
}

/** True when a side has seen an event of `type`. */
export function saw(side: SimSide, type: NoticeEvent['type']): boolean {
  return side.events.some((e) => e.type === type)
}

/** The message inside a single-fragment reliable notice (after the header and the 2-byte length). */
export function messageOf(notice: Uint8Array): Uint8Array {
  return notice.subarray(12)
}

/** A single-fragment reliable notice carrying `message` (header, length prefix, message). */
export function reliableNotice(seq: number, ack: number, message: Uint8Array): Uint8Array {
  const fragment = new Uint8Array(2 + message.length)
  fragment[0] = message.length >>> 8
  fragment[1] = message.length & 0xff
  fragment.set(message, 2)
  return encodeNotice(Flag.RELIABLE | Flag.END, seq, ack, fragment)
}
