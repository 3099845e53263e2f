/**
 * The portable side of `#platform-bytes` (see `bytes-node.ts`): plain `Uint8Array`s, typed as
 * `Buffer` only so that both platforms share one set of declarations; in a browser the values
 * have no Buffer methods.
 * @module
 */
import { fromBase64 } from '../base64.js'

/** `bytes` itself. */
export function platformBytes(bytes: Uint8Array): Buffer {
  return bytes as Buffer
}

/** A copy of `bytes`. */
export function copyPlatformBytes(bytes: Uint8Array): Buffer {
  return new Uint8Array(bytes) as Buffer
}

/** `size` zeroed bytes (a browser has no uninitialised allocation). */
export function allocPlatformBytes(size: number): Buffer {
  return new Uint8Array(size) as Buffer
}

/** UTF-8 bytes of a string. */
export function utf8PlatformBytes(text: string): Buffer {
  return new TextEncoder().encode(text) as Buffer
}

/** `size` zeroed bytes (for slabs the caller carves up). */
export function allocPlatformBytesSlow(size: number): Buffer {
  return new Uint8Array(size) as Buffer
}

/** A view of `length` bytes of `buffer` from `offset` (no copy). */
export function platformView(buffer: ArrayBuffer, offset: number, length: number): Buffer {
  return new Uint8Array(buffer, offset, length) as Buffer
}

/** Bytes of canonical padded base64 text; empty for anything else (so a length check refuses it). */
export function base64PlatformBytes(text: string): Buffer {
  return (fromBase64(text) ?? new Uint8Array(0)) as Buffer
}
