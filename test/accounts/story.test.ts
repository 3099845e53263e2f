/** Seed 001 end to end over real TCP and SecretStreams: register → back up → restore on a fresh device → session challenge. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { backup, proveIdentity, register, restore } from '../../lib/protocols/accounts/workflows.js'

async function servers() {
  const identityKeys = generateKeyPair()
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: identityKeys, keyServers: [keyServerKeys.publicKey], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint })
  return { identity, keys, close: async () => { await keys.close(); await identity.close() } }
}

test('story: register, back up, restore on a fresh device with the right password, pass the session challenge', async (t) => {
  const s = await servers()
  const alice = await register({ identity: s.identity.endpoint, userID: 'alice', password: 'correct horse', kdf: TEST_KDF })
  t.ok(await s.identity.store.getUser('alice'), 'identity server knows alice')
  t.equal((await s.identity.store.getUser('alice'))!.loginHash!.length, 32, 'and stores only a hash of her login key')

  const sealed = await backup({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', keyPair: alice, password: 'correct horse' })
  const stored = (await s.keys.store.getSealedKey('alice'))!
  t.ok(Buffer.from(stored.sealed.encryptedPrivateKey).equals(Buffer.from(sealed.encryptedPrivateKey)), 'key server holds the sealed key')
  t.notOk(Buffer.from(stored.sealed.encryptedPrivateKey).includes(Buffer.from(alice.secretKey.subarray(0, 32))), 'but not the private key in the clear')

  const restored = await restore({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', password: 'correct horse' })
  t.ok(Buffer.from(restored.secretKey).equals(Buffer.from(alice.secretKey)), 'the fresh device has alice\'s key again')

  await proveIdentity({ identity: s.identity.endpoint, userID: 'alice', keyPair: restored })
  t.pass('the restored key passes the session challenge')

  const stranger = generateKeyPair()
  const err = await proveIdentity({ identity: s.identity.endpoint, userID: 'alice', keyPair: stranger }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_BAD_KEY'), 'another key cannot open alice\'s challenge')
  await s.close()
})

test('story: a wrong password on the fresh device is ERR_WRONG_PASSWORD and yields nothing', async (t) => {
  const s = await servers()
  const alice = await register({ identity: s.identity.endpoint, userID: 'alice', password: 'correct horse', kdf: TEST_KDF })
  await backup({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', keyPair: alice, password: 'correct horse' })
  const err = await restore({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', password: 'battery staple' }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), `wrong password: ${err.message}`)
  const nobody = await restore({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'nobody', password: 'x' }).catch((e) => e)
  t.ok(isSecretChannelError(nobody, 'ERR_WRONG_PASSWORD'), 'an unknown user looks exactly the same')
  await s.close()
})

test('story: a tampered sealed key on the key server is caught on restore', async (t) => {
  const s = await servers()
  const alice = await register({ identity: s.identity.endpoint, userID: 'alice', password: 'pw', kdf: TEST_KDF })
  await backup({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', keyPair: alice, password: 'pw' })
  const record = (await s.keys.store.getSealedKey('alice'))!
  record.sealed.encryptedPrivateKey[20]! ^= 0x40
  await s.keys.store.putSealedKey(record)
  const err = await restore({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'alice', password: 'pw' }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), `tampered record does not open: ${err.code}`)
  await s.close()
})

test('story: a non-interactive account registers without a password and still passes the challenge', async (t) => {
  const s = await servers()
  const bot = await register({ identity: s.identity.endpoint, userID: 'build-bot' })
  t.equal((await s.identity.store.getUser('build-bot'))!.loginHash, null, 'no login key stored')
  await proveIdentity({ identity: s.identity.endpoint, userID: 'build-bot', keyPair: bot })
  t.pass('challenge passes with the key alone')
  const err = await restore({ identity: s.identity.endpoint, keyServer: s.keys.endpoint, userID: 'build-bot', password: '' }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), 'no password login exists for it')
  await s.close()
})
