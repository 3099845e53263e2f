/** Password → keys, sealed private keys, and the sealed box. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { assertKdfParams, decodeKdfParams, defaultKdfParams, derivePasswordKeys, encodeKdfParams } from '../../lib/protocols/accounts/kdf.js'
import { ENCODED_SEALED_KEY_BYTES, decodeSealedKey, encodeSealedKey, sealPrivateKey, unsealPrivateKey } from '../../lib/protocols/accounts/sealed-key.js'
import { openSealed, sealToPublicKey } from '../../lib/protocols/accounts/sealed-box.js'

const alice = generateKeyPair()

test('kdf: two independent keys, deterministic per salt, different per salt and password', async (t) => {
  const salt = new Uint8Array(32).fill(1)
  const a = await derivePasswordKeys('pässword', salt, TEST_KDF)
  const b = await derivePasswordKeys('pässword'.normalize('NFD'), salt, TEST_KDF)
  t.ok(Buffer.from(a.sealKey).equals(Buffer.from(b.sealKey)), 'same password (any Unicode normal form) → same keys')
  t.notOk(Buffer.from(a.sealKey).equals(Buffer.from(a.loginKey)), 'seal key and login key differ')
  const c = await derivePasswordKeys('pässword', new Uint8Array(32).fill(2), TEST_KDF)
  t.notOk(Buffer.from(a.loginKey).equals(Buffer.from(c.loginKey)), 'another salt → other keys')
  const d = await derivePasswordKeys('password', salt, TEST_KDF)
  t.notOk(Buffer.from(a.loginKey).equals(Buffer.from(d.loginKey)), 'another password → other keys')
  t.deepEqual(decodeKdfParams(encodeKdfParams({ logN: 17, r: 8, p: 1 })), { logN: 17, r: 8, p: 1 }, 'params round-trip')
  t.throws(() => assertKdfParams({ logN: 10, r: 8, p: 1 }, { logN: 15, r: 8, p: 1 }), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_ARGUMENT'), 'weak params refused against a minimum')
  t.throws(() => decodeKdfParams(Uint8Array.of(1, 40, 0, 8, 0, 1)), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'absurd params from the wire refused')
  t.equal(defaultKdfParams().r, 8, 'defaults: r = 8')
  t.throws(() => decodeKdfParams(Uint8Array.of(1, 22, 0, 32, 0, 1)), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'parameters needing 16 GiB are refused before scrypt runs')
  t.doesNotThrow(() => assertKdfParams({ logN: 20, r: 8, p: 1 }), '1 GiB (logN 20, r 8) is the most allowed')
})

test('sealed key: round trip, wrong password, tampering, another identity', async (t) => {
  const { sealed } = await sealPrivateKey(alice.secretKey, 'hunter2', { kdf: TEST_KDF })
  t.equal(sealed.encryptedPrivateKey.length, 48, 'tag ‖ sealed seed')
  t.equal(sealed.nonce.length, 24, '24-byte nonce')
  t.equal(sealed.salt.length, 32, '32-byte salt')
  t.deepEqual(sealed.kdf, TEST_KDF, 'params kept with the record')
  const back = await unsealPrivateKey(sealed, 'hunter2', alice.publicKey)
  t.ok(Buffer.from(back.secretKey).equals(Buffer.from(alice.secretKey)), 'the right password opens it')

  const wrong = await unsealPrivateKey(sealed, 'hunter3').catch((e) => e)
  t.ok(isSecretChannelError(wrong, 'ERR_WRONG_PASSWORD'), 'wrong password → ERR_WRONG_PASSWORD')
  for (const field of ['encryptedPrivateKey', 'nonce', 'salt'] as const) {
    const bad = { ...sealed, [field]: Uint8Array.from(sealed[field]) }
    bad[field][3]! ^= 1
    const err = await unsealPrivateKey(bad, 'hunter2').catch((e) => e)
    t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), `a flipped bit in ${field} is caught`)
  }
  const other = await unsealPrivateKey(sealed, 'hunter2', generateKeyPair().publicKey).catch((e) => e)
  t.ok(isSecretChannelError(other, 'ERR_WRONG_PASSWORD'), 'opening to an unexpected identity is refused')

  const blob = encodeSealedKey(sealed, alice.publicKey)
  t.equal(blob.length, ENCODED_SEALED_KEY_BYTES, `one-blob form is ${ENCODED_SEALED_KEY_BYTES} bytes`)
  const decoded = decodeSealedKey(blob)
  t.ok(Buffer.from(decoded.publicKey).equals(Buffer.from(alice.publicKey)), 'blob round-trips')
  t.throws(() => decodeSealedKey(blob.subarray(1)), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'truncated blob refused')
})

test('sealed box: only the recipient opens it; tampering and degenerate keys are refused', (t) => {
  const msg = Buffer.from('a session token of thirty-two b.')
  const box = sealToPublicKey(alice.publicKey, msg)
  t.equal(box.length, msg.length + 48, '48 bytes of overhead')
  t.ok(Buffer.from(openSealed(alice.secretKey, box)).equals(msg), 'recipient opens it')
  const box2 = sealToPublicKey(alice.publicKey, msg)
  t.notOk(Buffer.from(box).equals(Buffer.from(box2)), 'fresh ephemeral key every time')
  t.throws(() => openSealed(generateKeyPair().secretKey, box), (e: unknown) => isSecretChannelError(e, 'ERR_BAD_KEY'), 'another key cannot open it')
  const tampered = Uint8Array.from(box)
  tampered[60]! ^= 1
  t.throws(() => openSealed(alice.secretKey, tampered), (e: unknown) => isSecretChannelError(e, 'ERR_BAD_KEY'), 'tampering is caught')
  const lowOrder = new Uint8Array(32); lowOrder[0] = 1 // the identity point
  t.throws(() => sealToPublicKey(lowOrder, msg), (e: unknown) => isSecretChannelError(e, 'ERR_BAD_KEY'), 'a small-order recipient key is refused')
  const zeroEphemeral = Uint8Array.from(box); zeroEphemeral.fill(0, 0, 32)
  t.throws(() => openSealed(alice.secretKey, zeroEphemeral), (e: unknown) => isSecretChannelError(e, 'ERR_BAD_KEY'), 'an all-zero ephemeral key is refused')
  t.end()
})
