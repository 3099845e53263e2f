/**
 * Enrollment, end to end on this machine: a server with a long-term key and a one-time code
 * listens on 127.0.0.1; a device enrolls over TCP, saves its identity file, and then opens a
 * SecretStream (secret handshake + box-stream) where the server admits it through `enrolledAuthorizer`;
 * a stranger with a fresh key is refused.
 *
 * Run: npm run example:enrollment
 */
import net from 'node:net'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SecretStream } from '../lib/streams/secret-stream.js'
import { generateKeyPair, parseIdentityFile, formatId, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import {
  EnrollmentCode, JsonFileEnrollmentStore, acceptEnrollment, enroll, enrolledAuthorizer, type EnrollmentLogEvent
} from '../lib/protocols/enrollment/index.js'

const dir = mkdtempSync(join(tmpdir(), 'enrollment-example-'))
const say = (who: string, text: string): void => console.log(`${who.padEnd(7)} ${text}`)
const logFor = (who: string) => (e: EnrollmentLogEvent): void =>
  say(who, `${e.direction === 'sent' ? '->' : '<-'} ${e.message} (${e.bytes} bytes)`)

try {
  // 1. The server: a long-term Ed25519 key (also its secret-handshake identity), a store, a one-time code.
  const serverKeys = generateKeyPair()
  const store = new JsonFileEnrollmentStore(join(dir, 'enrolled.json'))
  const code = EnrollmentCode.generate()
  say('server', `long-term key ${formatId(serverKeys.publicKey)}`)
  say('server', `one-time enrollment code: ${code.text} (read it to the person enrolling the device)`)

  const server = net.createServer((socket) => {
    acceptEnrollment(socket, { keyPair: serverKeys, code, store, log: logFor('server') })
      .then((device) => say('server', `recorded ${device.id} in ${store.path}`))
      .catch((err) => say('server', `enrollment failed: ${err.code} ${err.message}`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  say('server', `listening on 127.0.0.1:${port}`)

  // 2. The device: knows the code (and here also the server's key), connects and enrolls.
  const identityPath = join(dir, 'device-identity.json')
  const result = await enroll(net.connect(port, '127.0.0.1'), {
    code: code.text,
    serverPublicKey: serverKeys.publicKey,
    identityPath,
    log: logFor('device')
  })
  say('device', `enrolled after ${result.attempts} attempt(s); server authenticated by: ${result.authenticatedBy.join(' + ') || 'nothing (!)'}`)
  say('device', `saved ${result.key.type} identity ${result.key.id} to ${identityPath} (mode 0600)`)

  // 3. The device now opens a secret-handshake channel with its new identity; the server admits enrolled keys only.
  const shsServer = net.createServer({ allowHalfOpen: true }, (socket) => {
    const channel = new SecretStream(socket, { isInitiator: false, keyPair: serverKeys, appKey: SSB_MAIN_NETWORK_APP_KEY, authorize: enrolledAuthorizer(store) })
    channel.on('error', (err: Error & { code?: string }) => say('server', `secret handshake: refused (${err.code})`))
    channel.on('connect', () => say('server', `secret handshake: admitted ${formatId(channel.remotePublicKey!)}`))
    channel.on('data', (data: unknown) => { channel.write(Buffer.concat([Buffer.from('welcome, '), data as Buffer])) })
    channel.on('end', () => channel.end())
  })
  await new Promise<void>((resolve) => shsServer.listen(0, '127.0.0.1', resolve))
  const shsPort = (shsServer.address() as net.AddressInfo).port
  for (const [who, keyPair] of [['device', parseIdentityFile(readFileSync(identityPath, 'utf8'))], ['stranger', generateKeyPair()]] as const) {
    const channel = new SecretStream(net.connect({ port: shsPort, host: '127.0.0.1', allowHalfOpen: true }), {
      isInitiator: true, keyPair, appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: serverKeys.publicKey
    })
    const outcome = await new Promise<string>((resolve) => {
      channel.on('error', (err: Error & { code?: string }) => resolve(`refused: ${err.code}`))
      channel.opened.then(() => {
        channel.once('data', (d: unknown) => { resolve(`server says "${String(d)}"`); channel.end() })
        channel.write(Buffer.from(who))
      }, () => undefined)
    })
    say(who, `secret handshake as ${formatId(keyPair.publicKey)}: ${outcome}`)
  }
  await new Promise((resolve) => shsServer.close(resolve))
  server.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
