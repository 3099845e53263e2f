/**
 * Where the portable backends' randomness comes from: the platform's CSPRNG,
 * `globalThis.crypto.getRandomValues`, in pieces it accepts (at most 65,536 bytes per call).
 * The wasm backend used libsodium-wrappers' `randombytes_buf` before, which takes about 57 µs
 * for 32 bytes in Chromium: two of them were a tenth of a wasm handshake pair there.
 */
import test from 'tape'
import { cryptoReady, createCryptoBackend } from '../../lib/crypto/index.js'

await cryptoReady('wasm')

/** Runs `body` with getRandomValues replaced by a recording spy that fills with `0x5a`; returns the sizes asked for. */
function withSpy(body: () => void): number[] {
  const sizes: number[] = []
  const source = globalThis.crypto
  Object.defineProperty(source, 'getRandomValues', {
    configurable: true,
    value: <T extends ArrayBufferView | null>(array: T): T => {
      if (array === null) throw new TypeError('no array')
      if (array.byteLength > 65536) throw new RangeError('more than 65536 bytes asked of getRandomValues')
      sizes.push(array.byteLength)
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0x5a)
      return array
    }
  })
  try {
    body()
  } finally {
    delete (source as { getRandomValues?: unknown }).getRandomValues // the prototype's method again
  }
  return sizes
}

for (const name of ['wasm', 'noble']) {
  test(`random source: the ${name} backend draws from globalThis.crypto.getRandomValues`, (t) => {
    const crypto = createCryptoBackend(name)
    let small: Uint8Array = new Uint8Array(0)
    let large: Uint8Array = new Uint8Array(0)
    const sizes = withSpy(() => {
      small = crypto.randomBytes(32)
      large = crypto.randomBytes(100_000)
    })
    t.deepEqual(sizes, [32, 65536, 100_000 - 65536], 'one call for 32 bytes, 64 KiB pieces for more')
    t.ok(small.length === 32 && small.every((b) => b === 0x5a), 'the 32 bytes are what getRandomValues wrote')
    t.ok(large.length === 100_000 && large.every((b) => b === 0x5a), 'so are all 100,000')
    const a = crypto.randomBytes(32)
    const b = crypto.randomBytes(32)
    t.notDeepEqual(a, b, 'with the real source again, two draws differ')
    t.end()
  })
}
