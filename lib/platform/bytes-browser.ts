/**
 * The portable side of `#platform-bytes` (see `bytes-node.ts`): plain `Uint8Array`s, typed as
 * `Buffer` only so that both platforms share one set of declarations; in a browser the values
 * have no Buffer methods.
 * @module
 */
import { fromBase64 } from '../base64.js'
import type { PlatformBytes } from './bytes-type.js'

/** `bytes` itself. */
export function platformBytes(bytes: Uint8Array): PlatformBytes {
  return bytes as PlatformBytes
}

/** A copy of `bytes`. */
export function copyPlatformBytes(bytes: Uint8Array): PlatformBytes {
  return new Uint8Array(bytes) as PlatformBytes
}

/** `size` zeroed bytes (a browser has no uninitialised allocation). */
export function allocPlatformBytes(size: number): PlatformBytes {
  return new Uint8Array(size) as PlatformBytes
}

/** UTF-8 bytes of a string. */
export function utf8PlatformBytes(text: string): PlatformBytes {
  return new TextEncoder().encode(text) as PlatformBytes
}

/** `size` zeroed bytes (for slabs the caller carves up). */
export function allocPlatformBytesSlow(size: number): PlatformBytes {
  return new Uint8Array(size) as PlatformBytes
}

/** A view of `length` bytes of `buffer` from `offset` (no copy). */
export function platformView(buffer: ArrayBuffer, offset: number, length: number): PlatformBytes {
  return new Uint8Array(buffer, offset, length) as PlatformBytes
}

/** Bytes of canonical padded base64 text; empty for anything else (so a length check refuses it). */
export function base64PlatformBytes(text: string): PlatformBytes {
  return (fromBase64(text) ?? new Uint8Array(0)) as PlatformBytes
}
