/**
 * Transport faults and misuse, over TCP on 127.0.0.1: a reset in the middle of a frame, a destroy
 * in the first tick, both sides ending at once, writes after end. Each side gets the documented
 * typed error or a clean end, never a clean end after a cut, and nothing goes unhandled.
 */
import test from 'tape'
import net from 'node:net'
import { ErrorCodes, SecretChannelError } from '../../lib/errors.js'
import { ServerHandshake } from '../../lib/handshake/index.js'
import { SecretStream, type SecretStreamOptions } from '../../lib/streams/secret-stream.js'
import { appKey, clientKeys, collect, firstError, serverKeys } from '../helpers/channel.js'
import { checkNoStrays, installGuards, sleep } from '../helpers/guards.js'
import { connect, listen, type Listener } from '../helpers/tcp.js'

installGuards()

/** Outcome of one side: the bytes it read, and whether it ended cleanly or with which error. */
interface Observed {
  data: Buffer
  ended: boolean
  error: unknown
}

function observe(stream: SecretStream): Promise<Observed> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let ended = false
    let error: unknown = null
    stream.on('data', (c: unknown) => chunks.push(c as Buffer))
    stream.on('end', () => { ended = true })
    stream.on('error', (e) => { error = e })
    stream.on('close', () => resolve({ data: Buffer.concat(chunks), ended, error }))
  })
}

async function serverOn(options: Partial<SecretStreamOptions> = {}): Promise<{ l: Listener; accepted: Promise<SecretStream> }> {
  let resolve!: (s: SecretStream) => void
  const accepted = new Promise<SecretStream>((r) => { resolve = r })
  const l = await listen((raw) => resolve(new SecretStream(raw, { isInitiator: false, keyPair: serverKeys, appKey, ...options })))
  return { l, accepted }
}

const clientOver = (raw: net.Socket, options: Partial<SecretStreamOptions> = {}): SecretStream =>
  new SecretStream(raw, { isInitiator: true, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey, ...options })

const codeOf = (e: unknown): string => (e instanceof SecretChannelError ? e.code : `untyped ${String(e)}`)

/**
 * A TCP proxy that forwards exactly `budget` bytes from client to server and then resets both
 * connections (RST, not FIN).
 */
async function resettingProxy(upstreamPort: number, budget: number): Promise<Listener> {
  return listen((down) => {
    const up = net.connect({ port: upstreamPort, host: '127.0.0.1', allowHalfOpen: true })
    up.on('error', () => {})
    down.on('error', () => {})
    up.on('data', (d) => down.write(d))
    let forwarded = 0
    down.on('data', (d: Buffer) => {
      const room = budget - forwarded
      if (room <= 0) return
      up.write(d.subarray(0, room))
      forwarded += Math.min(room, d.length)
      if (forwarded >= budget) {
        setTimeout(() => {
          up.resetAndDestroy()
          down.resetAndDestroy()
        }, 20)
      }
    })
  })
}

test('transport reset in the middle of a frame: both sides get ERR_TRUNCATED or ERR_TRANSPORT, never a clean end', async (t) => {
  const { l, accepted } = await serverOn()
  // Handshake (64 + 112 bytes), one 34-byte header and 1000 bytes of a 4096-byte body, then RST.
  const proxy = await resettingProxy(l.port, 64 + 112 + 34 + 1000)
  const client = clientOver(await connect(proxy.port))
  const server = await accepted
  const seenByServer = observe(server)
  const seenByClient = observe(client)
  await client.opened
  const sent = Buffer.alloc(64 * 1024, 0xab)
  client.write(sent)
  const [s, c] = await Promise.all([seenByServer, seenByClient])
  t.notOk(s.ended, 'server: no clean end')
  t.ok(([ErrorCodes.TRUNCATED, ErrorCodes.TRANSPORT] as readonly string[]).includes(codeOf(s.error)), `server: ${codeOf(s.error)}`)
  t.ok(s.data.length < sent.length && sent.subarray(0, s.data.length).equals(s.data), `server read only a prefix (${s.data.length} bytes), no plaintext of the cut frame`)
  t.notOk(c.ended, 'client: no clean end')
  t.ok(([ErrorCodes.TRUNCATED, ErrorCodes.TRANSPORT] as readonly string[]).includes(codeOf(c.error)), `client: ${codeOf(c.error)}`)
  await proxy.close()
  await l.close()
  await checkNoStrays(t)
})

test('a peer destroyed in the first tick: it closes (destroy() alone is not an error), the other side gets the documented handshake error', async (t) => {
  const { l, accepted } = await serverOn()
  const client = clientOver(await connect(l.port))
  const seenByClient = observe(client)
  client.destroy()
  const server = await accepted
  const s = await observe(server)
  const c = await seenByClient
  t.equal(c.error, null, 'client: closed without an error event')
  await client.opened.then(() => t.fail('opened resolved'), (e) => t.equal(codeOf(e), ErrorCodes.ABORTED, 'client: opened rejects with ERR_ABORTED'))
  t.equal(codeOf(s.error), ErrorCodes.TRUNCATED, 'server: ERR_TRUNCATED (hung up before the handshake finished)')
  t.notOk(s.ended, 'server: no clean end')

  const second = await serverOn()
  const raw = await connect(second.l.port)
  const server2Stream = second.accepted
  const reason = new Error('changed my mind')
  const client2 = clientOver(raw)
  const seen2 = observe(client2)
  client2.destroy(reason)
  t.equal((await seen2).error, reason, 'destroy(err): the stream emits exactly that error')
  const s2 = await observe(await server2Stream)
  t.equal(codeOf(s2.error), ErrorCodes.TRUNCATED, 'and the server sees ERR_TRUNCATED')
  await l.close()
  await second.l.close()
  await checkNoStrays(t)
})

test('the server hangs up after each handshake step: the client gets the documented code for that phase', async (t) => {
  // After msg1 the client waits for the server hello, and a server hangs up there on a hello from
  // another network: ERR_WRONG_APP_KEY. After msg3 it waits for the acceptance, and a hang-up there
  // is indistinguishable from a refusal: ERR_UNAUTHORIZED (one decision, lib/handshake/driver.ts).
  for (const [after, expected] of [[64, ErrorCodes.WRONG_APP_KEY], [64 + 112, ErrorCodes.UNAUTHORIZED]] as const) {
    const l = await listen((raw) => {
      const hs = new ServerHandshake({ appKey, keyPair: serverKeys })
      let buffered = Buffer.alloc(0)
      raw.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d])
        if (buffered.length >= after) return void raw.destroy()
        if (buffered.length >= 64 && hs.phase === 'await-hello') {
          hs.receiveHello(buffered.subarray(0, 64))
          raw.write(hs.createHello())
        }
      })
    })
    const client = clientOver(await connect(l.port))
    const c = await observe(client)
    t.equal(codeOf(c.error), expected, `hang-up after ${after} bytes: ${expected}`)
    await l.close()
  }
  await checkNoStrays(t)
})

test('both sides write and end in the same tick: both read everything and end cleanly', async (t) => {
  const { l, accepted } = await serverOn()
  const client = clientOver(await connect(l.port))
  const server = await accepted
  await Promise.all([client.opened, server.opened])
  const fromServer = collect(client)
  const fromClient = collect(server)
  client.end(Buffer.alloc(10_000, 1))
  server.end(Buffer.alloc(20_000, 2))
  const [a, b] = await Promise.all([fromServer, fromClient])
  t.equal(a.length, 20_000, 'client read the server data and a clean end')
  t.equal(b.length, 10_000, 'server read the client data and a clean end')
  await sleep(20)
  t.ok(client.destroyed && server.destroyed, 'both closed')
  await l.close()
  await checkNoStrays(t)
})

test('writes after end() throw ERR_INVALID_STATE; what was written before still arrives with a clean end', async (t) => {
  const { l, accepted } = await serverOn()
  const client = clientOver(await connect(l.port))
  const server = await accepted
  const got = collect(server)
  client.write('before')
  client.end()
  try {
    client.write('after')
    t.fail('write after end did not throw')
  } catch (err) {
    t.equal(codeOf(err), ErrorCodes.INVALID_STATE, 'ERR_INVALID_STATE')
    t.ok((err as Error).message.startsWith('box-stream'), 'names the phase')
  }
  t.equal((await got).toString(), 'before', 'the peer reads what came before and a clean end')
  server.end()
  const err = await firstError(client)
  t.equal(err, null, 'the writer closes without an error')
  t.equal(client.write('late'), false, 'a write after close is refused (returns false), never sent')
  await l.close()
  await checkNoStrays(t)
})
