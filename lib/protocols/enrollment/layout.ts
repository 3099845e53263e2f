/**
 * Enrollment message layouts (seed 000), byte for byte. Every message is one frame on the wire
 * (see `framing.ts`); its first byte names its type.
 *
 * ```
 * CLIENT_HELLO   client -> server   37 bytes
 *   0      1         2         3       4                                  37
 *   | 0x01 | version | attempt | flags | Ya: client ephemeral, SEC1 compressed (33) |
 *   version = 1; attempt = 1, 2, … (a retry is a new hello); flags bit 0 = "an enrollment code is used",
 *   every other bit must be 0.
 *
 * SERVER_HELLO   server -> client   36 bytes, or 132 with a signature
 *   0      1         2                35         36                       68               132
 *   | 0x02 | attempt | Yb (33)        | signed   | [ server Ed25519 key (32) | signature (64) ] |
 *   signed = 0 (nothing follows) or 1; signature = Ed25519 over SIGNATURE_LABEL ‖ sha256(LABEL ‖ CLIENT_HELLO ‖ SERVER_HELLO[0..68])
 *
 * CHALLENGE      server -> client   50 bytes
 *   | 0x03 | attempt | AES-256-GCM[challengeKey, 0^12, aad = 0x03 ‖ attempt]( 32 random bytes ) (32) | tag (16) |
 *
 * RESPONSE       client -> server   34 bytes
 *   | 0x04 | attempt | sha256( the 32 random bytes ) (32) |
 *
 * ISSUED_KEY     server -> client   2 + n + 16 bytes
 *   | 0x05 | key type | AES-256-GCM[issueKey, 0^12, aad = 0x05 ‖ key type]( private key ) (n) | tag (16) |
 *   key type 1 = Ed25519, private key = libsodium secret key (seed ‖ public key, 64 bytes)
 *   key type 2 = RSA,     private key = PKCS#8 DER
 *
 * ABORT          client -> server   2 bytes, unauthenticated, informational only
 *   | 0x7f | reason |   reason 1 = the last challenge did not open, 2 = the server key was not the expected one
 *
 * REFUSED        server -> client   2 bytes, unauthenticated, informational only; the server hangs up after it
 *   | 0x7e | reason |   reason 1 = the code already enrolled every device it was good for,
 *                       2 = the code has no guesses left (burnt), 3 = this server requires a code,
 *                       4 = this server has no code but the device used one
 * ```
 * Each AES key is used for exactly one message, so the all-zero nonce is safe (as in SHS1).
 * @module
 */

/**
 * Message type tags (the first byte of every message).
 * @example
 * ```ts
 * if (message[0] === MessageType.REFUSED) console.warn('the server refused this device')
 * console.log(messageName(message[0]!)) // e.g. "SERVER_HELLO"
 * ```
 */
export const MessageType = Object.freeze({
  CLIENT_HELLO: 0x01,
  SERVER_HELLO: 0x02,
  CHALLENGE: 0x03,
  RESPONSE: 0x04,
  ISSUED_KEY: 0x05,
  REFUSED: 0x7e,
  ABORT: 0x7f
} as const)

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 1

/** CLIENT_HELLO flag: an enrollment code is mixed into the key agreement. */
export const FLAG_CODE = 0x01

/** Bytes of a SEC1-compressed secp256k1 point. */
export const POINT_BYTES = 33
/** Bytes of the random challenge (the document's "32 random bytes"). */
export const CHALLENGE_BYTES = 32
/** Bytes of an AES-GCM tag. */
export const TAG_BYTES = 16
/** Bytes of an AES-GCM nonce. */
export const NONCE_BYTES = 12
/** Bytes of an Ed25519 public key. */
export const SERVER_KEY_BYTES = 32
/** Bytes of an Ed25519 signature. */
const SIGNATURE_BYTES = 64

/** Size of CLIENT_HELLO. */
export const CLIENT_HELLO_BYTES = 4 + POINT_BYTES
/** Size of SERVER_HELLO without a signature. */
export const SERVER_HELLO_BYTES = 3 + POINT_BYTES
/** Size of SERVER_HELLO with the server key and signature. */
export const SERVER_HELLO_SIGNED_BYTES = SERVER_HELLO_BYTES + SERVER_KEY_BYTES + SIGNATURE_BYTES
/** The signed prefix of SERVER_HELLO: everything before the signature. */
export const SERVER_HELLO_SIGNED_PREFIX = SERVER_HELLO_BYTES + SERVER_KEY_BYTES
/** Size of CHALLENGE. */
export const CHALLENGE_MESSAGE_BYTES = 2 + CHALLENGE_BYTES + TAG_BYTES
/** Size of RESPONSE. */
export const RESPONSE_BYTES = 2 + 32
/** Size of ABORT. */
export const ABORT_BYTES = 2
/** Size of REFUSED. */
export const REFUSED_BYTES = 2

/** Issued key types (ISSUED_KEY byte 1). */
export const KeyTypeTag = Object.freeze({ ed25519: 1, rsa: 2 } as const)

/**
 * The kinds of key the server can issue.
 * @example
 * ```ts
 * const keyType: IssuedKeyType = 'rsa'
 * const server = new EnrollmentServer({ keyPair: serverKeys, code, keyType })
 * ```
 */
export type IssuedKeyType = keyof typeof KeyTypeTag

/** ABORT reasons. */
export const AbortReason = Object.freeze({ CHALLENGE_FAILED: 1, SERVER_KEY_MISMATCH: 2 } as const)

/**
 * REFUSED reasons: why the server will not run an exchange with this device.
 * @example
 * ```ts
 * const refused = Uint8Array.of(MessageType.REFUSED, RefusalReason.CODE_BURNT)
 * ```
 */
export const RefusalReason = Object.freeze({ CODE_USED: 1, CODE_BURNT: 2, CODE_REQUIRED: 3, NO_CODE: 4 } as const)

/** One of {@link RefusalReason}. */
export type RefusalReasonCode = (typeof RefusalReason)[keyof typeof RefusalReason]

/** Protocol label: the HKDF info and the transcript-hash prefix. */
export const LABEL = 'secret-channel/enrollment/v1'
/** Prefix of what the server signs, so the signature cannot be replayed in another protocol. */
export const SIGNATURE_LABEL = 'secret-channel/enrollment/v1/server-signature'
/** RFC 9380 domain separation tag for hashing an enrollment code onto secp256k1. */
export const CODE_DST = 'secret-channel/enrollment/v1/code_secp256k1_XMD:SHA-256_SSWU_RO_'

/** Phase names used in error messages. */
export const Phase = Object.freeze({
  CLIENT_HELLO: 'enrollment client hello',
  SERVER_HELLO: 'enrollment server hello',
  CHALLENGE: 'enrollment challenge',
  RESPONSE: 'enrollment response',
  ISSUED_KEY: 'enrollment issued key',
  ABORT: 'enrollment abort',
  REFUSED: 'enrollment refused',
  FRAMING: 'enrollment framing',
  ENROLLMENT: 'enrollment',
  STORE: 'enrollment store'
} as const)

/** Human names of the message types, for logs. */
export function messageName(type: number): string {
  switch (type) {
    case MessageType.CLIENT_HELLO: return 'CLIENT_HELLO'
    case MessageType.SERVER_HELLO: return 'SERVER_HELLO'
    case MessageType.CHALLENGE: return 'CHALLENGE'
    case MessageType.RESPONSE: return 'RESPONSE'
    case MessageType.ISSUED_KEY: return 'ISSUED_KEY'
    case MessageType.REFUSED: return 'REFUSED'
    case MessageType.ABORT: return 'ABORT'
    default: return `unknown(0x${type.toString(16).padStart(2, '0')})`
  }
}

export { concatBytes as concat } from '../../bytes.js'
