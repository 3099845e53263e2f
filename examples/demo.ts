/**
 * The `npm start` demo: two peers on 127.0.0.1 open a secret channel, echo a few messages, then move
 * 64 MiB through a second channel and prove it arrived intact with SHA-256.
 *
 *   npm start                         (or: node dist/examples/demo.js [MiB])
 *
 * Progress is redrawn in place on a terminal and printed as plain lines otherwise. Exits 0 when every
 * check passed, 1 otherwise.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { getCryptoBackend } from '../lib/crypto/index.js'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { connect, createServer, type ClientStream, type ServerStream } from '../lib/net/index.js'

const MiB = 1024 * 1024
const totalMiB = Number(process.argv[2] ?? process.env.DEMO_MIB ?? 64)
if (!(totalMiB > 0)) throw new Error('the size must be a positive number of MiB')
const total = Math.round(totalMiB * MiB)
const CHUNK = 64 * 1024
const tty = process.stdout.isTTY === true
const appKey = SSB_MAIN_NETWORK_APP_KEY
const mib = (bytes: number): string => (bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)
let failures = 0
let received = 0 // bulk bytes the server has decrypted so far: the progress that counts
const check = (ok: boolean, what: string): void => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures++
}

// --- the two peers ----------------------------------------------------------------------------
const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()
console.log('secret-channel demo: SHS1 handshake + box-stream over TCP on 127.0.0.1')
console.log(`  server id ${formatId(serverKeys.publicKey)}`)
console.log(`  client id ${formatId(clientKeys.publicKey)}`)

// The server runs two services on one port, chosen by the first byte the client sends:
// 'e' = echo every byte back; 'b' = bulk: hash everything and answer with the SHA-256.
const server = createServer({ keyPair: serverKeys, appKey }, (stream: ServerStream) => {
  let mode: 'echo' | 'bulk' | null = null
  const hash = createHash('sha256')
  stream.on('data', (data: unknown) => {
    let chunk = data as Buffer
    if (mode === null) {
      mode = chunk[0] === 0x62 ? 'bulk' : 'echo'
      chunk = chunk.subarray(1)
    }
    if (mode === 'echo') stream.write(chunk)
    else {
      hash.update(chunk)
      received += chunk.length
    }
  })
  stream.on('end', () => stream.end(mode === 'bulk' ? Buffer.from(hash.digest('hex')) : undefined))
  stream.on('error', (err: Error) => console.log(`  server: connection failed: ${err.message}`))
})
server.on('handshakeError', (err, peer) => console.log(`  server: handshake from ${peer.remoteAddress} failed: ${err.message}`))
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const { port } = server.address() as { port: number }
console.log(`  server listening on 127.0.0.1:${port}`)

async function dial(): Promise<{ stream: ClientStream, ms: number }> {
  const started = performance.now()
  const stream = await connect({ host: '127.0.0.1', port, keyPair: clientKeys, appKey, remotePublicKey: serverKeys.publicKey })
  return { stream, ms: performance.now() - started }
}

/** Reads everything until the peer's goodbye. */
async function readAll(stream: ClientStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

// --- 1. handshake and echo --------------------------------------------------------------------
console.log('\n1. handshake and echo')
const echo = await dial()
console.log(`  handshake done in ${echo.ms.toFixed(1)} ms; client sees ${formatId(echo.stream.remotePublicKey)}`)
check(Buffer.from(echo.stream.remotePublicKey).equals(serverKeys.publicKey), 'the server proved the identity we dialed')
const messages = ['hello, secret world', 'each frame is encrypted and authenticated', 'goodbye is authenticated too']
const echoed = readAll(echo.stream)
echo.stream.write(Buffer.from('e'))
for (const message of messages) {
  echo.stream.write(Buffer.from(message + '\n'))
  console.log(`  -> ${message}`)
}
echo.stream.end()
const lines = (await echoed).toString().split('\n').filter(Boolean)
for (const line of lines) console.log(`  <- ${line}`)
check(lines.join('\n') === messages.join('\n'), 'every message came back unchanged, then a clean goodbye')

// --- 2. bulk transfer -------------------------------------------------------------------------
console.log(`\n2. bulk transfer of ${mib(total)} MiB`)
const bulk = await dial()
const answer = readAll(bulk.stream)
const sent = createHash('sha256')
const block = randomBytes(CHUNK) // reused, varied per chunk so the stream is not periodic
let done = 0
let lastShown = 0
const started = performance.now()
const progress = (final: boolean): void => {
  const pct = Math.floor((received / total) * 100)
  const secs = (performance.now() - started) / 1000
  const rate = secs > 0 ? received / MiB / secs : 0
  const line = `  ${String(pct).padStart(3)}%  ${mib(received).padStart(6)} / ${mib(total)} MiB  ${rate.toFixed(1).padStart(6)} MiB/s`
  if (tty) process.stdout.write(`\r${line}${final ? '\n' : ''}`)
  else if (final || Math.floor(pct / 25) > Math.floor(lastShown / 25)) console.log(line)
  lastShown = final ? 100 : pct
}
const ticker = setInterval(() => progress(false), tty ? 100 : 20)
bulk.stream.write(Buffer.from('b'))
while (done < total) {
  const chunk = Buffer.from(block.subarray(0, Math.min(CHUNK, total - done)))
  chunk.writeUInt32LE(done / CHUNK, 0)
  sent.update(chunk)
  done += chunk.length
  if (!bulk.stream.write(chunk)) await once(bulk.stream, 'drain')
}
bulk.stream.end()
const reply = (await answer).toString()
const seconds = (performance.now() - started) / 1000
clearInterval(ticker)
if (lastShown < 100) progress(true)
const expected = sent.digest('hex')
console.log(`  sha256 sent     ${expected}`)
console.log(`  sha256 received ${reply}`)
check(reply === expected, `${mib(total)} MiB arrived intact`)

// --- summary ----------------------------------------------------------------------------------
server.close()
console.log('\nsummary')
console.log(`  handshake  ${echo.ms.toFixed(1)} ms (first), ${bulk.ms.toFixed(1)} ms (second), TCP connect included`)
console.log(`  throughput ${(total / MiB / seconds).toFixed(1)} MiB/s (${mib(total)} MiB in ${seconds.toFixed(2)} s, encrypt + decrypt + hash on one core, ${getCryptoBackend().name} crypto)`)
console.log(failures === 0 ? '  all checks passed' : `  ${failures} check(s) FAILED`)
process.exitCode = failures === 0 ? 0 : 1
