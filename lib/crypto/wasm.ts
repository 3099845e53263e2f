/**
 * The WebAssembly backend: libsodium compiled to WASM (`libsodium-wrappers`, an optional
 * dependency the application installs). No native addon, so it runs in browsers, Deno, Bun and
 * in Node without a prebuild. Measured in Node (docs/perf-notes §5): box+unbox 107–112 MB/s
 * against noble's 50–53, handshakes 694–711/s against 81–86.
 *
 * WebAssembly compiles asynchronously, so this backend needs an explicit
 * `await cryptoReady('wasm')` (or {@link loadWasmBackend}) before use; until then
 * {@link createWasmBackend} throws, and the process-wide choice skips it.
 *
 * libsodium-wrappers bundles libsodium 1.0.22, newer than the 1.0.18 whose strictness we pin: as
 * in the sodium-native backend, every check whose rules could differ runs `policy.ts` first.
 * Its non-sumo build has no SHA-256, which comes from `sha256.ts`.
 * @module
 */
import type { CryptoBackend, SignKeyPair } from './backend.js'
import { hkdfFromHmac, hmacFromHash, portableScrypt } from './derive.js'
import { sha256 } from './sha256.js'
import { webRandomBytes } from './web-random.js'
import { hasSmallOrderEdwardsEncoding, isAllZero, isCanonicalEdwardsEncoding, passesSignaturePrechecks } from './policy.js'

/** The slice of libsodium-wrappers' API this backend calls. */
interface SodiumWrappers {
  ready: Promise<unknown>
  crypto_hash(message: Uint8Array): Uint8Array
  crypto_auth(message: Uint8Array, key: Uint8Array): Uint8Array
  crypto_auth_verify(tag: Uint8Array, message: Uint8Array, key: Uint8Array): boolean
  crypto_sign_seed_keypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array }
  crypto_sign_detached(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  crypto_sign_ed25519_pk_to_curve25519(publicKey: Uint8Array): Uint8Array
  crypto_sign_ed25519_sk_to_curve25519(secretKey: Uint8Array): Uint8Array
  crypto_scalarmult_base(secretKey: Uint8Array): Uint8Array
  crypto_scalarmult(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  crypto_secretbox_detached(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): { mac: Uint8Array; cipher: Uint8Array }
  crypto_secretbox_open_detached(cipher: Uint8Array, mac: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array
  /** The Emscripten module underneath (exported by libsodium-wrappers 0.8). */
  libsodium?: SodiumModule
}

/**
 * The raw Emscripten exports the data path calls. 64-bit lengths are passed as two 32-bit halves
 * (low, high), as the wrappers themselves do.
 */
interface SodiumModule {
  HEAPU8: Uint8Array
  _malloc(size: number): number
  _crypto_secretbox_detached(c: number, mac: number, m: number, lenLow: number, lenHigh: number, n: number, k: number): number
  _crypto_secretbox_open_detached(m: number, c: number, mac: number, lenLow: number, lenHigh: number, n: number, k: number): number
}

/** Bodies up to this size go through one fixed region of the WASM heap (box-stream bodies are <= 4096). */
const HEAP_DATA_BYTES = 64 * 1024

/**
 * The data path without the wrappers' per-call cost (argument checks, two mallocs and frees, an
 * output copy): key, nonce, tag and data are copied into one region of the WASM heap allocated
 * once, and libsodium works in place there.
 * ```
 * region: [ key (32) | nonce (24) | tag (16) | data (up to 64 KiB) ]
 * ```
 * The key is wiped from the heap after every call. Returns null when the module does not expose
 * what is needed (the wrappers' API is used instead).
 */
function heapSecretbox(mod: SodiumModule | undefined): Pick<CryptoBackend, 'secretboxSealDetached' | 'secretboxOpenDetached'> | null {
  if (!mod || typeof mod._malloc !== 'function' || typeof mod._crypto_secretbox_detached !== 'function' || typeof mod._crypto_secretbox_open_detached !== 'function') return null
  const base = mod._malloc(32 + 24 + 16 + HEAP_DATA_BYTES)
  if (!base) return null
  const k = base
  const n = base + 32
  const mac = base + 56
  const m = base + 72
  return {
    secretboxSealDetached(data, tag, nonce, key) {
      if (key.length !== 32 || nonce.length !== 24 || tag.length !== 16) throw new Error('secretbox: key 32, nonce 24 and tag 16 bytes')
      // HEAPU8 is re-read on every call: the view is replaced whenever WASM memory grows.
      const heap = mod.HEAPU8
      heap.set(key, k)
      heap.set(nonce, n)
      heap.set(data, m)
      mod._crypto_secretbox_detached(m, mac, m, data.length, 0, n, k)
      heap.fill(0, k, k + 32)
      data.set(heap.subarray(m, m + data.length))
      tag.set(heap.subarray(mac, mac + 16))
    },
    secretboxOpenDetached(out, cipher, tag, nonce, key) {
      if (tag.length !== 16 || key.length !== 32 || nonce.length !== 24 || out.length !== cipher.length) return false
      const heap = mod.HEAPU8
      heap.set(key, k)
      heap.set(nonce, n)
      heap.set(tag, mac)
      heap.set(cipher, m)
      const ok = mod._crypto_secretbox_open_detached(m, m, mac, cipher.length, 0, n, k) === 0
      heap.fill(0, k, k + 32)
      if (ok) out.set(heap.subarray(m, m + cipher.length))
      heap.fill(0, m, m + cipher.length)
      return ok
    }
  }
}

let sodium: SodiumWrappers | null = null
/** The heap-region data path, set up once per process (see {@link heapSecretbox}). */
let heapBox: ReturnType<typeof heapSecretbox> | undefined
let loading: Promise<SodiumWrappers> | null = null

/**
 * Loads and initialises libsodium-wrappers once; resolves to the backend. Rejects when the
 * package is not installed or WebAssembly is unavailable.
 * @example
 * ```ts
 * useCryptoBackend(await loadWasmBackend())
 * ```
 */
export async function loadWasmBackend(): Promise<CryptoBackend> {
  if (!sodium) {
    loading ??= import('libsodium-wrappers').then(async (mod) => {
      const lib = ((mod as { default?: unknown }).default ?? mod) as SodiumWrappers
      await lib.ready
      return lib
    })
    try {
      sodium = await loading
    } catch (err) {
      loading = null
      throw err
    }
  }
  return createWasmBackend()
}

/**
 * Creates the WASM backend once {@link loadWasmBackend} (or `cryptoReady('wasm')`) has finished.
 * @throws Error before that, so the synchronous backend choice falls through to the next backend
 * @example
 * ```ts
 * await loadWasmBackend() // once, at start-up: loads libsodium's WASM
 * const backend = createWasmBackend() // synchronous from here on
 * const keys = backend.signKeyPairFromSeed(backend.randomBytes(32))
 * ```
 */
export function createWasmBackend(): CryptoBackend {
  const lib = sodium
  if (!lib) throw new Error('the wasm backend needs `await cryptoReady(\'wasm\')` first')

  const heap = heapBox ??= heapSecretbox(lib.libsodium) ?? undefined

  const backend: CryptoBackend = {
    name: 'wasm',

    // The platform's CSPRNG, not libsodium-wrappers' randombytes_buf (about 57 µs per call in Chromium).
    randomBytes: webRandomBytes,

    sha256: (data) => sha256(data),

    sha512: (data) => lib.crypto_hash(data),

    auth: (data, key) => lib.crypto_auth(data, key),

    authVerify: (tag, data, key) => tag.length === 32 && key.length === 32 && lib.crypto_auth_verify(tag, data, key),

    signKeyPairFromSeed(seed): SignKeyPair {
      const pair = lib.crypto_sign_seed_keypair(seed)
      return { publicKey: pair.publicKey, secretKey: pair.privateKey }
    },

    sign: (message, secretKey) => lib.crypto_sign_detached(message, secretKey),

    verify(signature, message, publicKey) {
      if (!passesSignaturePrechecks(signature, publicKey)) return false
      try {
        return lib.crypto_sign_verify_detached(signature, message, publicKey)
      } catch {
        return false
      }
    },

    signPublicKeyToCurve(publicKey) {
      if (publicKey.length !== 32 || !isCanonicalEdwardsEncoding(publicKey) || hasSmallOrderEdwardsEncoding(publicKey)) return null
      try {
        // libsodium also refuses points off the curve or outside the prime-order subgroup.
        return lib.crypto_sign_ed25519_pk_to_curve25519(publicKey)
      } catch {
        return null
      }
    },

    signSecretKeyToCurve: (secretKey) => lib.crypto_sign_ed25519_sk_to_curve25519(secretKey),

    scalarMultBase: (secretKey) => lib.crypto_scalarmult_base(secretKey),

    scalarMult(secretKey, publicKey) {
      if (publicKey.length !== 32 || secretKey.length !== 32) return null
      try {
        // Throws for an all-zero result (a low-order public key).
        const out = lib.crypto_scalarmult(secretKey, publicKey)
        return isAllZero(out) ? null : out
      } catch {
        return null
      }
    },

    secretboxSealDetached(data, tag, nonce, key) {
      if (heap && data.length <= HEAP_DATA_BYTES) return heap.secretboxSealDetached(data, tag, nonce, key)
      // The wrappers copy in and out of the WASM heap; the result goes back where the data lay.
      const { cipher, mac } = lib.crypto_secretbox_detached(data, nonce, key)
      data.set(cipher)
      tag.set(mac)
    },

    secretboxOpenDetached(out, cipher, tag, nonce, key) {
      if (tag.length !== 16 || out.length !== cipher.length) return false
      if (heap && cipher.length <= HEAP_DATA_BYTES) return heap.secretboxOpenDetached(out, cipher, tag, nonce, key)
      let plain: Uint8Array
      try {
        plain = lib.crypto_secretbox_open_detached(cipher, tag, nonce, key)
      } catch {
        return false
      }
      out.set(plain)
      plain.fill(0)
      return true
    },

    // libsodium has no HMAC-SHA-256 over arbitrary keys nor HKDF: built from SHA-256 (derive.ts).
    hmacSha256: (key, data) => hmacFromHash(sha256, key, data),

    hkdfSha256: (ikm, salt, info, length) => hkdfFromHmac(backend.hmacSha256, ikm, salt, info, length),

    // libsodium.js ships scrypt only in its sumo build; noble's is portable (browser and Node) and gives the same bytes.
    scrypt: portableScrypt
  }
  return backend
}
