/**
 * Standard base64 (RFC 4648 §4, with padding) for ids and identity files, on `b4a` (streamx's own
 * byte helper, already in every bundle that has `SecretStream`: Node's `Buffer` in Node, its own
 * codec in a browser), so the package carries no second base64 codec.
 * Decoding is strict: anything but the canonical encoding of some bytes is refused (null), which
 * is what the `@<base64>.ed25519` id form needs (one id per key). `b4a`'s decoder is lenient
 * (it skips or maps characters outside the alphabet), so a text counts only if encoding what it
 * decoded to gives the same text back.
 * @module
 */
import b4a from 'b4a'

/**
 * Encodes bytes as padded standard base64.
 * @example
 * ```ts
 * toBase64(new Uint8Array([1, 2, 3])) // "AQID"
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  return b4a.toString(bytes, 'base64')
}

/**
 * Decodes canonical padded standard base64; null for anything else (wrong length, characters
 * outside the alphabet, stray bits before the padding, whitespace).
 * @example
 * ```ts
 * fromBase64('AQID') // Uint8Array [1, 2, 3]
 * fromBase64('AQIE=') // null
 * ```
 */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null
  const decoded = b4a.from(text, 'base64')
  // A fresh array of its own: Node's Buffer.from may hand out a slice of its shared pool.
  return b4a.toString(decoded, 'base64') === text ? new Uint8Array(decoded) : null
}
