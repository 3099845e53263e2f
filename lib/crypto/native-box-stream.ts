/**
 * The optional native box-stream accelerator (`native/box-stream.c`), for the sodium-native backend.
 *
 * Box-stream seals and opens two secretboxes per 4 KiB frame. Through sodium-native that is two
 * N-API crossings per frame, each deriving the XSalsa20 subkey again. The addon frames a whole
 * write, or opens every whole frame of a received chunk, in one call, with the subkey derived once
 * per direction. Over TCP that measured 0.1 to 0.37 CPU s/GiB less per side (docs/perf.md).
 *
 * Installing the package never builds it: `scripts/build-native.js` does (`npm run build:native`,
 * or a checkout's `npm run build`) where a C compiler and libsodium's headers exist. Elsewhere it is
 * simply absent: this module returns null and the codecs seal and open frame by frame, with the
 * same bytes on the wire. `SECRET_CHANNEL_NATIVE=0` turns it off.
 * Node only: the sodium-native backend that uses it is never part of a browser bundle.
 * @module
 */
import { createRequire } from 'node:module'
import { SodiumKeyedSecretbox, type CheckedSecretbox } from './sodium-keyed.js'
import type { OpenFramesStatus } from './backend.js'
import { wipe } from './policy.js'

/**
 * The addon's two functions, as `native/box-stream.c` defines them. Both return -1 and do nothing
 * for arguments they refuse; they never throw and never keep a reference.
 * @example
 * ```ts
 * const native = loadNativeBoxStream()
 * const written = native?.sealFrames(key, cache, nonce, plaintext, wire, 0) ?? -1
 * ```
 */
export interface NativeBoxStream {
  /** Frames `source` into `out` at `offset`; bytes written or -1. `cache` is 49 bytes, zeroed to start. */
  sealFrames(key: Uint8Array, cache: Uint8Array, nonce: Uint8Array, source: Uint8Array, out: Uint8Array, offset: number): number
  /** Opens whole frames of `chunk` from `at`, plaintext into `out` from `to`; see `KeyedSecretbox.openFrames`. */
  openFrames(key: Uint8Array, cache: Uint8Array, nonce: Uint8Array, chunk: Uint8Array, at: number, out: Uint8Array, to: number, result: Uint32Array): OpenFramesStatus
}

/** Bytes of the per-direction cache the addon keeps the subkey in (subkey 32 ‖ nonce prefix 16 ‖ valid 1). */
const CACHE_BYTES = 49

let loaded: NativeBoxStream | null | undefined

/** True when `SECRET_CHANNEL_NATIVE` asks for the addon to stay unused. */
function nativeTurnedOff(): boolean {
  return /^(0|false|off|no)$/i.test(globalThis.process?.env?.SECRET_CHANNEL_NATIVE ?? '')
}

/**
 * The addon, or null when it was not built, fails to load, or `SECRET_CHANNEL_NATIVE=0`. Tried once
 * per process.
 * @example
 * ```ts
 * console.log(loadNativeBoxStream() ? 'native box-stream' : 'frame by frame')
 * ```
 */
export function loadNativeBoxStream(): NativeBoxStream | null {
  if (loaded !== undefined) return loaded
  loaded = null
  if (nativeTurnedOff()) return loaded
  try {
    // dist/lib/crypto/ → the package root, where node-gyp left native/build/Release/.
    const addon = createRequire(import.meta.url)('../../../native/build/Release/box_stream.node') as Partial<NativeBoxStream>
    if (typeof addon.sealFrames === 'function' && typeof addon.openFrames === 'function') loaded = addon as NativeBoxStream
  } catch {
    // Not built here (no compiler, no libsodium headers, or never asked for): the codecs do without it.
  }
  return loaded
}

/**
 * {@link SodiumKeyedSecretbox} plus the addon's whole-frame calls. The subkey cache is made on the
 * first batch (an idle connection never makes one) and wiped with the key.
 * @example
 * ```ts
 * const box = new NativeKeyedSecretbox(key, sodium, loadNativeBoxStream()!)
 * const written = box.sealFrames(plaintext, wire, 0, nonce) // -1: seal frame by frame instead
 * box.wipe()
 * ```
 */
export class NativeKeyedSecretbox extends SodiumKeyedSecretbox {
  private readonly native: NativeBoxStream
  private cache: Uint8Array | null = null

  /**
   * @param key - the 32-byte key, used where it lies (as {@link SodiumKeyedSecretbox})
   * @param checked - sodium-native's exported functions, for the frame-by-frame calls
   * @param native - the loaded addon
   */
  constructor(key: Uint8Array, checked: CheckedSecretbox, native: NativeBoxStream) {
    super(key, checked)
    this.native = native
  }

  private subkeyCache(): Uint8Array {
    return (this.cache ??= new Uint8Array(CACHE_BYTES))
  }

  sealFrames(source: Uint8Array, out: Uint8Array, offset: number, nonce: Uint8Array): number {
    if (this.wiped) return -1
    return this.native.sealFrames(this.key, this.subkeyCache(), nonce, source, out, offset)
  }

  openFrames(chunk: Uint8Array, at: number, out: Uint8Array, to: number, nonce: Uint8Array, result: Uint32Array): OpenFramesStatus {
    if (this.wiped) return -1
    return this.native.openFrames(this.key, this.subkeyCache(), nonce, chunk, at, out, to, result)
  }

  override wipe(): void {
    super.wipe()
    wipe(this.cache)
    this.cache = null
  }
}
