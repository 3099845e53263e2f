/**
 * Sends a file through a secret channel over TCP with `stream.pipeline`, and checks the copy.
 *
 *   node dist/examples/pipe-file.js [FILE]     (default: 16 MiB of random bytes in a temporary file)
 *
 * The server pipes the channel into a file, then answers with the SHA-256 of what it received;
 * the client compares it with the hash of what it sent.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../lib/keys.js'
import { connect, createServer } from '../lib/net/index.js'

const dir = await mkdtemp(join(tmpdir(), 'secret-channel-pipe-'))
let source = process.argv[2]
if (source === undefined) {
  source = join(dir, 'random.bin')
  await writeFile(source, randomBytes(16 * 1024 * 1024))
}
const copy = join(dir, 'copy.bin')
const appKey = SSB_MAIN_NETWORK_APP_KEY
const serverKeys = generateKeyPair()

const server = createServer({ keyPair: serverKeys, appKey }, (stream) => {
  // Ciphertext in, plaintext to disk; resolves when the client's goodbye arrived and the file is flushed.
  const receive = async (): Promise<void> => {
    await pipeline(stream, createWriteStream(copy))
    const digest = createHash('sha256').update(await readFile(copy)).digest('hex')
    stream.end(Buffer.from(digest)) // the answer, then our goodbye
  }
  receive().catch((err: Error) => stream.destroy(err)) // a failed copy fails the channel, not the process
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as { port: number }

const stream = await connect({ host: '127.0.0.1', port, keyPair: generateKeyPair(), appKey, remotePublicKey: serverKeys.publicKey })
const started = performance.now()
const answer: Buffer[] = []
stream.on('data', (chunk: unknown) => answer.push(chunk as Buffer))
const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()))
await pipeline(createReadStream(source), stream) // ends the stream (sends our goodbye) when the file is done
await closed // the server's answer and goodbye
const seconds = (performance.now() - started) / 1000

const expected = createHash('sha256').update(await readFile(source)).digest('hex')
const received = Buffer.concat(answer).toString()
const { size } = await stat(source)
console.log(`sent ${size} bytes in ${seconds.toFixed(2)} s`)
console.log(`sha256 sent     ${expected}`)
console.log(`sha256 received ${received}`)
server.close()
await rm(dir, { recursive: true, force: true })
if (received !== expected) {
  console.log('MISMATCH')
  process.exitCode = 1
} else {
  console.log('the copy is identical')
}
