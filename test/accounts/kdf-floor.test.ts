/** Issue 13 item 1: the scrypt floor follows OWASP (logN 17, r 8, p 1 or equal cost) and holds at register, backup and restore, whatever the identity server says. */
import test from 'tape'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { assertKdfParams, minimumKdfParams } from '../../lib/protocols/accounts/kdf.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { KeyServer } from '../../lib/protocols/accounts/key-server.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { backup, register } from '../../lib/protocols/accounts/workflows.js'

test('kdf floor: without the test knob the floor is OWASP\'s logN 17 r 8 p 1, and its listed equivalents pass', (t) => {
  const saved = process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN
  delete process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN
  try {
    const floor = minimumKdfParams()
    const ok = (p: { logN: number, r: number, p: number }) => { try { assertKdfParams(p, floor); return true } catch { return false } }
    t.ok(ok({ logN: 17, r: 8, p: 1 }), 'logN 17 r 8 p 1 passes')
    t.ok(ok({ logN: 16, r: 8, p: 2 }), 'OWASP equivalent logN 16 r 8 p 2 passes')
    t.ok(ok({ logN: 15, r: 8, p: 3 }), 'OWASP equivalent logN 15 r 8 p 3 passes')
    t.ok(ok({ logN: 14, r: 8, p: 5 }), 'OWASP equivalent logN 14 r 8 p 5 passes')
    t.ok(ok({ logN: 13, r: 8, p: 10 }), 'OWASP equivalent logN 13 r 8 p 10 passes')
    t.notOk(ok({ logN: 15, r: 8, p: 1 }), 'logN 15 r 8 p 1 (the old floor) is refused')
    t.notOk(ok({ logN: 16, r: 8, p: 1 }), 'logN 16 r 8 p 1 is refused')
    t.notOk(ok({ logN: 17, r: 4, p: 2 }), 'halving the memory (r 4) and doubling p is refused')
    t.notOk(ok({ logN: 13, r: 8, p: 9 }), 'logN 13 r 8 p 9 is refused')
    t.end()
  } finally {
    if (saved !== undefined) process.env.SECRET_CHANNEL_SCRYPT_MIN_LOGN = saved
  }
})

test('kdf floor: backup refuses the weak parameters a hostile identity server hands out, and nothing reaches the key server', async (t) => {
  // The identity server's answer for alice says logN 1, r 1, p 1 (below even the tests' lowered floor of logN 4).
  const store = new MemoryStore()
  const identityKeys = generateKeyPair()
  const keyServerKeys = generateKeyPair()
  const identity = await IdentityServer.start({ keyPair: identityKeys, keyServers: [keyServerKeys.publicKey], store, loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  const keys = await KeyServer.start({ keyPair: keyServerKeys, identityServer: identity.endpoint })
  const alice = generateKeyPair()
  const crypto = getCryptoBackend()
  await store.insertUser({
    userID: 'alice', publicKey: alice.publicKey, thumbprint: crypto.sha256(alice.publicKey), kdfSalt: crypto.randomBytes(32),
    kdfParams: { logN: 1, r: 1, p: 1 }, loginHash: crypto.randomBytes(32), loginSalt: crypto.randomBytes(32), loginParams: TEST_KDF, createdAt: 0
  })
  const err = await backup({ identity: identity.endpoint, keyServer: keys.endpoint, userID: 'alice', keyPair: alice, password: 'pw' }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_INVALID_ARGUMENT') && /weaker than/.test(err.message), `backup refused: ${err?.message}`)
  t.equal(await keys.store.getSealedKey('alice'), null, 'no weakly sealed key was stored')
  await keys.close(); await identity.close()
})

test('kdf floor: register refuses parameters below the floor', async (t) => {
  const identity = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  const err = await register({ identity: identity.endpoint, userID: 'alice', password: 'pw', kdf: { logN: 2, r: 8, p: 1 } }).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_INVALID_ARGUMENT') && /weaker than/.test(err.message), `register refused logN 2: ${err?.message}`)
  t.equal(await identity.store.getUser('alice'), null, 'nothing was registered')
  await identity.close()
})
