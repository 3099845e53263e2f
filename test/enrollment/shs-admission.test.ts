/**
 * After enrollment the device opens a SecretStream to the server with its new identity, and the
 * server admits it through enrolledAuthorizer; a device that was not enrolled is refused.
 */
import test from 'tape'
import net from 'node:net'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isSecretChannelError } from '../../lib/errors.js'
import { SecretStream } from '../../lib/streams/secret-stream.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import {
  acceptEnrollment, enroll, enrolledAuthorizer, EnrollmentCode, JsonFileEnrollmentStore, MemoryEnrollmentStore, type EnrolledDevice, type EnrollmentStore
} from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair, parseIdentityFile, SSB_MAIN_NETWORK_APP_KEY, type KeyPair } from '../../lib/keys.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const serverKeys = generateKeyPair()
const dir = mkdtempSync(join(tmpdir(), 'enroll-shs-'))
test.onFinish(() => rmSync(dir, { recursive: true, force: true }))

/** A secret-handshake echo server on 127.0.0.1 that admits enrolled devices only. */
async function shsServer(store: EnrollmentStore): Promise<{ port: number, close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const channel = new SecretStream(socket, { isInitiator: false, keyPair: serverKeys, appKey, authorize: enrolledAuthorizer(store) })
    channel.on('error', () => undefined)
    channel.on('data', (data: unknown) => { channel.write(Buffer.concat([Buffer.from('echo:'), data as Buffer])) })
    channel.on('end', () => channel.end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** Dials the SHS server with `keyPair`, sends one message, returns the echo or the error code. */
async function dial(port: number, keyPair: KeyPair): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const channel = new SecretStream(socket, { isInitiator: true, keyPair, appKey, remotePublicKey: serverKeys.publicKey })
  const failed = new Promise<string>((resolve) => channel.on('error', (err: unknown) => resolve(`error ${(err as Error & { code?: string }).code}`)))
  const echoed = channel.opened.then(() => new Promise<string>((resolve) => {
    channel.once('data', (d: unknown) => { resolve((d as Buffer).toString()); channel.end() })
    channel.write(Buffer.from('hi'))
  }), () => new Promise<string>(() => undefined))
  return Promise.race([failed, echoed])
}

test('TCP: enroll, save the identity, then the secret handshake admits the device and refuses a stranger', async (t) => {
  const store = new JsonFileEnrollmentStore(join(dir, 'enrolled.json'))
  const code = EnrollmentCode.generate()
  const enrollServer = net.createServer((socket) => { acceptEnrollment(socket, { store, code, keyPair: serverKeys }).catch(() => undefined) })
  await new Promise<void>((resolve) => enrollServer.listen(0, '127.0.0.1', resolve))
  const identityPath = join(dir, 'device.json')
  const result = await enroll(net.connect((enrollServer.address() as net.AddressInfo).port, '127.0.0.1'), {
    code: code.text, serverPublicKey: serverKeys.publicKey, identityPath
  })
  await new Promise((resolve) => enrollServer.close(resolve))
  t.deepEqual(result.authenticatedBy, ['code', 'server-key'], 'enrolled with both safeguards')

  const shs = await shsServer(store)
  try {
    const device = parseIdentityFile(readFileSync(identityPath, 'utf8'))
    t.equal(await dial(shs.port, device), 'echo:hi', 'the enrolled device is admitted and talks through box-stream')
    t.equal(await dial(shs.port, generateKeyPair()), 'error ERR_UNAUTHORIZED', 'a device that was not enrolled is refused')
  } finally {
    await shs.close()
  }
})

test('in-memory pair: enrollment then SecretStream over main\'s createDuplexPair', async (t) => {
  const store = new MemoryEnrollmentStore()
  const [a, b] = createDuplexPair()
  const [, result] = await Promise.all([acceptEnrollment(b, { store, keyPair: serverKeys }), enroll(a)])
  if (result.key.type !== 'ed25519') return t.fail('expected Ed25519')
  t.ok(Buffer.from(result.serverPublicKey!).equals(serverKeys.publicKey), 'learned the server key (trust on first use)')

  const connect = async (keyPair: KeyPair): Promise<string> => {
    const [c, d] = createDuplexPair()
    const client = new SecretStream(c, { isInitiator: true, keyPair, appKey, remotePublicKey: result.serverPublicKey! })
    const server = new SecretStream(d, { isInitiator: false, keyPair: serverKeys, appKey, authorize: enrolledAuthorizer(store) })
    client.on('error', () => undefined)
    server.on('error', () => undefined)
    try {
      await Promise.all([client.opened, server.opened])
      client.destroy()
      return `admitted as ${(server.auth as EnrolledDevice).id}`
    } catch (err) {
      return isSecretChannelError(err) ? err.code : String(err)
    }
  }
  t.equal(await connect(result.key.keyPair), `admitted as ${result.key.id}`, 'enrolled device admitted; stream.auth is its record')
  t.equal(await connect(generateKeyPair()), 'ERR_UNAUTHORIZED', 'stranger refused')
})

test('lib/net: createServer({ authorize: enrolledAuthorizer(store) }) admits the enrolled device via connect()', async (t) => {
  const { createServer, connect } = await import('../../lib/net/index.js')
  const store = new MemoryEnrollmentStore()
  const [a, b] = createDuplexPair()
  const [, result] = await Promise.all([acceptEnrollment(b, { store, keyPair: serverKeys }), enroll(a, { serverPublicKey: serverKeys.publicKey })])
  if (result.key.type !== 'ed25519') return t.fail('expected Ed25519')
  const refusals: string[] = []
  const server = createServer({ keyPair: serverKeys, appKey, authorize: enrolledAuthorizer(store) }, (stream) => {
    t.equal((stream.auth as EnrolledDevice).id, result.key.id, 'stream.auth is the enrolled record')
    stream.end()
    stream.on('error', () => undefined)
  })
  server.on('handshakeError', (err: Error & { code?: string }) => refusals.push(err.code!))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  try {
    const stream = await connect({ host: '127.0.0.1', port, keyPair: result.key.keyPair, appKey, remotePublicKey: serverKeys.publicKey })
    t.ok(stream.remotePublicKey?.equals(serverKeys.publicKey), 'device connected')
    stream.on('error', () => undefined)
    stream.destroy()
    try {
      await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
      t.fail('stranger must be refused')
    } catch (err) {
      t.equal((err as Error & { code?: string }).code, 'ERR_UNAUTHORIZED', 'stranger refused: ERR_UNAUTHORIZED')
    }
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  t.ok(refusals.includes('ERR_UNAUTHORIZED'), 'the server reported the refusal')
})
