/** The stream adapters end to end: message-transport pair, framed in-memory duplex, TCP on 127.0.0.1. */
import test from 'tape'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { NoticeChannel, connectNotice, noticeTransportPair, displayFingerprint, KnownPeers } from '../../lib/protocols/notice/index.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { formatId } from '../../lib/keys.js'
import { createDuplexPair } from '../../lib/streams/memory-pair.js'
import { testKeys } from './helpers.js'

const alice = testKeys(1)
const bob = testKeys(2)
const mallory = testKeys(3)

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'notice-test-'))
}

function collect(channel: NoticeChannel): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    channel.on('data', (d) => parts.push(d as Buffer))
    channel.on('end', () => resolve(Buffer.concat(parts)))
    channel.on('error', reject)
  })
}

function closed(channel: NoticeChannel): Promise<void> {
  return new Promise((resolve) => (channel.destroyed ? resolve() : channel.once('close', () => resolve())))
}

function errorOf(channel: NoticeChannel): Promise<Error> {
  return new Promise((resolve) => channel.once('error', resolve))
}

test('message transport pair: agreement, known-peers file, data both ways, clean close', async (t) => {
  t.timeoutAfter(10_000)
  const dir = tmp()
  const [ta, tb] = noticeTransportPair()
  const a = new NoticeChannel(ta, { role: 'initiator', keyPair: alice, knownPeers: join(dir, 'alice.json'), peerName: 'bob' })
  const b = new NoticeChannel(tb, { role: 'responder', keyPair: bob, knownPeers: join(dir, 'bob.json'), peerName: 'alice' })
  const keysSeen: string[] = []
  a.on('peer-key', (info) => keysSeen.push(info.fingerprint))
  const [ia, ib] = await Promise.all([a.secured(), b.secured()])
  t.equal(ia.fingerprint, displayFingerprint(bob.publicKey), 'alice shows bob fingerprint')
  t.equal(ib.fingerprint, displayFingerprint(alice.publicKey), 'bob shows alice fingerprint')
  t.deepEqual(keysSeen, [ia.fingerprint], 'peer-key event carried the same fingerprint')
  t.ok(ia.learned && ib.learned, 'both learned a key on first use')
  const stored = JSON.parse(readFileSync(join(dir, 'alice.json'), 'utf8'))
  t.equal(stored.peers.bob.id, formatId(bob.publicKey), 'alice stored bob under "bob"')
  t.equal(stored.peers.bob.fingerprint, ia.fingerprint, 'with its fingerprint')
  const gotA = collect(a)
  const gotB = collect(b)
  const big = Buffer.alloc(20_000, 7)
  a.write(Buffer.from('hi bob '))
  a.write(big)
  a.end()
  b.end(Buffer.from('hi alice'))
  t.deepEqual(await gotB, Buffer.concat([Buffer.from('hi bob '), big]), 'bob got everything, in order')
  t.equal((await gotA).toString(), 'hi alice', 'alice got bob data')
  await Promise.all([closed(a), closed(b)])
  t.equal(a.peer.stage, 'closed', 'alice closed cleanly')

  // Second session: both keys known now, so phase 2 is skipped.
  const [tc, td] = noticeTransportPair()
  const c = new NoticeChannel(tc, { role: 'initiator', keyPair: alice, knownPeers: join(dir, 'alice.json'), peerName: 'bob' })
  const d = new NoticeChannel(td, { role: 'responder', keyPair: bob, knownPeers: join(dir, 'bob.json'), peerName: 'alice' })
  const [ic, id] = await Promise.all([c.secured(), d.secured()])
  t.ok(!ic.learned && !id.learned, 'second session uses the known keys')
  c.destroy()
  d.destroy()
  rmSync(dir, { recursive: true, force: true })
})

test('framed adapter over an in-memory duplex pair', async (t) => {
  t.timeoutAfter(10_000)
  const [sa, sb] = createDuplexPair()
  const a = connectNotice(sa, { role: 'initiator', keyPair: alice, peerKey: bob.publicKey })
  const b = connectNotice(sb, { role: 'responder', keyPair: bob })
  const gotB = collect(b)
  a.end(Buffer.from('over a framed duplex'))
  b.end()
  t.equal((await gotB).toString(), 'over a framed duplex', 'data arrives')
  await Promise.all([closed(a), closed(b)])
  t.pass('both closed')
})

function listen(onSocket: (s: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(onSocket)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((r) => server.close(() => r()))
      })
    )
  )
}

test('TCP on 127.0.0.1: agreement then 200 KB each way', async (t) => {
  t.timeoutAfter(10_000)
  let onServerChannel!: (c: NoticeChannel) => void
  const serverReady = new Promise<NoticeChannel>((resolve) => (onServerChannel = resolve))
  const { port, close } = await listen((socket) => onServerChannel(connectNotice(socket, { role: 'responder', keyPair: bob })))
  const client = connectNotice(connect(port, '127.0.0.1'), { role: 'initiator', keyPair: alice })
  const srv = await serverReady
  const payload = Buffer.alloc(200_000)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff
  const gotServer = collect(srv)
  const gotClient = collect(client)
  srv.on('data', () => {}) // flowing
  const [info] = await Promise.all([client.secured(), srv.secured()])
  t.equal(info.fingerprint, displayFingerprint(bob.publicKey), 'client sees the server fingerprint')
  client.end(payload)
  srv.end(payload)
  t.ok((await gotServer).equals(payload), 'server received 200 KB intact')
  t.ok((await gotClient).equals(payload), 'client received 200 KB intact')
  await Promise.all([closed(client), closed(srv)])
  await close()
})

test('TCP: a substituted key for a known peer is refused loudly and the file is untouched', async (t) => {
  t.timeoutAfter(10_000)
  const dir = tmp()
  const file = join(dir, 'alice.json')
  const store = KnownPeers.load(file)
  store.remember('bob', bob.publicKey)
  const before = readFileSync(file, 'utf8')
  const server = await listen((socket) => {
    // Mallory answers in Bob's place with her own key.
    const m = connectNotice(socket, { role: 'responder', keyPair: mallory })
    m.on('error', () => {})
  })
  const client = connectNotice(connect(server.port, '127.0.0.1'), { role: 'initiator', keyPair: alice, knownPeers: file, peerName: 'bob' })
  const err = await errorOf(client)
  t.ok(isSecretChannelError(err, 'ERR_KEY_CHANGED'), `refused with ERR_KEY_CHANGED (${err.message})`)
  t.equal(readFileSync(file, 'utf8'), before, 'known-peers file unchanged')
  await closed(client)
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

test('framed: garbage on the stream fails cleanly with ERR_PROTOCOL', async (t) => {
  t.timeoutAfter(10_000)
  const [sa, sb] = createDuplexPair()
  const b = connectNotice(sb, { role: 'responder', keyPair: bob })
  const err = errorOf(b)
  sa.write(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n'))
  const e = await err
  t.ok(isSecretChannelError(e, 'ERR_PROTOCOL'), `garbage refused (${e.message})`)
  sa.destroy()
})

test('framed: the stream ending during the agreement is ERR_TRUNCATED', async (t) => {
  t.timeoutAfter(10_000)
  const [sa, sb] = createDuplexPair()
  const b = connectNotice(sb, { role: 'responder', keyPair: bob })
  const err = errorOf(b)
  sa.end()
  const e = await err
  t.ok(isSecretChannelError(e, 'ERR_TRUNCATED'), `truncation reported (${e.message})`)
})

test('re-key through the channel API while data flows, over TCP', async (t) => {
  t.timeoutAfter(10_000)
  let onServerChannel!: (c: NoticeChannel) => void
  const serverReady = new Promise<NoticeChannel>((resolve) => (onServerChannel = resolve))
  const { port, close } = await listen((socket) => onServerChannel(connectNotice(socket, { role: 'responder', keyPair: bob })))
  const client = connectNotice(connect(port, '127.0.0.1'), { role: 'initiator', keyPair: alice, peerKey: bob.publicKey })
  const srv = await serverReady
  const got = collect(srv)
  const [info] = await Promise.all([client.secured(), srv.secured()])
  const rekeyedOnServer = new Promise<Uint8Array>((resolve) => srv.once('rekeyed', resolve))
  client.write(Buffer.from('old key, '))
  const sid = await client.rekey()
  t.notOk(Buffer.from(sid).equals(Buffer.from(info.sessionId)), 'a new session id')
  t.ok(Buffer.from(await rekeyedOnServer).equals(Buffer.from(sid)), 'the server switched to the same one')
  client.end(Buffer.from('new key'))
  srv.end()
  t.equal((await got).toString(), 'old key, new key', 'data on both sides of the switch arrives in order')
  await Promise.all([closed(client), closed(srv)])
  await close()
})
