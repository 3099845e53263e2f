/**
 * Notice layout: the 10-byte header every notice carries, and the constants of the notice protocol.
 *
 * A notice is one small datagram (at most `maxNoticeBytes`, 200 by default). Every notice starts
 * with the same header; what follows depends on the flags:
 * ```
 *  0       1       2               6               10
 *  ├─ ver ─┼ flags ┼──── seq ──────┼──── ack ──────┼──── fragment (0..max-10) ────┤
 *  │  0x4e │       │    u32 BE     │    u32 BE     │                              │
 *  └───────┴───────┴───────────────┴───────────────┴──────────────────────────────┘
 *  flags: bit 0 RELIABLE  this notice consumes a sequence number and must be acknowledged
 *         bit 1 END       the last fragment of a message (only with RELIABLE)
 *         bit 2 ABORT     the sender gave up; the fragment is one reason byte (never with RELIABLE)
 *         bits 3-7        zero
 *  seq:   this notice's sequence number when RELIABLE, else zero
 *  ack:   how many reliable notices the sender has received in order (the next seq it expects)
 * ```
 * A notice without RELIABLE and ABORT is a pure acknowledgement and has no fragment.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'

/** First byte of every notice: "N", protocol version 1 of this layout. */
const NOTICE_VERSION = 0x4e
/**
 * Bytes of the notice header.
 * @example
 * ```ts
 * const fragmentRoom = DEFAULT_MAX_NOTICE_BYTES - NOTICE_HEADER_BYTES // 190 bytes of payload per notice
 * ```
 */
export const NOTICE_HEADER_BYTES = 10
/**
 * Default and smallest allowed notice size limit, in bytes.
 * @example
 * ```ts
 * const transport = framedTransport(socket, DEFAULT_MAX_NOTICE_BYTES) // 200 bytes, like an SMS
 * ```
 */
export const DEFAULT_MAX_NOTICE_BYTES = 200
/**
 * The smallest notice size limit accepted: a header plus 22 bytes of fragment.
 * @example
 * ```ts
 * const transport = framedTransport(socket, MIN_MAX_NOTICE_BYTES) // 32-byte notices: many fragments, but it works
 * ```
 */
export const MIN_MAX_NOTICE_BYTES = 32
/** The largest reassembled message accepted (a box-stream write of 4096 bytes plus framing fits). */
export const MAX_MESSAGE_BYTES = 8192

/** Header flag bits. */
export const Flag = Object.freeze({
  RELIABLE: 0x01,
  END: 0x02,
  ABORT: 0x04
} as const)

/**
 * First byte of every reassembled message: its type.
 * @example
 * ```ts
 * if (message[0] === MessageType.DATA) decoder.push(message.subarray(1)) // box-stream wire bytes
 * ```
 */
export const MessageType = Object.freeze({
  /** Phase 1, initiator: nonce and fingerprint of the responder's key. */
  HELLO: 0x01,
  /** Phase 1, responder: nonce and fingerprint of the initiator's key. */
  REPLY: 0x02,
  /** Phase 1, initiator: "continue" (third notice of phase 1). */
  START: 0x03,
  /** Phase 2: a public key, self-signed for this session. */
  KEY: 0x10,
  /** Phase 2: receipt of a key, by its fingerprint. */
  KEY_ACK: 0x11,
  /** Phase 3: a sealed and signed key part. */
  PART: 0x20,
  /** Phase 3: key confirmation MAC under the new key. */
  CONFIRM: 0x21,
  /** Re-key of an open session: a fresh nonce. */
  REKEY: 0x22,
  /** "My following DATA use the new key." Sent once both confirmations are in. */
  SWITCH: 0x23,
  /** Box-stream wire bytes (whole frames). */
  DATA: 0x30
} as const)

/**
 * Reason byte of an ABORT notice.
 * @example
 * ```ts
 * const reason = abortNotice[10] // the one fragment byte after the 10-byte header
 * if (reason === AbortReason.KEY_CHANGED) console.error('the peer holds a different key for us')
 * ```
 */
export const AbortReason = Object.freeze({
  /** Anything else: a protocol error, a timeout, a local failure. */
  FAILED: 0x00,
  /** The sender holds a different key for us, or we hold a different key for it. */
  KEY_CHANGED: 0x01,
  /** The sender will not learn a new peer key (trust on first use is off). */
  UNKNOWN_PEER: 0x02,
  /** The application closed the session. */
  CLOSED: 0x03
} as const)

/** Protocol phase names used in error messages. */
export const NoticePhase = Object.freeze({
  NOTICE: 'notice',
  PHASE1: 'notice phase 1 (announce)',
  PHASE2: 'notice phase 2 (key exchange)',
  PHASE3: 'notice phase 3 (key agreement)',
  REKEY: 'notice re-key',
  DATA: 'notice box-stream',
  TRANSPORT: 'notice transport'
} as const)

/** A parsed notice header plus its fragment (a view into the notice, not a copy). */
export interface NoticeHeader {
  flags: number
  seq: number
  ack: number
  fragment: Uint8Array
}

/**
 * Writes one notice.
 * @param flags - {@link Flag} bits
 * @param seq - sequence number (0 unless RELIABLE)
 * @param ack - cumulative acknowledgement
 * @param fragment - payload bytes (may be empty)
 */
export function encodeNotice(flags: number, seq: number, ack: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(NOTICE_HEADER_BYTES + fragment.length)
  const view = new DataView(out.buffer)
  out[0] = NOTICE_VERSION
  out[1] = flags
  view.setUint32(2, seq >>> 0)
  view.setUint32(6, ack >>> 0)
  out.set(fragment, NOTICE_HEADER_BYTES)
  return out
}

/**
 * Parses and checks a notice header. Anything malformed is a protocol error: a notice is too short,
 * too long, of another version, carries unknown flag bits, an ABORT without its reason byte, or
 * payload where none belongs.
 * @throws SecretChannelError `ERR_PROTOCOL`
 */
export function decodeNotice(notice: Uint8Array, maxNoticeBytes: number): NoticeHeader {
  const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, detail)
  if (!(notice instanceof Uint8Array)) throw bad('a notice must be bytes')
  if (notice.length < NOTICE_HEADER_BYTES) throw bad(`notice of ${notice.length} bytes is shorter than the ${NOTICE_HEADER_BYTES}-byte header (truncated or garbage)`)
  if (notice.length > maxNoticeBytes) throw bad(`notice of ${notice.length} bytes exceeds the ${maxNoticeBytes}-byte limit`)
  if (notice[0] !== NOTICE_VERSION) throw bad(`unknown notice version 0x${notice[0]!.toString(16)} (garbage?)`)
  const flags = notice[1]!
  if ((flags & ~(Flag.RELIABLE | Flag.END | Flag.ABORT)) !== 0) throw bad(`unknown notice flags 0x${flags.toString(16)}`)
  const view = new DataView(notice.buffer, notice.byteOffset, notice.byteLength)
  const seq = view.getUint32(2)
  const ack = view.getUint32(6)
  const fragment = notice.subarray(NOTICE_HEADER_BYTES)
  const reliable = (flags & Flag.RELIABLE) !== 0
  if (reliable && (flags & Flag.ABORT) !== 0) throw bad('a notice cannot be both RELIABLE and ABORT')
  if (!reliable && (flags & Flag.END) !== 0) throw bad('END without RELIABLE')
  if (reliable && fragment.length === 0) throw bad('reliable notice without a fragment')
  if (!reliable && seq !== 0) throw bad('unreliable notice with a sequence number')
  if ((flags & Flag.ABORT) !== 0 && fragment.length !== 1) throw bad('ABORT notice must carry exactly one reason byte')
  if (!reliable && (flags & Flag.ABORT) === 0 && fragment.length !== 0) throw bad('acknowledgement with a payload')
  return { flags, seq, ack, fragment }
}
