/**
 * Small byte helpers shared by the notice protocol files.
 * @module
 */

const encoder = new TextEncoder()

/** The domain-separation label `secret-channel/notice/v1/<name>` as bytes (NUL-terminated so no label is a prefix of another). */
export function label(name: string): Uint8Array {
  return encoder.encode(`secret-channel/notice/v1/${name}\0`)
}

/** Concatenates byte arrays into a fresh one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
