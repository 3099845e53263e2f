/** Access tokens and channels refuse everything they should: wrong, expired, replayed, other user, other purpose, wrong caller. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { IdentityClient, KeyServerClient } from '../../lib/protocols/accounts/account-client.js'
import { backup, register } from '../../lib/protocols/accounts/workflows.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'

const crypto = getCryptoBackend()

async function world() {
  let now = 1_700_000_000_000
  const identityKeys = generateKeyPair()
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: identityKeys, keyServers: [keyServerKeys.publicKey], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, clock: () => now, tokenTtlMs: 60_000 })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint })
  const alice = await register({ identity: identity.endpoint, userID: 'alice', password: 'pw-a', kdf: TEST_KDF })
  const bob = await register({ identity: identity.endpoint, userID: 'bob', password: 'pw-b', kdf: TEST_KDF })
  await backup({ identity: identity.endpoint, keyServer: keys.endpoint, userID: 'alice', keyPair: alice, password: 'pw-a' })
  await backup({ identity: identity.endpoint, keyServer: keys.endpoint, userID: 'bob', keyPair: bob, password: 'pw-b' })
  const loginKey = async (id: string, pw: string) => {
    const c = await IdentityClient.connect(identity.endpoint)
    const { salt, kdf } = await c.getLoginParams(id)
    c.close()
    return (await derivePasswordKeys(pw, salt, kdf)).loginKey
  }
  return {
    identity, keys, alice, bob, loginKey,
    advance: (ms: number) => { now += ms },
    close: async () => { await keys.close(); await identity.close() }
  }
}

const is = (code: string) => (e: unknown) => isSecretChannelError(e) && e.code === code

test('tokens: good token works once; replay, wrong token, other user, other purpose and expiry all fail', async (t) => {
  const w = await world()
  const id = await IdentityClient.connect(w.identity.endpoint)
  const ks = await KeyServerClient.connect(w.keys.endpoint)
  const aliceLogin = await w.loginKey('alice', 'pw-a')

  const { accessToken, expiresAt } = await id.getAccessToken('alice', 'get-private-key', aliceLogin)
  t.equal(accessToken.length, 32, 'a token is 32 random bytes')
  t.ok(expiresAt > 0, 'with an expiry')
  const got = await ks.getEncryptedPrivateKey('alice', accessToken)
  t.ok(Buffer.from(got.publicKey).equals(Buffer.from(w.alice.publicKey)), 'the right token releases alice\'s sealed key')

  let err = await ks.getEncryptedPrivateKey('alice', accessToken).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), `replayed token refused: ${err.message}`)

  err = await ks.getEncryptedPrivateKey('alice', crypto.randomBytes(32)).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'random token refused')

  const forAlice = (await id.getAccessToken('alice', 'get-private-key', aliceLogin)).accessToken
  err = await ks.getEncryptedPrivateKey('bob', forAlice).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'alice\'s token does not open bob\'s key')
  err = await ks.getEncryptedPrivateKey('alice', forAlice).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'and a token tried once for the wrong user is burnt')

  const wrongPurpose = (await id.getAccessToken('alice', 'get-private-key', aliceLogin)).accessToken
  err = await ks.putPrivateKey(wrongPurpose, 'alice', new Uint8Array(48), new Uint8Array(24), new Uint8Array(32), TEST_KDF).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'a get-private-key token cannot overwrite the backup')

  const late = (await id.getAccessToken('alice', 'get-private-key', aliceLogin)).accessToken
  w.advance(60_001)
  err = await ks.getEncryptedPrivateKey('alice', late).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'expired token refused')

  const stored = w.identity.store as unknown as { db: { prepare(sql: string): { all(): Array<{ hash: Buffer }> } } }
  const hashes = stored.db.prepare('SELECT hash FROM tokens').all()
  t.ok(hashes.every((r) => r.hash.length === 32), 'tokens are stored as 32-byte hashes')
  t.notOk(hashes.some((r) => r.hash.equals(Buffer.from(late))), 'never as the token itself')

  id.close(); ks.close()
  await w.close()
})

test('tokens: who may ask for what', async (t) => {
  const w = await world()
  const anon = await IdentityClient.connect(w.identity.endpoint)
  const aliceLogin = await w.loginKey('alice', 'pw-a')

  let err = await anon.getAccessToken('alice', 'get-private-key', crypto.randomBytes(32)).catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err), 'a wrong login key gets no token')
  err = await anon.getAccessToken('alice', 'put-private-key', aliceLogin).catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err), 'the password alone cannot get a put-private-key token')
  err = await anon.getAccessToken('alice', 'put-private-key').catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err), 'nor can a channel that is not alice\'s key')
  const token = (await anon.getAccessToken('alice', 'get-private-key', aliceLogin)).accessToken
  err = await anon.validateUser('alice', token, 'get-private-key').catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err), 'only a configured key server may validate tokens')
  err = await anon.putPublicKey('mallory', w.alice.publicKey, new Uint8Array(32), TEST_KDF, null).catch((e) => e)
  t.ok(is('ERR_UNAUTHORIZED')(err), 'nobody can register a key they do not hold')
  const again = await IdentityClient.connect(w.identity.endpoint, { keyPair: w.alice })
  err = await again.putPublicKey('alice', w.alice.publicKey, new Uint8Array(32), TEST_KDF, null).catch((e) => e)
  t.ok(is('ERR_ALREADY_EXISTS')(err), 'a taken user id stays taken')

  const box = await anon.getSessionChallenge('alice')
  err = await anon.submitSessionChallenge('alice', crypto.randomBytes(32)).catch((e) => e)
  t.ok(is('ERR_INVALID_TOKEN')(err), 'a guessed challenge answer fails')
  const decoy = await anon.getSessionChallenge('nobody')
  t.equal(decoy.length, box.length, 'an unknown user gets a challenge of the same shape')
  const p1 = await anon.getLoginParams('nobody')
  const p2 = await anon.getLoginParams('nobody')
  t.ok(Buffer.from(p1.salt).equals(Buffer.from(p2.salt)), 'decoy login params are stable, like real ones')
  anon.close(); again.close()
  await w.close()
})

test('tokens: garbage and oversized messages on a channel fail cleanly and the server keeps serving', async (t) => {
  const w = await world()
  const c = await IdentityClient.connect(w.identity.endpoint)
  let err = await c.rpc.sendRaw(Buffer.from([0, 0, 0, 3, 0x7f, 1, 2])).catch((e) => e)
  t.ok(is('ERR_PROTOCOL')(err), `unknown operation → ERR_PROTOCOL: ${err.message}`)
  const c2 = await IdentityClient.connect(w.identity.endpoint)
  err = await c2.rpc.sendRaw(Buffer.from([0x00, 0x10, 0x00, 0x00])).catch((e) => e)
  t.ok(is('ERR_PROTOCOL')(err), `a 1 MiB length prefix → ERR_PROTOCOL: ${err.message}`)
  const c3 = await IdentityClient.connect(w.identity.endpoint)
  err = await c3.rpc.sendRaw(Buffer.from([0, 0, 0, 4, 0x02, 0x00, 0x09, 0x41])).catch((e) => e)
  t.ok(is('ERR_PROTOCOL')(err), `a field running past the message → ERR_PROTOCOL: ${err.message}`)
  const c4 = await IdentityClient.connect(w.identity.endpoint)
  const p = await c4.getLoginParams('alice')
  t.equal(p.salt.length, 32, 'the server still serves everyone else')
  c.close(); c2.close(); c3.close(); c4.close()
  await w.close()
})
