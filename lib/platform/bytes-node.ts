/**
 * How the package hands bytes to its users, per platform, through the `#platform-bytes` import
 * (package.json "imports"). In Node every byte array a user receives is a `Buffer` (as it always
 * was: `.equals`, `.toString('hex')` keep working); the `browser` condition maps the same names to
 * plain `Uint8Array`s in `bytes-browser.ts`, so the portable core needs no `Buffer` global.
 * @module
 */

/** A `Buffer` over the same memory as `bytes` (no copy). */
export function platformBytes(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A `Buffer` copy of `bytes` (never `Buffer.from` on a Buffer view without copying). */
export function copyPlatformBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes)
}

/** `size` uninitialised bytes as a `Buffer` (from Node's pool when small). */
export function allocPlatformBytes(size: number): Buffer {
  return Buffer.allocUnsafe(size)
}

/** UTF-8 bytes of a string, as a `Buffer`. */
export function utf8PlatformBytes(text: string): Buffer {
  return Buffer.from(text)
}

/** `size` uninitialised bytes outside Node's pool (for slabs the caller carves up). */
export function allocPlatformBytesSlow(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size)
}

/** A `Buffer` view of `length` bytes of `buffer` from `offset` (no copy). */
export function platformView(buffer: ArrayBuffer, offset: number, length: number): Buffer {
  return Buffer.from(buffer, offset, length)
}

/** Bytes of base64 text, as leniently as `Buffer.from(text, 'base64')` (the reference's app-key parsing). */
export function base64PlatformBytes(text: string): Buffer {
  return Buffer.from(text, 'base64')
}
