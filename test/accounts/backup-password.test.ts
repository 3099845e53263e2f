/** Issue 13 item 2: backup proves the password before sealing, so a typo cannot destroy recoverability. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { backup, register, restore } from '../../lib/protocols/accounts/workflows.js'

test('backup: a mistyped password is refused and the good backup stays', async (t) => {
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [keyServerKeys.publicKey], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint })
  const servers = { identity: identity.endpoint, keyServer: keys.endpoint }
  const alice = await register({ identity: identity.endpoint, userID: 'alice', password: 'correct horse', kdf: TEST_KDF })
  await backup({ ...servers, userID: 'alice', keyPair: alice, password: 'correct horse' })
  const before = await keys.store.getSealedKey('alice')

  const err = await backup({ ...servers, userID: 'alice', keyPair: alice, password: 'correct hrose' }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), `a typo is refused: ${err?.message}`)
  t.deepEqual(await keys.store.getSealedKey('alice'), before, 'the stored backup is untouched')
  const restored = await restore({ ...servers, userID: 'alice', password: 'correct horse' })
  t.ok(Buffer.from(restored.secretKey).equals(Buffer.from(alice.secretKey)), 'and the right password still restores the key')
  await keys.close(); await identity.close()
})
