/** Resource limits: password-guessing throttle, request flooding, idle connections. */
import test from 'tape'
import { TEST_KDF, close, listen } from './helpers.js'
import { createRpcServer } from '../../lib/protocols/accounts/rpc/server.js'
import { RpcClient } from '../../lib/protocols/accounts/rpc/client.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { IdentityServer } from '../../lib/protocols/accounts/identity-server.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { register } from '../../lib/protocols/accounts/workflows.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'
import { frameMessage } from '../../lib/protocols/accounts/rpc/framing.js'
import { Op, encodeRequest, utf8 } from '../../lib/protocols/accounts/rpc/messages.js'

const crypto = getCryptoBackend()

test('limits: after 3 wrong passwords the account refuses even the right one until the window passes', async (t) => {
  let now = 0
  const server = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, maxLoginFailures: 3, loginFailureWindowMs: 1000, clock: () => now })
  await register({ identity: server.endpoint, userID: 'alice', password: 'right', kdf: TEST_KDF })
  const c = await IdentityClient.connect(server.endpoint)
  const { salt, kdf } = await c.getLoginParams('alice')
  const right = (await derivePasswordKeys('right', salt, kdf)).loginKey
  for (let i = 0; i < 3; i++) await c.getAccessToken('alice', 'get-private-key', crypto.randomBytes(32)).catch(() => {})
  const err = await c.getAccessToken('alice', 'get-private-key', right).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_UNAUTHORIZED') && /too many/.test(err.message), 'throttled after 3 failures')
  now += 1001
  const ok = await c.getAccessToken('alice', 'get-private-key', right)
  t.equal(ok.accessToken.length, 32, 'the right password works again after the window')
  c.close()
  await server.close()
})

test('limits: a connection that floods requests is cut off; an idle one is dropped', async (t) => {
  const errors: unknown[] = []
  const server = await IdentityServer.start({ keyPair: generateKeyPair(), keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF, idleTimeout: 300, onError: (e) => errors.push(e) })
  const c = await IdentityClient.connect(server.endpoint)
  const one = frameMessage(encodeRequest(Op.GET_LOGIN_PARAMS, [utf8('x')]))
  const flood = Buffer.concat(Array.from({ length: 64 }, () => one))
  const answers: Array<Promise<unknown>> = []
  for (let i = 0; i < 64; i++) answers.push(c.rpc.sendRaw(i === 0 ? flood : new Uint8Array(0)).catch((e) => e))
  const results = await Promise.all(answers)
  t.ok(results.some((r) => isSecretChannelError(r, 'ERR_PROTOCOL') && /requests waiting/.test((r as Error).message)), 'the flood is refused with ERR_PROTOCOL')
  const idle = await IdentityClient.connect(server.endpoint)
  await new Promise((r) => setTimeout(r, 500))
  const err = await idle.getLoginParams('x').catch((e) => e)
  t.ok(err instanceof Error, `an idle channel was dropped (${err.code ?? err.message})`)
  t.ok(errors.some((e) => isSecretChannelError(e, 'ERR_IDLE_TIMEOUT')), 'the server reported ERR_IDLE_TIMEOUT')
  await server.close()
})

test('limits: a client gives up on a server that never answers', async (t) => {
  const keyPair = generateKeyPair()
  const server = createRpcServer({ keyPair }, () => new Promise<Uint8Array>(() => {}))
  const port = await listen(server)
  const rpc = await RpcClient.connect({ port, publicKey: keyPair.publicKey }, { callTimeout: 200 })
  const err = await rpc.call(Op.GET_LOGIN_PARAMS, [utf8('x')]).catch((e) => e)
  t.ok(isSecretChannelError(err, 'ERR_IDLE_TIMEOUT'), `ERR_IDLE_TIMEOUT: ${err.message}`)
  await close(server)
})
