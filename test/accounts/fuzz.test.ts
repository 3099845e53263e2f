/** Random input never crashes or confuses the flat server or the account servers' decoders (fast-check). */
import test from 'tape'
import fc from 'fast-check'
import net from 'node:net'
import { TEST_KDF, close, listen } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { isSecretChannelError, SecretChannelError } from '../../lib/errors.js'
import { FlatServerMachine } from '../../lib/protocols/accounts/flat/server.js'
import { Cmd, encodeCommand } from '../../lib/protocols/accounts/flat/commands.js'
import { createFlatServer, connectFlat } from '../../lib/protocols/accounts/flat/net.js'
import { MessageDecoder } from '../../lib/protocols/accounts/rpc/framing.js'
import { decodeRequest } from '../../lib/protocols/accounts/rpc/messages.js'
import { IdentityService } from '../../lib/protocols/accounts/identity-service.js'
import { MemoryStore } from '../../lib/protocols/accounts/store.js'
import { decodeResponse } from '../../lib/protocols/accounts/rpc/messages.js'

const serverKeys = generateKeyPair()
const bot = generateKeyPair()
const RUNS = Number(process.env.FUZZ_RUNS || 300)

/** Random bytes, sometimes after a valid opening so the fuzzer reaches deeper states. */
const input = fc.tuple(fc.boolean(), fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 6 }))
const opening = Buffer.concat([encodeCommand(Cmd.CLIENT_NONCE, new Uint8Array(32)), encodeCommand(Cmd.MAX_PACKET, Uint8Array.of(0, 1, 0, 0))])

test('fuzz: the flat server machine only ever answers with typed protocol errors, and never delivers data', (t) => {
  fc.assert(fc.property(input, ([prefix, chunks]) => {
    const s = new FlatServerMachine({ keyPair: serverKeys })
    const all = prefix ? [opening, ...chunks] : chunks
    try {
      for (const chunk of all) {
        for (const a of s.receive(chunk)) {
          if (a.type === 'data' || a.type === 'authenticated' || a.type === 'end') return false
          if (a.type === 'lookup') s.resolve(null)
        }
      }
    } catch (err) {
      return err instanceof SecretChannelError && (err.code === 'ERR_PROTOCOL' || err.code === 'ERR_UNAUTHORIZED')
    }
    return !s.authenticated
  }), { numRuns: RUNS })
  t.pass(`${RUNS} random inputs: only ERR_PROTOCOL / ERR_UNAUTHORIZED, nothing delivered`)
  t.end()
})

test('fuzz: request decoding and the identity service never throw anything untyped', async (t) => {
  const service = new IdentityService({ store: new MemoryStore(), keyServers: [], loginHashKdf: TEST_KDF, decoyKdf: TEST_KDF })
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 1, max: 8 }), async (bytes, op) => {
    const dec = new MessageDecoder(256)
    try {
      dec.push(bytes)
    } catch (err) {
      if (!isSecretChannelError(err, 'ERR_PROTOCOL')) return false
    }
    let req
    try {
      req = decodeRequest(Buffer.concat([Uint8Array.of(op), bytes]))
    } catch (err) {
      return isSecretChannelError(err, 'ERR_PROTOCOL')
    }
    const res = decodeResponse(await service.handle(req, { remotePublicKey: generateKeyPair().publicKey }))
    return res.ok || res.code.startsWith('ERR_')
  }), { numRuns: RUNS })
  t.pass(`${RUNS} random requests: typed errors only`)
})

test('fuzz: random bytes over TCP close that connection with an error; the server keeps serving', async (t) => {
  const errors: Error[] = []
  let sessions = 0
  const server = createFlatServer({
    keyPair: serverKeys,
    lookup: (q) => q.by === 'thumbprint' ? { username: 'bot', publicKey: bot.publicKey } : null,
    onError: (e) => errors.push(e)
  }, (s) => { sessions++; s.on('data', () => {}); s.on('end', () => s.end()); s.on('error', () => {}) })
  const port = await listen(server)
  const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), 25)
  for (const junk of samples) {
    await new Promise<void>((resolve) => {
      const sock = net.connect({ port, host: '127.0.0.1' }, () => sock.write(junk))
      sock.on('data', () => {})
      sock.on('error', () => resolve())
      sock.on('close', () => resolve())
      setTimeout(() => sock.destroy(), 300)
    })
  }
  t.equal(sessions, 0, 'no junk connection ever reached the application')
  t.ok(errors.length > 0 && errors.every((e) => isSecretChannelError(e)), `${errors.length} connections failed with typed errors`)
  const s = connectFlat({ port, serverPublicKey: serverKeys.publicKey, keyPair: bot })
  await s.opened
  t.pass('a real client still logs in afterwards')
  s.end()
  s.on('data', () => {})
  await new Promise<void>((r) => s.on('close', () => r()))
  await close(server)
})
