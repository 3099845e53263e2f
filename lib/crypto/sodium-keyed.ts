/**
 * The sodium-native backend's per-direction secretbox (`CryptoBackend.keyedSecretbox`):
 * the box-stream data path's two libsodium calls per frame, with as little around them as possible.
 *
 * sodium-native's exported functions check every argument in JavaScript (five `ArrayBuffer.isView`
 * and four length assertions per call) before calling its native binding. Box-stream makes two
 * calls per 4 KiB frame, 524,288 per GiB, so those checks cost about 0.03 s/GiB per side on the
 * dev machine (perf-notes.md §2: 0.969 → 0.924 s/GiB to seal). Here the key and nonce lengths are
 * fixed by construction and the remaining lengths are checked once, as plain integer compares,
 * then the binding is called directly. The binding asserts sizes again in C, so a check missed here
 * would abort the process: every entry point below checks every length it does not own.
 * @module
 */
import { createRequire } from 'node:module'
import type { KeyedSecretbox } from './backend.js'
import type { SodiumNative } from './sodium.js'
import { wipe } from './policy.js'

/** The two raw binding functions used, as sodium-native 5 defines them in binding.cc. */
interface SecretboxBinding {
  crypto_secretbox_detached(c: Uint8Array, mac: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): number
  crypto_secretbox_open_detached(m: Uint8Array, c: Uint8Array, mac: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
}

let binding: SecretboxBinding | null | undefined

/**
 * sodium-native's native binding (`sodium-native/binding.js`, the module its `index.js` wraps), or
 * null when it is not there or does not look as expected (then the checked functions are used).
 */
function loadBinding(): SecretboxBinding | null {
  if (binding !== undefined) return binding
  try {
    const b = createRequire(import.meta.url)('sodium-native/binding.js') as Partial<SecretboxBinding>
    binding = typeof b.crypto_secretbox_detached === 'function' && typeof b.crypto_secretbox_open_detached === 'function' ? (b as SecretboxBinding) : null
  } catch {
    binding = null
  }
  return binding
}

/**
 * sodium-native's exported (checked) functions, as a fallback: they throw where the binding returns non-zero.
 * @example
 * ```ts
 * const checked: CheckedSecretbox = createRequire(import.meta.url)('sodium-native')
 * ```
 */
export type CheckedSecretbox = Pick<SodiumNative, 'crypto_secretbox_detached' | 'crypto_secretbox_open_detached'>

/** The checked functions in the binding's shape. */
function fromChecked(checked: CheckedSecretbox): SecretboxBinding {
  return {
    crypto_secretbox_detached: (c, mac, m, n, k) => {
      checked.crypto_secretbox_detached(c, mac, m, n, k)
      return 0
    },
    crypto_secretbox_open_detached: (m, c, mac, n, k) => checked.crypto_secretbox_open_detached(m, c, mac, n, k)
  }
}

/**
 * A keyed secretbox over sodium-native, calling its binding without the per-call JS checks.
 * A class rather than a closure per method: every open channel holds two (one per direction),
 * and methods on the prototype keep each to one small object (the key is the coder's own copy).
 * @example
 * ```ts
 * const box = new SodiumKeyedSecretbox(key, sodium)
 * box.sealFrom(wire.subarray(34, 34 + 4096), wire.subarray(18, 34), plaintext, nonce)
 * box.wipe()
 * ```
 */
export class SodiumKeyedSecretbox implements KeyedSecretbox {
  protected readonly key: Uint8Array
  private readonly raw: SecretboxBinding
  protected wiped = false

  /**
   * @param key - the 32-byte key, used where it lies (not copied: the box-stream coders pass their
   *   own private copy, and an idle channel should not hold two more); {@link wipe} zeroes it
   * @param checked - sodium-native's exported (checked) functions, used when the binding cannot be loaded
   */
  constructor(key: Uint8Array, checked: CheckedSecretbox) {
    if (key.length !== 32) throw new RangeError('secretbox key must be 32 bytes')
    this.key = key
    this.raw = loadBinding() ?? fromChecked(checked)
  }

  private usable(tag: Uint8Array, nonce: Uint8Array): boolean {
    return !this.wiped && tag.length === 16 && nonce.length === 24
  }

  seal(data: Uint8Array, tag: Uint8Array, nonce: Uint8Array): void {
    if (!this.usable(tag, nonce)) throw new RangeError('secretbox: tag 16 and nonce 24 bytes, key not wiped')
    // libsodium allows the ciphertext to overlap the message exactly: encryption in place.
    if (this.raw.crypto_secretbox_detached(data, tag, data, nonce, this.key) !== 0) throw new Error('crypto_secretbox_detached failed')
  }

  sealFrom(out: Uint8Array, tag: Uint8Array, message: Uint8Array, nonce: Uint8Array): void {
    if (!this.usable(tag, nonce) || out.length !== message.length) throw new RangeError('secretbox: out as long as message, tag 16 and nonce 24 bytes, key not wiped')
    if (this.raw.crypto_secretbox_detached(out, tag, message, nonce, this.key) !== 0) throw new Error('crypto_secretbox_detached failed')
  }

  open(out: Uint8Array, cipher: Uint8Array, tag: Uint8Array, nonce: Uint8Array): boolean {
    if (!this.usable(tag, nonce) || out.length !== cipher.length) return false
    return this.raw.crypto_secretbox_open_detached(out, cipher, tag, nonce, this.key)
  }

  wipe(): void {
    this.wiped = true
    wipe(this.key)
  }
}
