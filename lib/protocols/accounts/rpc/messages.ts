/**
 * Request and response bodies of the account servers, sans-I/O.
 *
 * ```
 * request  = [ op u8 | field* ]            field = [ length u16 BE | bytes ]
 * response = [ 0x00 OK    | field* ]
 *          | [ 0x01 ERROR | code (field, UTF-8) | detail (field, UTF-8) ]
 * ```
 * Each op has a fixed field count and per-field length bounds ({@link OPS}); anything else, and any
 * trailing byte, is a protocol error. Strings are UTF-8 and must round-trip (no invalid sequences).
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../../errors.js'
import type { ErrorCode } from '../../../errors.js'

/** Operation numbers. 0x0_: identity server, 0x1_: key server. */
export const Op = Object.freeze({
  PUT_PUBLIC_KEY: 0x01,
  GET_LOGIN_PARAMS: 0x02,
  GET_ACCESS_TOKEN: 0x03,
  VALIDATE_USER: 0x04,
  GET_SESSION_CHALLENGE: 0x05,
  SUBMIT_SESSION_CHALLENGE: 0x06,
  VALIDATE_SESSION: 0x07,
  END_SESSION: 0x08,
  REVOKE_TOKENS: 0x09,
  DELETE_ACCOUNT: 0x0a,
  CHANGE_PASSWORD: 0x0b,
  PUT_PRIVATE_KEY: 0x11,
  GET_ENCRYPTED_PRIVATE_KEY: 0x12,
  REPLACE_PRIVATE_KEY: 0x13,
  DELETE_PRIVATE_KEY: 0x14
} as const)

/** Field bounds `[min, max]` in bytes, per op, in order. */
const OPS: Readonly<Record<number, { name: string, fields: ReadonlyArray<readonly [number, number]> }>> = {
  // userID, publicKey, kdfSalt, kdfParams, loginKey (empty = account without a password)
  [Op.PUT_PUBLIC_KEY]: { name: 'putPublicKey', fields: [[1, 128], [32, 32], [32, 32], [6, 6], [0, 32]] },
  // userID
  [Op.GET_LOGIN_PARAMS]: { name: 'getLoginParams', fields: [[1, 128]] },
  // userID, purpose, loginKey (empty = prove by the channel's identity key)
  [Op.GET_ACCESS_TOKEN]: { name: 'getAccessToken', fields: [[1, 128], [1, 32], [0, 32]] },
  // userID, accessToken, purpose
  [Op.VALIDATE_USER]: { name: 'validateUser', fields: [[1, 128], [32, 32], [1, 32]] },
  // userID
  [Op.GET_SESSION_CHALLENGE]: { name: 'getSessionChallenge', fields: [[1, 128]] },
  // userID, token
  [Op.SUBMIT_SESSION_CHALLENGE]: { name: 'submitSessionChallenge', fields: [[1, 128], [32, 32]] },
  // userID, sessionToken
  [Op.VALIDATE_SESSION]: { name: 'validateSession', fields: [[1, 128], [32, 32]] },
  // userID, sessionToken
  [Op.END_SESSION]: { name: 'endSession', fields: [[1, 128], [32, 32]] },
  // userID (the channel must be the account's key)
  [Op.REVOKE_TOKENS]: { name: 'revokeTokens', fields: [[1, 128]] },
  // userID (the channel must be the account's key)
  [Op.DELETE_ACCOUNT]: { name: 'deleteAccount', fields: [[1, 128]] },
  // userID, old loginKey, new kdfSalt, new kdfParams, new loginKey (the channel must be the account's key)
  [Op.CHANGE_PASSWORD]: { name: 'changePassword', fields: [[1, 128], [32, 32], [32, 32], [6, 6], [32, 32]] },
  // accessToken, userID, encryptedPrivateKey, nonce (iv), salt, kdfParams
  [Op.PUT_PRIVATE_KEY]: { name: 'putPrivateKey', fields: [[32, 32], [1, 128], [48, 48], [24, 24], [32, 32], [6, 6]] },
  // userID, accessToken
  [Op.GET_ENCRYPTED_PRIVATE_KEY]: { name: 'getEncryptedPrivateKey', fields: [[1, 128], [32, 32]] },
  // changePasswordToken, userID, encryptedPrivateKey, nonce (iv), salt, kdfParams
  [Op.REPLACE_PRIVATE_KEY]: { name: 'replacePrivateKey', fields: [[32, 32], [1, 128], [48, 48], [24, 24], [32, 32], [6, 6]] },
  // deleteAccountToken, userID
  [Op.DELETE_PRIVATE_KEY]: { name: 'deletePrivateKey', fields: [[32, 32], [1, 128]] }
}

/** A parsed request. */
export interface Request {
  /** One of {@link Op}. */
  op: number
  /** The fields, already checked against {@link OPS}. */
  fields: Uint8Array[]
}

/** A parsed response. */
export type Response = { ok: true, fields: Uint8Array[] } | { ok: false, code: string, detail: string }

function encodeFields(head: number, fields: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(head)]
  for (const f of fields) {
    if (f.length > 0xffff) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'accounts messages', 'field over 65535 bytes')
    const len = Buffer.allocUnsafe(2)
    len.writeUInt16BE(f.length, 0)
    parts.push(len, f)
  }
  return Buffer.concat(parts)
}

function decodeFields(body: Uint8Array, phase: string): Uint8Array[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.length)
  const fields: Uint8Array[] = []
  let at = 1
  while (at < b.length) {
    if (at + 2 > b.length) throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'truncated field length')
    const len = b.readUInt16BE(at)
    at += 2
    if (at + len > b.length) throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'field runs past the message')
    fields.push(Uint8Array.from(b.subarray(at, at + len)))
    at += len
  }
  return fields
}

/** Encodes a request, checking its fields against {@link OPS}. */
export function encodeRequest(op: number, fields: Uint8Array[]): Uint8Array {
  checkFields(op, fields, ErrorCodes.INVALID_ARGUMENT)
  return encodeFields(op, fields)
}

/**
 * Parses a request body.
 * @throws SecretChannelError `ERR_PROTOCOL` for an unknown op or malformed fields
 */
export function decodeRequest(body: Uint8Array): Request {
  if (body.length === 0) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts request', 'empty request')
  const op = body[0]!
  const fields = decodeFields(body, 'accounts request')
  checkFields(op, fields, ErrorCodes.PROTOCOL)
  return { op, fields }
}

function checkFields(op: number, fields: Uint8Array[], code: ErrorCode): void {
  const spec = OPS[op]
  if (!spec) throw new SecretChannelError(code, 'accounts request', `unknown operation 0x${op.toString(16).padStart(2, '0')}`)
  if (fields.length !== spec.fields.length) {
    throw new SecretChannelError(code, 'accounts request', `${spec.name} takes ${spec.fields.length} fields, got ${fields.length}`)
  }
  spec.fields.forEach(([min, max], i) => {
    const len = fields[i]!.length
    if (len < min || len > max) throw new SecretChannelError(code, 'accounts request', `${spec.name} field ${i} is ${len} bytes, expected ${min}…${max}`)
  })
}

/** Encodes a success response. */
export function encodeOk(fields: Uint8Array[] = []): Uint8Array {
  return encodeFields(0x00, fields)
}

/** Encodes an error response from its code and detail. */
export function encodeError(code: string, detail: string): Uint8Array {
  return encodeFields(0x01, [Buffer.from(code.slice(0, 64)), Buffer.from(detail.slice(0, 512))])
}

/** Parses a response body; `ERR_PROTOCOL` when malformed. */
export function decodeResponse(body: Uint8Array): Response {
  const phase = 'accounts response'
  if (body.length === 0) throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'empty response')
  const fields = decodeFields(body, phase)
  if (body[0] === 0x00) return { ok: true, fields }
  if (body[0] === 0x01 && fields.length === 2) return { ok: false, code: text(fields[0]!, phase), detail: text(fields[1]!, phase) }
  throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'unknown response kind')
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes → string; `ERR_PROTOCOL` on invalid UTF-8. */
export function text(bytes: Uint8Array, phase = 'accounts request'): string {
  try {
    return decoder.decode(bytes)
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, phase, 'invalid UTF-8', { cause: err })
  }
}

/** string → UTF-8 bytes. */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8')
}

/** A u64 BE millisecond timestamp field. */
export function encodeTime(ms: number): Uint8Array {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(ms))
  return b
}

/** Parses {@link encodeTime}. */
export function decodeTime(bytes: Uint8Array): number {
  if (bytes.length !== 8) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'accounts response', 'a time is 8 bytes')
  return Number(Buffer.from(bytes).readBigUInt64BE(0))
}
