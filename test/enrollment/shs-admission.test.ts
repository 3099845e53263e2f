/**
 * After enrollment the device runs the secret handshake with the server's key, and the server admits it
 * through enrolledAuthorizer; a device that was not enrolled is refused.
 */
import test from 'tape'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { EnrollmentClient, EnrollmentServer, MemoryEnrollmentStore, enrolledAuthorizer, toEnrolledDevice } from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY, type KeyPair } from '../../lib/keys.js'
import { runMachines } from './helpers.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY
const serverKeys = generateKeyPair()

/** One SHS1 run through the sans-I/O machines, the server asking `authorize` after msg3. */
async function handshake(device: KeyPair, serverPublicKey: Uint8Array, authorize: (key: Uint8Array) => Promise<boolean>): Promise<boolean> {
  const client = new ClientHandshake({ appKey, keyPair: device, serverPublicKey })
  const server = new ServerHandshake({ appKey, keyPair: serverKeys })
  server.receiveHello(client.createHello())
  client.receiveHello(server.createHello())
  const remote = server.receiveAuth(client.createAuth())
  if (!(await authorize(remote))) {
    server.reject()
    return false
  }
  const { message, session } = server.createAccept()
  const clientSession = client.receiveAccept(message)
  return Buffer.from(clientSession.encryptKey).equals(Buffer.from(session.decryptKey))
}

test('an enrolled device is admitted by the secret handshake, a stranger is refused', async (t) => {
  const store = new MemoryEnrollmentStore()
  const out = runMachines(new EnrollmentClient({ code: '31337' }), new EnrollmentServer({ code: '31337', keyPair: serverKeys }))
  await store.add(toEnrolledDevice(out.issued!))
  const key = out.result!.key
  if (key.type !== 'ed25519') return t.fail('expected an Ed25519 key')
  const authorize = enrolledAuthorizer(store)
  t.equal(await handshake(key.keyPair, out.result!.serverPublicKey!, authorize), true, 'enrolled device admitted, session keys agree')
  t.equal(await handshake(generateKeyPair(), serverKeys.publicKey, authorize), false, 'stranger refused')
})
