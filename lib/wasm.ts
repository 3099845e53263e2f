/**
 * `secret-channel/wasm`: the WebAssembly crypto backend (libsodium-wrappers, installed by the
 * application) for the portable core, where it is not registered by default so the core bundle
 * stays small. In Node it is already known to `cryptoReady()`.
 * @module
 */
import type { CryptoBackend } from './crypto/backend.js'
import { cryptoReady, registerCryptoBackend } from './crypto/index.js'
import { createWasmBackend, loadWasmBackend } from './crypto/wasm.js'

export { createWasmBackend, loadWasmBackend }

/**
 * Registers the WASM backend, loads it and makes it the process-wide backend.
 * @example
 * ```ts
 * import { useWasmCrypto } from 'secret-channel/wasm'
 * await useWasmCrypto() // then open channels as usual
 * ```
 */
export async function useWasmCrypto(): Promise<CryptoBackend> {
  registerCryptoBackend('wasm', createWasmBackend, loadWasmBackend)
  return cryptoReady('wasm')
}
