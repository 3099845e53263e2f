/**
 * connect() reads its socket into regions of slabs it owns once bulk data flows (`ownReadBuffers`,
 * lib/net/read-arena.ts) and opens frames in place there. Every plaintext view it hands out must stay as it was for as
 * long as the application holds it: a region reused for a later read would overwrite it. The
 * application here keeps every chunk and compares them only once the whole stream has arrived.
 */
import test from 'tape'
import { createHash, randomBytes } from 'node:crypto'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'
import { connect, createServer } from '../../lib/net/index.js'
import { READ_SLAB_BUDGET_BYTES, ReadArena, slabBytesFor } from '../../lib/net/read-arena.js'
import { canReadIntoOwnBuffers } from '../../lib/platform/transport-node.js'
import { closeServer, listenLocal } from '../helpers/net.js'

const appKey = SSB_MAIN_NETWORK_APP_KEY

test('connect(): chunks the application holds stay intact while later reads arrive (16 MiB)', async (t) => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const payload = randomBytes(16 * 1024 * 1024)
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
    for (let at = 0; at < payload.length; at += 60_000) stream.write(payload.subarray(at, at + 60_000))
    stream.end()
    stream.resume()
  })
  const port = await listenLocal(server)
  const stream = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  const held: Buffer[] = []
  const hashes: string[] = []
  const slabs = new Set<ArrayBufferLike>()
  stream.on('data', (chunk: Buffer) => {
    held.push(chunk)
    hashes.push(createHash('sha256').update(chunk).digest('hex'))
    slabs.add(chunk.buffer)
  })
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve)
    stream.once('error', reject)
  })
  stream.end()
  const changed = held.filter((chunk, i) => createHash('sha256').update(chunk).digest('hex') !== hashes[i]).length
  t.equal(changed, 0, `none of the ${held.length} chunks held by the application changed after it got them`)
  t.ok(Buffer.concat(held).equals(payload), 'and together they are the payload')
  t.ok([...slabs].some((b) => b.byteLength === 1024 * 1024), 'the chunks live in the read arena\'s 1 MiB slabs (the socket switched)')
  await closeServer(server)
})

test('connect(): an idle connection holds no read slab; ownReadBuffers: false keeps Node\'s buffers throughout', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const port = await listenLocal(server)
  const idle = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  t.ok(canReadIntoOwnBuffers(idle.rawStream), 'after the handshake the socket still reads through Node\'s buffers')
  const refused = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey, ownReadBuffers: 1 as unknown as boolean })
    .then(() => null, (err: Error) => err.message)
  t.ok(refused?.includes('ownReadBuffers must be true or false'), 'a non-boolean is refused')
  const plain = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey, ownReadBuffers: false })
  const slabs = new Set<number>()
  plain.on('data', (chunk: Buffer) => { slabs.add(chunk.buffer.byteLength) })
  const payload = randomBytes(2 * 1024 * 1024)
  const ended = new Promise<void>((resolve) => plain.once('end', () => resolve()))
  plain.end(payload)
  await ended
  t.notOk(slabs.has(1024 * 1024), 'with ownReadBuffers: false no chunk came from a 1 MiB slab')
  t.ok(canReadIntoOwnBuffers(plain.rawStream), 'and the socket was never switched')
  idle.end()
  idle.resume()
  await closeServer(server)
})

test('ReadArena: regions are handed out once, a new slab when less than 64 KiB is left', (t) => {
  const arena = new ReadArena()
  const first = arena.region()
  t.equal(first.length, 1024 * 1024, 'a fresh slab offers all of it')
  const got = arena.filled(first, 1000)
  t.equal(got.length, 1000, 'the filled part is returned')
  const second = arena.region()
  t.equal(second.byteOffset, got.byteOffset + 1000, 'the next region starts after it')
  arena.filled(second, second.length - 65_535)
  const third = arena.region()
  t.notEqual(third.buffer, first.buffer, 'under 64 KiB left: a new slab')
  arena.release()
  t.end()
})

test('ReadArena: slabs shrink as more sockets share the read budget, and grow back as they close', (t) => {
  t.equal(slabBytesFor(1), 1024 * 1024, 'one socket: 1 MiB')
  t.equal(slabBytesFor(64), 1024 * 1024, '64 sockets still get 1 MiB (64 MiB in all)')
  t.equal(slabBytesFor(65), 512 * 1024, 'one more: 512 KiB')
  t.equal(slabBytesFor(256), 256 * 1024, '256 sockets: 256 KiB')
  t.equal(slabBytesFor(2000), 256 * 1024, 'never below 256 KiB (smaller slabs save no CPU)')
  for (const open of [1, 10, 64, 65, 100, 128, 129, 200, 256]) {
    t.ok(slabBytesFor(open) * open <= READ_SLAB_BUDGET_BYTES, `${open} sockets stay within the budget`)
  }
  const before = ReadArena.open
  const many = Array.from({ length: 200 }, () => new ReadArena())
  t.equal(ReadArena.open, before + 200, 'every arena counts while open')
  const region = many[199]!.region()
  t.equal(region.buffer.byteLength, slabBytesFor(before + 200), `with ${before + 200} open, a new slab is ${slabBytesFor(before + 200) / 1024} KiB`)
  t.ok(region.buffer.byteLength <= 256 * 1024, 'well under 1 MiB')
  for (const arena of many) arena.release()
  many[0]!.release()
  t.equal(ReadArena.open, before, 'released arenas no longer count (a second release is ignored)')
  const alone = new ReadArena()
  t.equal(alone.region().buffer.byteLength, slabBytesFor(before + 1), 'with them gone, slabs are large again')
  alone.release()
  t.end()
})

test('ReadArena: room for 256 arenas; past that a socket keeps Node\'s buffers, and switches once one closes', async (t) => {
  const start = ReadArena.open
  const held: ReadArena[] = []
  while (ReadArena.hasRoom) held.push(new ReadArena())
  t.equal(ReadArena.open, 256, 'the budget holds 256 arenas (256 KiB each)')
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const port = await listenLocal(server)
  const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const slabs = new Set<number>()
  let echoed = 0
  stream.on('data', (chunk: Buffer) => {
    echoed += chunk.length
    slabs.add(chunk.buffer.byteLength)
  })
  const echo = async (bytes: number): Promise<void> => {
    const target = echoed + bytes
    const payload = randomBytes(bytes)
    for (let at = 0; at < bytes; at += 65_536) stream.write(payload.subarray(at, at + 65_536))
    while (echoed < target) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await echo(4 * 1024 * 1024)
  t.ok(canReadIntoOwnBuffers(stream.rawStream), 'with the budget full, 4 MiB of bulk reads left the socket on Node\'s buffers')
  t.equal(ReadArena.open, 256, 'and opened no arena, on either end')
  for (const arena of held.splice(0, 2)) arena.release()
  slabs.clear()
  await echo(4 * 1024 * 1024)
  t.notOk(canReadIntoOwnBuffers(stream.rawStream), 'once two arenas closed, the next bulk reads switched it')
  t.ok([...slabs].some((size) => size === 256 * 1024), 'its chunks now come from a 256 KiB slab (256 arenas share the budget)')
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()))
  stream.end()
  await closed
  await closeServer(server)
  for (const arena of held) arena.release()
  // Leave no arena behind for the next test: the server's socket closes after its grace at most.
  for (let i = 0; i < 300 && ReadArena.open > start; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(ReadArena.open, start, 'every arena released once both sockets closed')
})

test('a switched socket gives its arena and its slab back when it closes', async (t) => {
  const serverKeys = generateKeyPair()
  const server = createServer({ keyPair: serverKeys, appKey }, (stream) => stream.pipe(stream))
  const port = await listenLocal(server)
  const before = ReadArena.open
  const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
  const payload = randomBytes(4 * 1024 * 1024)
  let echoed = 0
  stream.on('data', (chunk: Buffer) => { echoed += chunk.length })
  const ended = new Promise<void>((resolve) => stream.once('end', () => resolve()))
  stream.end(payload)
  await ended
  t.equal(echoed, payload.length, 'the echo came back whole')
  t.ok(ReadArena.open > before, `both ends switched to their own read buffers (${ReadArena.open - before} arenas open)`)
  const raw = stream.rawStream as unknown as Record<symbol, unknown> & { destroyed: boolean, once: (e: string, f: () => void) => void }
  // The region offered to the socket's next read, in Node's private onread field.
  const offered = (): unknown => raw[Object.getOwnPropertySymbols(raw).find((s) => s.description === 'kBuffer')!]
  t.ok((offered() as Buffer | null)?.buffer.byteLength === 1024 * 1024, 'while open, the socket holds a region of its 1 MiB slab')
  const rawClosed = new Promise<void>((resolve) => raw.once('close', resolve))
  await closeServer(server)
  await rawClosed
  for (let i = 0; i < 300 && ReadArena.open !== before; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(ReadArena.open, before, 'once both sockets closed, no arena counts against the budget')
  // An application that keeps closed sockets (a peer list) must not keep a slab per socket alive
  // through them: before this was fixed, the 1,000-client load test held 950 MiB this way.
  t.equal(offered() ?? null, null, 'the closed socket, still held here, no longer references the slab')
})
