/** Issue 13 items 2 and 8: password change, sessions that bind something, token and session revocation, account deletion on both servers. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { IdentityClient, KeyServerClient } from '../../lib/protocols/accounts/account-client.js'
import { backup, changePassword, deleteAccount, proveIdentity, register, restore, revokeTokens } from '../../lib/protocols/accounts/workflows.js'

const crypto = getCryptoBackend()
const is = (code: string) => (e: unknown) => isSecretChannelError(e) && e.code === code

async function world() {
  let now = 1_700_000_000_000
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [keyServerKeys.publicKey], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, clock: () => now })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint })
  const servers = { identity: identity.endpoint, keyServer: keys.endpoint }
  const alice = await register({ identity: identity.endpoint, userID: 'alice', password: 'old pw' })
  await backup({ ...servers, userID: 'alice', keyPair: alice, password: 'old pw' })
  return { identity, keys, servers, alice, advance: (ms: number) => { now += ms }, close: async () => { await keys.close(); await identity.close() } }
}

test('lifecycle: a passed session challenge starts a session that later calls can present, until it ends', async (t) => {
  const w = await world()
  const session = await proveIdentity({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice })
  t.equal(session.sessionToken.length, 32, 'the challenge answers with a 32-byte session token')
  const service = await IdentityClient.connect(w.identity.endpoint) // e.g. an application server the client showed it to
  const seen = await service.validateSession('alice', session.sessionToken)
  t.ok(Buffer.from(seen.publicKey).equals(Buffer.from(w.alice.publicKey)), 'validateSession names the account\'s key')
  t.equal(seen.expiresAt, session.expiresAt, 'and the expiry')
  t.ok(is('ERR_INVALID_TOKEN')(await service.validateSession('bob', session.sessionToken).catch((e) => e)), 'not valid for another user')
  t.ok(is('ERR_INVALID_TOKEN')(await service.validateSession('alice', crypto.randomBytes(32)).catch((e) => e)), 'a guessed session token is refused')

  await service.endSession('alice', session.sessionToken)
  t.ok(is('ERR_INVALID_TOKEN')(await service.validateSession('alice', session.sessionToken).catch((e) => e)), 'an ended session is refused')

  const later = await proveIdentity({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice })
  w.advance(60 * 60_000 + 1)
  t.ok(is('ERR_INVALID_TOKEN')(await service.validateSession('alice', later.sessionToken).catch((e) => e)), 'an expired session is refused')
  service.close()
  await w.close()
})

test('lifecycle: revokeTokens (identity key only) ends every session and voids every token', async (t) => {
  const w = await world()
  const s1 = await proveIdentity({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice })
  const s2 = await proveIdentity({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice })
  const anon = await IdentityClient.connect(w.identity.endpoint)
  t.ok(is('ERR_UNAUTHORIZED')(await anon.revokeTokens('alice').catch((e) => e)), 'a channel that is not alice\'s key cannot revoke')
  const own = await IdentityClient.connect(w.identity.endpoint, { keyPair: w.alice })
  const { accessToken } = await own.getAccessToken('alice', 'get-private-key')
  t.equal(await revokeTokens({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice }), 3, 'two sessions and one access token revoked')
  for (const s of [s1, s2]) t.ok(is('ERR_INVALID_TOKEN')(await anon.validateSession('alice', s.sessionToken).catch((e) => e)), 'session revoked')
  const ks = await KeyServerClient.connect(w.keys.endpoint)
  t.ok(is('ERR_INVALID_TOKEN')(await ks.getEncryptedPrivateKey('alice', accessToken).catch((e) => e)), 'the access token is void')
  anon.close(); own.close(); ks.close()
  await w.close()
})

test('lifecycle: changing the password re-seals on the key server and switches the login key together', async (t) => {
  const w = await world()
  const err = await changePassword({ ...w.servers, userID: 'alice', keyPair: w.alice, oldPassword: 'not it', newPassword: 'new pw' }).catch((e) => e)
  t.ok(is('ERR_WRONG_PASSWORD')(err), `the old password is required: ${err.message}`)
  t.ok(Buffer.from((await restore({ ...w.servers, userID: 'alice', password: 'old pw' })).publicKey).equals(Buffer.from(w.alice.publicKey)), 'nothing changed after the refusal')

  const stranger = generateKeyPair()
  const err2 = await changePassword({ ...w.servers, userID: 'alice', keyPair: stranger, oldPassword: 'old pw', newPassword: 'mine now' }).catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err2), 'someone with the password but not the identity key cannot change it')

  await changePassword({ ...w.servers, userID: 'alice', keyPair: w.alice, oldPassword: 'old pw', newPassword: 'new pw' })
  const restored = await restore({ ...w.servers, userID: 'alice', password: 'new pw' })
  t.ok(Buffer.from(restored.secretKey).equals(Buffer.from(w.alice.secretKey)), 'the new password restores the key')
  t.ok(is('ERR_WRONG_PASSWORD')(await restore({ ...w.servers, userID: 'alice', password: 'old pw' }).catch((e) => e)), 'the old one no longer does')
  await backup({ ...w.servers, userID: 'alice', keyPair: w.alice, password: 'new pw' })
  t.pass('and backup takes the new password')
  await w.close()
})

test('lifecycle: deleting the account, proved by the identity key, removes it from both servers', async (t) => {
  const w = await world()
  const session = await proveIdentity({ identity: w.identity.endpoint, userID: 'alice', keyPair: w.alice })
  const stranger = generateKeyPair()
  const refused = await deleteAccount({ ...w.servers, userID: 'alice', keyPair: stranger }).catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(refused), `another key cannot delete alice: ${refused.message}`)
  t.ok(await w.identity.store.getUser('alice'), 'alice is still there')

  const anon = await IdentityClient.connect(w.identity.endpoint)
  t.ok(is('ERR_UNAUTHORIZED')(await anon.getAccessToken('alice', 'delete-account').catch((e) => e)), 'no delete-account token without the identity key')

  t.deepEqual(await deleteAccount({ ...w.servers, userID: 'alice', keyPair: w.alice }), { backupDeleted: true }, 'deleted, backup included')
  t.equal(await w.identity.store.getUser('alice'), null, 'the identity server forgot alice')
  t.equal(await w.keys.store.getSealedKey('alice'), null, 'the key server forgot her sealed key')
  t.ok(is('ERR_INVALID_TOKEN')(await anon.validateSession('alice', session.sessionToken).catch((e) => e)), 'her sessions ended')
  t.ok(is('ERR_WRONG_PASSWORD')(await restore({ ...w.servers, userID: 'alice', password: 'old pw' }).catch((e) => e)), 'restore finds nothing')
  await register({ identity: w.identity.endpoint, userID: 'alice', password: 'pw' })
  t.pass('the name can be registered again')
  anon.close()
  await w.close()
})
