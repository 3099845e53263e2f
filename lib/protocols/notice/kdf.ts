/**
 * Session ids, signed statements, the transcript, and the derivation of box-stream keys from the
 * agreed symmetric key. Every label is `secret-channel/notice/v1/<name>\0`.
 *
 * ```
 * sid      = sha256( label("session") ‖ nonceI ‖ nonceR )[0..16]                 first agreement
 * sid'     = sha256( label("rekey") ‖ sid ‖ nonceI' ‖ nonceR' )[0..16]           each re-key
 * KEY sig  = Ed25519 over label("key")  ‖ sid ‖ publicKey
 * PART sig = Ed25519 over label("part") ‖ sid ‖ fp(sender) ‖ fp(recipient) ‖ sealed part
 * T        = sha256( label("transcript") ‖ sid ‖ fpI ‖ fpR ‖ sealedI ‖ sealedR )
 * K        = partI XOR partR                                                     32 bytes
 * PRK      = HMAC-SHA-512/256( key = T, K )                                      extract
 * X(name)  = HMAC-SHA-512/256( key = PRK, label(name) )                          expand, one block
 * confirmKey = X("confirm key")
 * CONFIRM from initiator = HMAC-SHA-512/256( key = confirmKey, label("confirm initiator") ‖ T )
 * CONFIRM from responder = HMAC-SHA-512/256( key = confirmKey, label("confirm responder") ‖ T )
 * initiator → responder: key X("i2r key"), starting nonce X("i2r nonce")[0..24]
 * responder → initiator: key X("r2i key"), starting nonce X("r2i nonce")[0..24]
 * ```
 * I and R are the roles of the first agreement (who sent HELLO), kept for every re-key.
 * HMAC-SHA-512/256 is the backend's `auth` (libsodium `crypto_auth`).
 * @module
 */
import type { CryptoBackend } from '../../crypto/backend.js'
import { wipe } from '../../crypto/policy.js'
import { concatBytes, label } from './bytes.js'

/** Bytes of a session id. */
const SESSION_ID_BYTES = 16
/** Bytes of a phase-1 / re-key nonce. */
export const NONCE_BYTES = 16

const L = {
  session: label('session'),
  rekey: label('rekey'),
  key: label('key'),
  part: label('part'),
  transcript: label('transcript'),
  confirmKey: label('confirm key'),
  confirmI: label('confirm initiator'),
  confirmR: label('confirm responder'),
  i2rKey: label('i2r key'),
  i2rNonce: label('i2r nonce'),
  r2iKey: label('r2i key'),
  r2iNonce: label('r2i nonce')
}

/** The session id of a first agreement, or of a re-key when `previous` is given. */
export function deriveSessionId(crypto: CryptoBackend, nonceI: Uint8Array, nonceR: Uint8Array, previous?: Uint8Array): Uint8Array {
  const input = previous ? concatBytes(L.rekey, previous, nonceI, nonceR) : concatBytes(L.session, nonceI, nonceR)
  return crypto.sha256(input).slice(0, SESSION_ID_BYTES)
}

/** What the KEY message's self-signature covers. */
export function keyStatement(sid: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return concatBytes(L.key, sid, publicKey)
}

/** What the PART message's signature covers. */
export function partStatement(sid: Uint8Array, senderFp: Uint8Array, recipientFp: Uint8Array, sealed: Uint8Array): Uint8Array {
  return concatBytes(L.part, sid, senderFp, recipientFp, sealed)
}

/** The transcript hash T. */
export function transcriptHash(crypto: CryptoBackend, sid: Uint8Array, fpI: Uint8Array, fpR: Uint8Array, sealedI: Uint8Array, sealedR: Uint8Array): Uint8Array {
  return crypto.sha256(concatBytes(L.transcript, sid, fpI, fpR, sealedI, sealedR))
}

/** Everything derived from the agreed key K. The caller wipes it with {@link wipeSessionSecrets}. */
export interface SessionSecrets {
  /** The initiator's CONFIRM MAC. */
  confirmI: Uint8Array
  /** The responder's CONFIRM MAC. */
  confirmR: Uint8Array
  /** Box-stream key and starting nonce, initiator → responder. */
  i2rKey: Uint8Array
  i2rNonce: Uint8Array
  /** Box-stream key and starting nonce, responder → initiator. */
  r2iKey: Uint8Array
  r2iNonce: Uint8Array
}

/** Derives the confirmation MACs and the directional box-stream keys from K and T (see the module doc). */
export function deriveSessionSecrets(crypto: CryptoBackend, agreedKey: Uint8Array, transcript: Uint8Array): SessionSecrets {
  const prk = crypto.auth(agreedKey, transcript)
  const expand = (name: Uint8Array): Uint8Array => crypto.auth(name, prk).slice()
  const confirmKey = expand(L.confirmKey)
  const secrets: SessionSecrets = {
    confirmI: crypto.auth(concatBytes(L.confirmI, transcript), confirmKey).slice(),
    confirmR: crypto.auth(concatBytes(L.confirmR, transcript), confirmKey).slice(),
    i2rKey: expand(L.i2rKey),
    i2rNonce: expand(L.i2rNonce).slice(0, 24),
    r2iKey: expand(L.r2iKey),
    r2iNonce: expand(L.r2iNonce).slice(0, 24)
  }
  wipe(prk, confirmKey)
  return secrets
}

/** Zeroes every secret in `secrets`. */
export function wipeSessionSecrets(secrets: SessionSecrets | null): void {
  if (!secrets) return
  wipe(secrets.confirmI, secrets.confirmR, secrets.i2rKey, secrets.i2rNonce, secrets.r2iKey, secrets.r2iNonce)
}
