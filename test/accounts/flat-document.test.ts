/** @test-all-backends
 * Design document 003's exact command sequences, replayed against the flat machines:
 *
 *   Client Sends:  USERNAME <username>  MAX-PACKET <optional integer>
 *   Server Sends:  CERTIFICATE  SESSION-KEY  MAX-PACKET <optional integer>
 *   Client sends:  CERTIFICATE-ID          Server responds: SESSION-KEY
 *
 * (with this implementation's CLIENT-NONCE first and SERVER-SIGNATURE / CLIENT-PROOF around them),
 * and the junk around MAX-PACKET that must still fail closed.
 */
import test from 'tape'
import { generateKeyPair } from '../../lib/keys.js'
import { getCryptoBackend } from '../../lib/crypto/index.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { FlatClientMachine } from '../../lib/protocols/accounts/flat/client.js'
import { FlatServerMachine, type FlatAccount, type FlatServerAction } from '../../lib/protocols/accounts/flat/server.js'
import { Cmd, CommandDecoder, CMD_NAMES, encodeCommand, u32, type CommandLimits } from '../../lib/protocols/accounts/flat/commands.js'
import { serverSignedBytes, transcriptHash } from '../../lib/protocols/accounts/flat/keys.js'
import { encodeSealedKey, sealPrivateKey, openWithKey } from '../../lib/protocols/accounts/sealed-key.js'
import { sealToPublicKey } from '../../lib/protocols/accounts/sealed-box.js'
import { derivePasswordKeys } from '../../lib/protocols/accounts/kdf.js'

const crypto = getCryptoBackend()
const KDF = { logN: 4, r: 8, p: 1 }
const serverKeys = generateKeyPair()
const alice = generateKeyPair()
const bot = generateKeyPair()
const ANY: CommandLimits = new Map(Object.values(Cmd).map((op) => [op, [0, 1 << 20] as const]))

/** The command names in `bytes`, in order. */
function names(bytes: Uint8Array): string[] {
  const dec = new CommandDecoder('test')
  dec.push(bytes)
  const out: string[] = []
  for (let c = dec.next(ANY); c; c = dec.next(ANY)) out.push(CMD_NAMES[c.op]!)
  return out
}

async function aliceAccount(): Promise<FlatAccount> {
  const { sealed } = await sealPrivateKey(alice.secretKey, 'alice pw', { kdf: KDF })
  return { username: 'alice', publicKey: alice.publicKey, certificate: encodeSealedKey(sealed, alice.publicKey) }
}

function sent(actions: FlatServerAction[]): Uint8Array {
  return Buffer.concat(actions.flatMap((a) => (a.type === 'send' ? [a.bytes] : [])))
}

test('interactive: USERNAME then MAX-PACKET (the document\'s order), the server answers CERTIFICATE, SESSION-KEY, MAX-PACKET', async (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice', maxPacket: 2048 })
  const server = new FlatServerMachine({ keyPair: serverKeys, maxPacket: 4096 })
  const opening = client.start()
  t.deepEqual(names(opening), ['CLIENT-NONCE', 'USERNAME', 'MAX-PACKET'], 'the client sends USERNAME, then MAX-PACKET')
  const lookup = server.receive(opening)
  t.deepEqual(lookup.map((a) => a.type), ['lookup'], 'USERNAME followed by MAX-PACKET is accepted: the server looks alice up')
  const answer = sent(server.resolve(await aliceAccount()))
  t.deepEqual(names(answer), ['CERTIFICATE', 'SESSION-KEY', 'MAX-PACKET', 'SERVER-SIGNATURE'], 'the server answers in the document\'s order')
  const unlock = client.receive(answer).find((a) => a.type === 'unlock')
  if (unlock?.type !== 'unlock') return t.fail('no unlock action')
  const keys = await derivePasswordKeys('alice pw', unlock.sealed.salt, unlock.sealed.kdf)
  const proof = client.unlock(openWithKey(unlock.sealed, keys.sealKey, unlock.publicKey)).find((a) => a.type === 'send')
  const done = server.receive(proof!.type === 'send' ? proof!.bytes : new Uint8Array(0))
  t.ok(done.some((a) => a.type === 'authenticated'), 'alice is logged in')
  t.equal(server.maxPacket, 2048, 'server: the client\'s smaller MAX-PACKET wins ("the server will mimic")')
  t.equal(client.maxPacket, 2048, 'client: the same')
  const packets = server.receive(client.write(new Uint8Array(5000))).filter((a) => a.type === 'data')
  t.deepEqual(packets.map((a) => (a.type === 'data' ? a.data.length : 0)), [2048, 2048, 904], 'data is split at the negotiated size')
})

test('interactive: a MAX-PACKET that arrives after the server has answered still counts, and is bound by the proof', async (t) => {
  for (const tamper of [false, true]) {
    const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice', maxPacket: 1024 })
    const server = new FlatServerMachine({ keyPair: serverKeys, maxPacket: 8192 })
    const opening = Buffer.from(client.start())
    const maxAt = opening.length - 9
    server.receive(opening.subarray(0, maxAt)) // CLIENT-NONCE, USERNAME
    const answer = sent(server.resolve(await aliceAccount()))
    t.deepEqual(names(answer).slice(2, 3), ['MAX-PACKET'], 'the server announced its own MAX-PACKET before knowing the client\'s')
    const late = Buffer.from(opening.subarray(maxAt))
    if (tamper) late.writeUInt32BE(8192, 5) // someone in the middle raises the client's MAX-PACKET
    server.receive(late)
    const unlock = client.receive(answer).find((a) => a.type === 'unlock')
    if (unlock?.type !== 'unlock') return t.fail('no unlock action')
    const keys = await derivePasswordKeys('alice pw', unlock.sealed.salt, unlock.sealed.kdf)
    const proof = client.unlock(openWithKey(unlock.sealed, keys.sealKey, unlock.publicKey)).find((a) => a.type === 'send')
    const bytes = proof?.type === 'send' ? proof.bytes : new Uint8Array(0)
    if (!tamper) {
      t.ok(server.receive(bytes).some((a) => a.type === 'authenticated'), 'late MAX-PACKET: logged in')
      t.equal(server.maxPacket, 1024, 'and the server uses the client\'s smaller MAX-PACKET')
    } else {
      t.throws(() => server.receive(bytes), (e: unknown) => isSecretChannelError(e, 'ERR_UNAUTHORIZED'), 'a MAX-PACKET changed in flight fails the proof: ERR_UNAUTHORIZED')
      t.equal(server.phase, 'failed', 'the server machine is poisoned')
    }
  }
})

/** A hand-built server answer for the non-interactive login, in any order, signed as the server would. */
function botAnswer(opening: Uint8Array, order: Array<'SESSION-KEY' | 'MAX-PACKET'>): Uint8Array {
  const dec = new CommandDecoder('test')
  dec.push(opening)
  const client: Uint8Array[] = []
  for (let c = dec.next(ANY); c; c = dec.next(ANY)) if (c.op !== Cmd.MAX_PACKET) client.push(encodeCommand(c.op, c.value))
  const server = order.map((name) => (name === 'SESSION-KEY'
    ? encodeCommand(Cmd.SESSION_KEY, sealToPublicKey(bot.publicKey, crypto.randomBytes(32)))
    : encodeCommand(Cmd.MAX_PACKET, u32(4096))))
  const signature = crypto.sign(serverSignedBytes(transcriptHash(crypto, client, server)), serverKeys.secretKey)
  return Buffer.concat([...server, encodeCommand(Cmd.SERVER_SIGNATURE, signature)])
}

test('non-interactive: CERTIFICATE-ID -> SESSION-KEY, with the server\'s MAX-PACKET after, before, or not at all', (t) => {
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, keyPair: bot })
  const server = new FlatServerMachine({ keyPair: serverKeys })
  const opening = client.start()
  t.deepEqual(names(opening), ['CLIENT-NONCE', 'CERTIFICATE-ID', 'MAX-PACKET'], 'the client sends CERTIFICATE-ID')
  server.receive(opening)
  t.deepEqual(names(sent(server.resolve({ username: 'bot', publicKey: bot.publicKey }))), ['SESSION-KEY', 'MAX-PACKET', 'SERVER-SIGNATURE'], 'the server responds SESSION-KEY (no CERTIFICATE)')
  for (const order of [['SESSION-KEY', 'MAX-PACKET'], ['MAX-PACKET', 'SESSION-KEY'], ['SESSION-KEY']] as Array<Array<'SESSION-KEY' | 'MAX-PACKET'>>) {
    const c = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, keyPair: bot, maxPacket: 65536 })
    const actions = c.receive(botAnswer(c.start(), order))
    t.ok(actions.some((a) => a.type === 'authenticated'), `server answer ${order.join(', ')}: the client logs in`)
    t.equal(c.maxPacket, order.includes('MAX-PACKET') ? 4096 : 65536, `  MAX-PACKET ${c.maxPacket}`)
  }
  t.end()
})

test('junk around MAX-PACKET still fails closed', (t) => {
  const nonce = encodeCommand(Cmd.CLIENT_NONCE, new Uint8Array(32))
  const user = encodeCommand(Cmd.USERNAME, Buffer.from('alice'))
  const max = (n: number): Uint8Array => encodeCommand(Cmd.MAX_PACKET, u32(n))
  const cases: Array<[string, Uint8Array[], RegExp]> = [
    ['MAX-PACKET twice before USERNAME', [nonce, max(2048), max(2048)], /MAX-PACKET is not allowed here/],
    ['MAX-PACKET before CLIENT-NONCE', [max(2048)], /MAX-PACKET is not allowed here/],
    ['MAX-PACKET with a 3-byte value', [nonce, encodeCommand(Cmd.MAX_PACKET, Uint8Array.of(0, 8, 0))], /MAX-PACKET with a 3-byte value/],
    ['MAX-PACKET below 1 KiB', [nonce, user, max(10)], /MAX-PACKET 10 outside/],
    ['USERNAME twice', [nonce, user, max(2048), user], /USERNAME is not allowed here/]
  ]
  for (const [what, commands, re] of cases) {
    const server = new FlatServerMachine({ keyPair: serverKeys })
    t.throws(() => {
      for (const c of commands) {
        for (const a of server.receive(c)) if (a.type === 'lookup') server.resolve(null)
      }
    }, (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL') && re.test((e as Error).message), `${what}: ERR_PROTOCOL`)
    t.equal(server.phase, 'failed', `${what}: poisoned`)
  }
  const client = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  client.start()
  t.throws(() => client.receive(Buffer.concat([max(2048), max(2048)])), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'client: the server\'s MAX-PACKET twice is ERR_PROTOCOL')
  const c2 = new FlatClientMachine({ serverPublicKey: serverKeys.publicKey, username: 'alice' })
  c2.start()
  t.throws(() => c2.receive(encodeCommand(Cmd.SERVER_SIGNATURE, new Uint8Array(64))), (e: unknown) => isSecretChannelError(e, 'ERR_PROTOCOL'), 'client: SERVER-SIGNATURE before SESSION-KEY is ERR_PROTOCOL')
  t.throws(() => c2.receive(new Uint8Array(1)), (e: unknown) => isSecretChannelError(e, 'ERR_INVALID_STATE'), 'and a failed client stays failed')
  t.end()
})
