// The two shs1-test roles, written against a tiny I/O interface so they can run either in the
// process the suite spawns (io.js, stdin/stdout) or inside a warm daemon (daemon.js) that the
// spawned process only forwards to. Either way the bytes come from and go to our state machines.
//
// io: { readExactly(n): Promise<Buffer>, write(bytes), fail(err) (exit non-zero, write nothing
// more), succeed() (stay until the suite kills us) }
import { ClientHandshake, ServerHandshake } from '../../dist/lib/handshake/index.js'
import { generateKeyPair } from '../../dist/lib/keys.js'

/** The 112-byte outcome the suite checks: encryptKey ‖ encryptNonce ‖ decryptKey ‖ decryptNonce. */
function outcome(session) {
  return Buffer.concat([session.encryptKey, session.encryptNonce, session.decryptKey, session.decryptNonce])
}

/** SERVER role. args: network_identifier_hex server_longterm_sk_hex server_longterm_pk_hex */
export async function runServer(args, io) {
  try {
    const [appKey, secretKey, publicKey] = args.map((h) => Buffer.from(h, 'hex'))
    const handshake = new ServerHandshake({ appKey, keyPair: { publicKey, secretKey } })
    handshake.receiveHello(await io.readExactly(64)) // msg1
    io.write(handshake.createHello()) // msg2
    handshake.receiveAuth(await io.readExactly(112)) // msg3; the suite's honest clients are always authorized
    const { message, session } = handshake.createAccept()
    io.write(Buffer.concat([message, outcome(session)])) // msg4 ‖ outcome
    io.succeed()
  } catch (err) {
    io.fail(err)
  }
}

/** CLIENT role. args: network_identifier_hex server_longterm_pk_hex */
export async function runClient(args, io) {
  try {
    const [appKey, serverPublicKey] = args.map((h) => Buffer.from(h, 'hex'))
    const handshake = new ClientHandshake({ appKey, keyPair: generateKeyPair(), serverPublicKey })
    io.write(handshake.createHello()) // msg1
    handshake.receiveHello(await io.readExactly(64)) // msg2
    io.write(handshake.createAuth()) // msg3
    const session = handshake.receiveAccept(await io.readExactly(80)) // msg4
    io.write(outcome(session))
    io.succeed()
  } catch (err) {
    io.fail(err)
  }
}

/** One line on stderr per refusal, with the error code first (the tape test counts them). */
export function describe(err) {
  return `${err && err.code ? err.code + ' ' : ''}${err && err.message ? err.message : err}\n`
}
