/**
 * The messages of the notice protocol. Each is sent through the reliability sublayer, which
 * prefixes its length and cuts it into as many notices as the size limit needs. Byte layouts
 * (type byte first, lengths exact):
 * ```
 * HELLO    01 │ flags │ nonce (16) │ [fp of responder's key (32)]     18 or 50   flags bit0: fp present
 * REPLY    02 │ flags │ nonce (16) │ [fp of initiator's key (32)]     18 or 50   flags bit0: fp present
 * START    03 │ flags                                                  2         bit0: initiator sends its key
 *                                                                                bit1: initiator needs the responder's key
 * KEY      10 │ public key (32) │ sig (64)                            97        sig over label("key") ‖ sid ‖ pk
 * KEY_ACK  11 │ fp of the received key (32)                          33
 * PART     20 │ sealed part (80) │ sig (64)                           145       sig over label("part") ‖ sid ‖ fpS ‖ fpR ‖ sealed
 * CONFIRM  21 │ mac (32)                                             33
 * REKEY    22 │ nonce (16)                                           17
 * SWITCH   23                                                        1
 * DATA     30 │ box-stream bytes: whole frames (1..8191)
 * ```
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { FINGERPRINT_BYTES } from './fingerprint.js'
import { NONCE_BYTES } from './kdf.js'
import { MessageType, NoticePhase } from './layout.js'
import { SEALED_PART_BYTES } from './seal.js'

/** Bytes of an Ed25519 signature. */
const SIG_BYTES = 64

/** A decoded message. Byte fields are views into the received message. */
export type NoticeMessage =
  | { type: typeof MessageType.HELLO | typeof MessageType.REPLY; nonce: Uint8Array; fingerprint: Uint8Array | null }
  | { type: typeof MessageType.START; sendsKey: boolean; needsKey: boolean }
  | { type: typeof MessageType.KEY; publicKey: Uint8Array; signature: Uint8Array }
  | { type: typeof MessageType.KEY_ACK; fingerprint: Uint8Array }
  | { type: typeof MessageType.PART; sealed: Uint8Array; signature: Uint8Array }
  | { type: typeof MessageType.CONFIRM; mac: Uint8Array }
  | { type: typeof MessageType.REKEY; nonce: Uint8Array }
  | { type: typeof MessageType.SWITCH }
  | { type: typeof MessageType.DATA; bytes: Uint8Array }

function bytes(type: number, ...parts: Array<Uint8Array | number>): Uint8Array {
  let length = 1
  for (const p of parts) length += typeof p === 'number' ? 1 : p.length
  const out = new Uint8Array(length)
  out[0] = type
  let at = 1
  for (const p of parts) {
    if (typeof p === 'number') out[at++] = p
    else {
      out.set(p, at)
      at += p.length
    }
  }
  return out
}

/** HELLO (initiator) or REPLY (responder): a fresh nonce and, if known, the fingerprint of the peer's key. */
export function encodeAnnounce(type: typeof MessageType.HELLO | typeof MessageType.REPLY, nonce: Uint8Array, fingerprint: Uint8Array | null): Uint8Array {
  return fingerprint ? bytes(type, 1, nonce, fingerprint) : bytes(type, 0, nonce)
}

/** START: the initiator's "continue", restating what phase 2 will carry. */
export function encodeStart(sendsKey: boolean, needsKey: boolean): Uint8Array {
  return bytes(MessageType.START, (sendsKey ? 1 : 0) | (needsKey ? 2 : 0))
}

/** KEY: our public key and its self-signature for this session. */
export function encodeKey(publicKey: Uint8Array, signature: Uint8Array): Uint8Array {
  return bytes(MessageType.KEY, publicKey, signature)
}

/** KEY_ACK: the fingerprint of the key we received. */
export function encodeKeyAck(fingerprint: Uint8Array): Uint8Array {
  return bytes(MessageType.KEY_ACK, fingerprint)
}

/** PART: our sealed key part and its signature. */
export function encodePart(sealed: Uint8Array, signature: Uint8Array): Uint8Array {
  return bytes(MessageType.PART, sealed, signature)
}

/** CONFIRM: our MAC under the new key. */
export function encodeConfirm(mac: Uint8Array): Uint8Array {
  return bytes(MessageType.CONFIRM, mac)
}

/** REKEY: our nonce for a re-key of the open session. */
export function encodeRekey(nonce: Uint8Array): Uint8Array {
  return bytes(MessageType.REKEY, nonce)
}

/** SWITCH: "DATA after this use the new key". */
export function encodeSwitch(): Uint8Array {
  return bytes(MessageType.SWITCH)
}

/** DATA: box-stream wire bytes. */
export function encodeData(wire: Uint8Array): Uint8Array {
  return bytes(MessageType.DATA, wire)
}

/**
 * Decodes and length-checks one reassembled message.
 * @throws SecretChannelError `ERR_PROTOCOL` for an unknown type or a wrong length
 */
export function decodeMessage(message: Uint8Array): NoticeMessage {
  const bad = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.PROTOCOL, NoticePhase.NOTICE, detail)
  const type = message[0]
  const need = (length: number, name: string): void => {
    if (message.length !== length) throw bad(`${name} message of ${message.length} bytes, expected ${length} (truncated or tampered)`)
  }
  switch (type) {
    case MessageType.HELLO:
    case MessageType.REPLY: {
      const name = type === MessageType.HELLO ? 'HELLO' : 'REPLY'
      const flags = message[1]
      if (flags !== 0 && flags !== 1) throw bad(`${name} with unknown flags`)
      need(2 + NONCE_BYTES + (flags === 1 ? FINGERPRINT_BYTES : 0), name)
      return { type, nonce: message.subarray(2, 2 + NONCE_BYTES), fingerprint: flags === 1 ? message.subarray(2 + NONCE_BYTES) : null }
    }
    case MessageType.START: {
      need(2, 'START')
      if ((message[1]! & ~3) !== 0) throw bad('START with unknown flags')
      return { type, sendsKey: (message[1]! & 1) !== 0, needsKey: (message[1]! & 2) !== 0 }
    }
    case MessageType.KEY:
      need(1 + 32 + SIG_BYTES, 'KEY')
      return { type, publicKey: message.subarray(1, 33), signature: message.subarray(33) }
    case MessageType.KEY_ACK:
      need(1 + FINGERPRINT_BYTES, 'KEY_ACK')
      return { type, fingerprint: message.subarray(1) }
    case MessageType.PART:
      need(1 + SEALED_PART_BYTES + SIG_BYTES, 'PART')
      return { type, sealed: message.subarray(1, 1 + SEALED_PART_BYTES), signature: message.subarray(1 + SEALED_PART_BYTES) }
    case MessageType.CONFIRM:
      need(33, 'CONFIRM')
      return { type, mac: message.subarray(1) }
    case MessageType.REKEY:
      need(1 + NONCE_BYTES, 'REKEY')
      return { type, nonce: message.subarray(1) }
    case MessageType.SWITCH:
      need(1, 'SWITCH')
      return { type }
    case MessageType.DATA:
      if (message.length < 2) throw bad('empty DATA message')
      return { type, bytes: message.subarray(1) }
    default:
      throw bad(`unknown message type 0x${(type ?? 0).toString(16)} (garbage?)`)
  }
}
