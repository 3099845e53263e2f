/**
 * Small byte helpers shared by the notice protocol files.
 * @module
 */

const encoder = new TextEncoder()

/** The domain-separation label `secret-channel/notice/v1/<name>` as bytes (NUL-terminated so no label is a prefix of another). */
export function label(name: string): Uint8Array {
  return encoder.encode(`secret-channel/notice/v1/${name}\0`)
}

export { concatBytes } from '../../bytes.js'
