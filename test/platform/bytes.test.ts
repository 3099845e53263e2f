/**
 * #platform-bytes: Node users keep receiving Buffers (keys, ids, the app key), the browser variant
 * hands out plain Uint8Arrays and never touches Buffer.
 */
import test from 'tape'
import { generateKeyPair, parseId, formatId, SSB_MAIN_NETWORK_APP_KEY, parseIdentityFile, toIdentityFile } from '../../lib/keys.js'
import * as browser from '../../lib/platform/bytes-browser.js'

test('in Node, keys and ids are Buffers as before', (t) => {
  const pair = generateKeyPair()
  t.ok(Buffer.isBuffer(pair.publicKey) && Buffer.isBuffer(pair.secretKey), 'generateKeyPair gives Buffers')
  t.ok(Buffer.isBuffer(parseId(formatId(pair.publicKey))), 'parseId gives a Buffer')
  t.ok(Buffer.isBuffer(SSB_MAIN_NETWORK_APP_KEY), 'the app key is a Buffer')
  const back = parseIdentityFile(JSON.stringify(toIdentityFile(pair)))
  t.ok(Buffer.isBuffer(back.secretKey) && back.secretKey.equals(pair.secretKey), 'identity files round-trip to Buffers')
  t.end()
})

test('the browser variant hands out plain Uint8Arrays', (t) => {
  const bytes = new Uint8Array([1, 2, 3])
  const values = [browser.platformBytes(bytes), browser.copyPlatformBytes(bytes), browser.allocPlatformBytes(3), browser.utf8PlatformBytes('abc'), browser.allocPlatformBytesSlow(3), browser.platformView(bytes.buffer as ArrayBuffer, 0, 3)]
  t.ok(values.every((v) => v instanceof Uint8Array && !Buffer.isBuffer(v)), 'no Buffer among them')
  t.equal(browser.platformBytes(bytes), bytes, 'platformBytes is the same array')
  t.notEqual(browser.copyPlatformBytes(bytes).buffer, bytes.buffer, 'copyPlatformBytes copies')
  t.deepEqual(Array.from(browser.utf8PlatformBytes('é')), [0xc3, 0xa9], 'UTF-8')
  t.end()
})
