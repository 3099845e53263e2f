/** The flat protocol's sans-I/O client and server talk to each other without any stream. */
import test from 'tape'
import { generateKeyPair } from '../../lib/keys.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { FlatClientMachine } from '../../lib/protocols/accounts/flat/client.js'
import type { FlatClientAction } from '../../lib/protocols/accounts/flat/client.js'
import { FlatServerMachine } from '../../lib/protocols/accounts/flat/server.js'
import type { FlatAccount, FlatServerAction } from '../../lib/protocols/accounts/flat/server.js'
import { Cmd, encodeCommand } from '../../lib/protocols/accounts/flat/commands.js'
import { encodeSealedKey, sealPrivateKey, openWithKey } from '../../lib/protocols/accounts/sealed-key.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'

const crypto = getCryptoBackend()
const KDF = { logN: 4, r: 8, p: 1 }
const serverKeys = generateKeyPair()
const alice = generateKeyPair()

async function aliceAccount(): Promise<FlatAccount> {
  const { sealed } = await sealPrivateKey(alice.secretKey, 'alice pw', { kdf: KDF })
  return { username: 'alice', publicKey: alice.publicKey, certificate: encodeSealedKey(sealed, alice.publicKey) }
}

/** Runs both machines against each other, resolving lookups from `accounts`, unlocking with `password`. */
async function converse(client: FlatClientMachine, server: FlatServerMachine, accounts: FlatAccount[], password?: string) {
  const got = { server: [] as FlatServerAction[], client: [] as FlatClientAction[] }
  let toServer: Uint8Array[] = [client.start()]
  let toClient: Uint8Array[] = []
  for (let round = 0; round < 10 && (toServer.length || toClient.length); round++) {
    const s = toServer; toServer = []
    for (const bytes of s) {
      for (const a of server.receive(bytes)) {
        got.server.push(a)
        if (a.type === 'lookup') {
          const acct = accounts.find((x) => a.by === 'username' ? x.username === a.username : Buffer.from(crypto.sha256(x.publicKey)).equals(Buffer.from(a.thumbprint))) ?? null
          for (const b of server.resolve(acct)) { got.server.push(b); if (b.type === 'send') toClient.push(b.bytes) }
        }
      }
    }
    const c = toClient; toClient = []
    for (const bytes of c) {
      for (const a of client.receive(bytes)) {
        got.client.push(a)
        if (a.type === 'send') toServer.push(a.bytes)
        if (a.type === 'unlock') {
          const keys = await derivePasswordKeys(password!, a.sealed.salt, a.sealed.kdf)
          const pair = openWithKey(a.sealed, keys.sealKey, a.publicKey)
          for (const b of client.unlock(pair)) { got.client.push(b); if (b.type === 'send') toServer.push(b.bytes) }
        }
      }
    }
  }
  return got
}

test('flat: interactive login, then data both ways with MAX-PACKET splitting', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice', maxPacket: 2048 })
  const server = new FlatServerMachine({ keyPair: serverKeys, maxPacket: 4096 })
  const got = await converse(client, server, [await aliceAccount()], 'alice pw')
  const auth = got.server.find((a) => a.type === 'authenticated')
  t.ok(auth && auth.type === 'authenticated' && auth.username === 'alice' && auth.interactive, 'server authenticated alice interactively')
  t.ok(got.client.some((a) => a.type === 'authenticated'), 'client is authenticated')
  t.equal(client.maxPacket, 2048, 'client: smaller MAX-PACKET wins')
  t.equal(server.maxPacket, 2048, 'server: smaller MAX-PACKET wins')

  const big = crypto.randomBytes(5000)
  const wire = client.write(big)
  const received = server.receive(wire).filter((a) => a.type === 'data').map((a) => (a as { data: Uint8Array }).data)
  t.deepEqual(received.map((d) => d.length), [2048, 2048, 904], '5000 bytes arrive as three packets of at most 2048')
  t.ok(Buffer.concat(received).equals(Buffer.from(big)), 'and reassemble exactly')

  const back = client.receive(server.write(Buffer.from('hello alice')))
  t.equal(Buffer.from((back[0] as { data: Uint8Array }).data).toString(), 'hello alice', 'server → client data')
  const ended = server.receive(client.end())
  t.deepEqual(ended, [{ type: 'end' }], 'END is authenticated and reported')
})

test('flat: non-interactive login by CERTIFICATE-ID; the server never holds the private key', async (t) => {
  const bot = generateKeyPair()
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, keyPair: bot })
  const server = new FlatServerMachine({ keyPair: serverKeys })
  const got = await converse(client, server, [{ username: 'bot', publicKey: bot.publicKey }])
  const lookup = got.server.find((a) => a.type === 'lookup')
  t.ok(lookup && lookup.type === 'lookup' && lookup.by === 'thumbprint', 'server looked up by thumbprint')
  const auth = got.server.find((a) => a.type === 'authenticated')
  t.ok(auth && auth.type === 'authenticated' && auth.username === 'bot' && !auth.interactive, 'bot authenticated non-interactively')
  t.equal(client.maxPacket, 64 * 1024, 'default MAX-PACKET')
})

test('flat: wrong password and unknown user fail; a decoy looks like a real answer', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  const server = new FlatServerMachine({ keyPair: serverKeys })
  try {
    await converse(client, server, [await aliceAccount()], 'not the password')
    t.fail('should have thrown')
  } catch (err) {
    t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), 'wrong password is ERR_WRONG_PASSWORD')
  }
  const c2 = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'mallory' })
  const s2 = new FlatServerMachine({ keyPair: serverKeys })
  try {
    await converse(c2, s2, [await aliceAccount()], 'anything')
    t.fail('should have thrown')
  } catch (err) {
    t.ok(isSecretChannelError(err, 'ERR_WRONG_PASSWORD'), 'unknown user looks like a wrong password')
  }
  t.notOk(s2.authenticated, 'server never authenticated the unknown user')
})

test('flat: an impostor server without the pinned key is refused', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  const impostor = new FlatServerMachine({ keyPair: generateKeyPair() })
  try {
    await converse(client, impostor, [await aliceAccount()], 'alice pw')
    t.fail('should have thrown')
  } catch (err) {
    t.ok(isSecretChannelError(err, 'ERR_SERVER_KEY_MISMATCH'), 'ERR_SERVER_KEY_MISMATCH')
  }
})

test('flat: junk before authentication is refused at once, data before the proof is never delivered', (t) => {
  const s = new FlatServerMachine({ keyPair: serverKeys })
  t.throws(() => s.receive(Uint8Array.of(0xee)), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') && /unknown command 0xee/.test((e as Error).message), 'unknown opcode on its first byte')
  const s2 = new FlatServerMachine({ keyPair: serverKeys })
  const hdr = Buffer.from([Cmd.CLIENT_NONCE, 0xff, 0xff, 0xff, 0xff])
  t.throws(() => s2.receive(hdr), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') && /value/.test((e as Error).message), 'impossible length refused from the header')
  const s3 = new FlatServerMachine({ keyPair: serverKeys })
  const early = Buffer.concat([encodeCommand(Cmd.CLIENT_NONCE, new Uint8Array(32)), encodeCommand(Cmd.DATA_LENGTH, Uint8Array.of(0, 0, 0, 1))])
  t.throws(() => s3.receive(early), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') && /DATA-LENGTH is not allowed/.test((e as Error).message), 'DATA before login refused')
  t.throws(() => s3.receive(Uint8Array.of(1)), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_STATE'), 'a failed connection stays failed')
  t.end()
})

test('flat: a tampered DATA packet or VERIFICATION is caught', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  const server = new FlatServerMachine({ keyPair: serverKeys })
  await converse(client, server, [await aliceAccount()], 'alice pw')
  const wire = Buffer.from(client.write(Buffer.from('abcdefgh')))
  wire[9 + 5 + 16 + 2] ^= 1 // a ciphertext byte of DATA
  t.throws(() => server.receive(wire), (e: unknown) => isSecretChannelError(e, 'ERR_BOX_TAMPERED'), 'flipped DATA byte → ERR_BOX_TAMPERED')
})

test('flat: junk after authentication is a protocol error, not data', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  const server = new FlatServerMachine({ keyPair: serverKeys })
  await converse(client, server, [await aliceAccount()], 'alice pw')
  t.ok(server.authenticated, 'logged in')
  t.throws(() => server.receive(Buffer.from('junk after login')), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'junk → ERR_PROTOCOL')
  const c2 = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  const s2 = new FlatServerMachine({ keyPair: serverKeys })
  await converse(c2, s2, [await aliceAccount()], 'alice pw')
  const big = encodeCommand(Cmd.DATA_LENGTH, Uint8Array.of(0x7f, 0, 0, 0))
  t.throws(() => s2.receive(big), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') && /DATA-LENGTH/.test((e as Error).message), 'a DATA-LENGTH over MAX-PACKET → ERR_PROTOCOL')
})
