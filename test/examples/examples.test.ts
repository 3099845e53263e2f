/** Every example runs with one command and does what it says (the demo with a smaller transfer to stay quick). */
import test from 'tape'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { root } from '../helpers/net.js'

const run = promisify(execFile)
const example = (name: string): string => join(root, 'dist', 'examples', `${name}.js`)
const node = (name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [example(name), ...args], { cwd: root, timeout: 60_000, env: { ...process.env, ...env } })

test('in-memory: handshake, a message and goodbyes both ways', async (t) => {
  const { stdout } = await node('in-memory')
  t.match(stdout, /bob got: hi bob/)
  t.match(stdout, /auth: \{"name":"alice"\}/)
  t.match(stdout, /alice: bob said goodbye[\s\S]*closed cleanly/)
})

test('echo-server + echo-client over TCP', async (t) => {
  const server = spawn(process.execPath, [example('echo-server'), '0'], { cwd: root })
  let out = ''
  server.stdout.on('data', (d: Buffer) => { out += d })
  while (!/listening on 127\.0\.0\.1:(\d+)/.test(out)) await once(server.stdout, 'data')
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]!
  const { stdout } = await node('echo-client', [port, 'one', 'two'])
  t.match(stdout, /^connected to @/)
  t.match(stdout, /echo: one\necho: two\n$/, 'both messages echoed')
  server.kill('SIGTERM')
  await once(server, 'close')
  t.match(out, /said goodbye/, 'the server saw a clean goodbye')
})

test('pipe-file: a file through stream.pipeline, hashes match', async (t) => {
  const { stdout } = await node('pipe-file', [example('demo')])
  t.match(stdout, /the copy is identical/)
})

test('http: GET and POST over a secret channel', async (t) => {
  const { stdout } = await node('http')
  t.match(stdout, /200 GET \/hello from @/)
  t.match(stdout, /200 POST \/notes from @.*body: written over SHS1/)
})

test('demo (npm start) with 4 MiB: ids, echo, verified transfer, timings, exit 0', async (t) => {
  const { stdout } = await node('demo', ['4'])
  t.match(stdout, /server id @.*\.ed25519\n.*client id @.*\.ed25519/)
  t.match(stdout, /<- hello, secret world/)
  t.match(stdout, /100% +4 \/ 4 MiB/, 'plain progress lines when not on a terminal')
  t.match(stdout, /ok +4 MiB arrived intact/)
  t.match(stdout, /handshake +[\d.]+ ms/)
  t.match(stdout, /throughput +[\d.]+ MiB\/s/)
  t.match(stdout, /all checks passed/)
  t.doesNotMatch(stdout, /FAIL/)
})

test('pull-drop-in: the secret-handshake API, against our server and the reference one', async (t) => {
  const { stdout } = await node('pull-drop-in')
  t.match(stdout, /answer: HELLO FROM PULL-STREAMS/)
  t.match(stdout, /reference secret-handshake server\n.*\n {2}answer: SAME BYTES ON THE WIRE/)
})
