/**
 * SHS1 message sizes and layouts, byte for byte as deployed (the JS reference `crypto.js`, which
 * every deployed implementation matches; where the paper differs, the code wins).
 *
 * ```
 * msg1  client hello    64 = hmac[K](ap) (32) ‖ ap (32)
 * msg2  server hello    64 = hmac[K](bp) (32) ‖ bp (32)
 * msg3  client auth    112 = secretbox[key3, 0^24]( sig_A (64) ‖ Ap (32) )          16 + 96
 * msg4  server accept   80 = secretbox[key4, 0^24]( sig_B (64) )                     16 + 64
 *
 * sig_A = sign_A( K ‖ Bp ‖ sha256(ab) )                 key3 = sha256( K ‖ ab ‖ aB )
 * sig_B = sign_B( K ‖ sig_A ‖ Ap ‖ sha256(ab) )         key4 = sha256( K ‖ ab ‖ aB ‖ Ab )
 * ```
 * hmac is HMAC-SHA-512 truncated to 32 bytes, keyed with K alone (the paper's K|ab was never
 * deployed). Each box key is used once, so the all-zero nonce is safe.
 * @module
 */

/** Bytes in the client hello (msg1). */
export const CLIENT_HELLO_BYTES = 64
/** Bytes in the server hello (msg2). */
export const SERVER_HELLO_BYTES = 64
/** Bytes in the client authentication (msg3). */
export const CLIENT_AUTH_BYTES = 112
/** Bytes in the server acceptance (msg4). */
export const SERVER_ACCEPT_BYTES = 80

/** Bytes of an app key (network identifier). */
export const APP_KEY_BYTES = 32

/** The all-zero nonce used for msg3 and msg4. */
export const ZERO_NONCE: Uint8Array = new Uint8Array(24)

/**
 * The placeholder for a machine's not-yet-known values: one shared empty array instead of nine
 * fresh ones per handshake (zero bytes, so nothing can be written into it or wiped out of it).
 */
export const NOTHING: Uint8Array = new Uint8Array(0)

/** Names of the four steps, used in error messages. */
export const Phase = Object.freeze({
  CLIENT_HELLO: 'client hello (phase 1)',
  SERVER_HELLO: 'server hello (phase 2)',
  CLIENT_AUTH: 'client auth (phase 3)',
  SERVER_ACCEPT: 'server accept (phase 4)',
  HANDSHAKE: 'handshake'
} as const)

export { concatBytes as concat } from '../bytes.js'
