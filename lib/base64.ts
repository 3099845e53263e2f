/**
 * Standard base64 (RFC 4648 §4, with padding) without Node's `Buffer`, for ids and identity files.
 * Decoding is strict: anything but the canonical encoding of some bytes is refused (null), which
 * is what the `@<base64>.ed25519` id form needs (one id per key).
 * @module
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VALUES = new Int16Array(128).fill(-1)
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i

/**
 * Encodes bytes as padded standard base64.
 * @example
 * ```ts
 * toBase64(new Uint8Array([1, 2, 3])) // "AQID"
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '='
  }
  return out
}

/**
 * Decodes padded standard base64; null for anything that is not the canonical encoding of some
 * bytes (wrong length, stray characters, non-zero bits in the padding).
 * @example
 * ```ts
 * fromBase64('AQID') // Uint8Array [1, 2, 3]
 * fromBase64('AQI')  // null (not padded)
 * ```
 */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let at = 0
  for (let i = 0; i < text.length; i += 4) {
    let n = 0
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j)
      const isPadding = c === 61 && i + 4 === text.length && j >= 4 - pad
      const v = isPadding ? 0 : c < 128 ? VALUES[c]! : -1
      if (v < 0) return null
      n = (n << 6) | v
    }
    if (at < out.length) out[at++] = (n >> 16) & 255
    if (at < out.length) out[at++] = (n >> 8) & 255
    if (at < out.length) out[at++] = n & 255
  }
  // Canonical only: re-encoding must give the same text (rules out stray bits before the padding).
  return toBase64(out) === text ? out : null
}
