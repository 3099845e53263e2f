/**
 * The whole accounts story with real processes, real TCP and real SQLite files, driven through the
 * `secret-channel` tool (bin/secret-channel.js) and its accounts subcommands. One command:
 *
 *   npm run example:accounts        (builds, then runs node dist/examples/accounts/index.js)
 *
 * 0. makes the servers' identities with `secret-channel keygen`
 * 1. starts the identity server, the key server and the flat-protocol server (three processes)
 * 2. device A registers alice and backs her key up, sealed with her password
 * 3. device B, with only "alice" and the password, restores the key and passes the session challenge
 * 4. alice logs in to the flat server interactively; a bot logs in non-interactively
 * 5. a wrong password fails cleanly; the key server is killed with SIGKILL and restarted: nothing lost
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../../../bin/secret-channel.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'accounts-example-'))
const children: ChildProcess[] = []
let stepNo = 0

const step = (text: string): void => console.log(`\n[${++stepNo}] ${text}`)
const show = (text: string): void => console.log(text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n'))

/** `secret-channel keygen --out FILE` prints the new identity's public id. */
async function keyFile(name: string): Promise<{ path: string, id: string }> {
  const path = join(dir, `${name}.json`)
  const r = await run(['keygen', '--out', path])
  if (r.code !== 0) throw new Error(`keygen failed: ${r.err}`)
  return { path, id: r.out.trim() }
}

/** Starts a server subcommand and resolves with its HOST:PORT once it prints its listening line. */
function startServer(args: string[]): Promise<{ proc: ChildProcess, address: string }> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(proc)
  proc.stderr!.on('data', (d) => show(`(${args[0]}) ${d}`))
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout!.on('data', (d) => {
      out += d
      const m = /listening on (\S+)/.exec(out)
      if (m) { show(out); resolve({ proc, address: m[1]! }) }
    })
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)))
  })
}

/** Runs a client subcommand to completion; returns its exit status and output. */
function run(args: string[], options: { password?: string, input?: string } = {}): Promise<{ code: number, out: string, err: string }> {
  const env = { ...process.env }
  if (options.password !== undefined) env.SECRET_CHANNEL_PASSWORD = options.password
  const proc = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.on('data', (d) => { out += d })
  proc.stderr.on('data', (d) => { err += d })
  proc.stdin.end(options.input ?? '')
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code: code ?? 1, out, err })))
}

async function main(): Promise<void> {
  step('make the three servers\' identities with `secret-channel keygen`')
  const identityKey = await keyFile('identity-server')
  const keyServerKey = await keyFile('key-server')
  const flatKey = await keyFile('flat-server')
  show(`identity server ${identityKey.id}\nkey server      ${keyServerKey.id}\nflat server     ${flatKey.id}`)

  const identityDb = join(dir, 'identity.db')
  const keysDb = join(dir, 'keys.db')

  step('start the identity server, the key server and the flat-protocol server (three processes, SQLite files)')
  const identity = await startServer(['accounts-identity-server', '--key', identityKey.path, '--db', identityDb, '--allow-key-server', keyServerKey.id])
  const keyServerArgs = ['accounts-key-server', '--key', keyServerKey.path, '--db', keysDb, '--identity', identity.address, '--identity-id', identityKey.id]
  let keyServer = await startServer(keyServerArgs)
  const flat = await startServer(['accounts-flat-server', '--key', flatKey.path, '--keys-db', keysDb, '--identity-db', identityDb, '--max-packet', '16384'])
  const servers = () => ['--identity', identity.address, '--identity-id', identityKey.id, '--key-server', keyServer.address, '--key-server-id', keyServerKey.id]

  const deviceA = join(dir, 'device-a'); mkdirSync(deviceA)
  const deviceB = join(dir, 'device-b'); mkdirSync(deviceB)
  const password = 'correct horse battery staple'

  step('device A: create alice\'s identity and register it (public key, KDF salt, login key)')
  let r = await run(['accounts-register', ...servers(), '--user', 'alice', '--out', join(deviceA, 'alice.json')], { password })
  show(r.out + r.err)

  step('device A: seal the private key with the password and back it up on the key server')
  r = await run(['accounts-backup', ...servers(), '--user', 'alice', '--key', join(deviceA, 'alice.json')], { password })
  show(r.out + r.err)

  step('device B (nothing but "alice" and the password): restore the identity')
  r = await run(['accounts-restore', ...servers(), '--user', 'alice', '--out', join(deviceB, 'alice.json')], { password })
  show(r.out + r.err)
  const same = readFileSync(join(deviceA, 'alice.json'), 'utf8') === readFileSync(join(deviceB, 'alice.json'), 'utf8')
  show(`device B's identity file is ${same ? 'identical to' : 'DIFFERENT FROM'} device A's`)

  step('device B: answer the identity server\'s session challenge with the restored key')
  r = await run(['accounts-prove', ...servers(), '--user', 'alice', '--key', join(deviceB, 'alice.json')])
  show(r.out + r.err)

  step('device B: log in to the flat server interactively (USERNAME → CERTIFICATE + SESSION-KEY, unlocked here)')
  r = await run(['accounts-login', '--server', flat.address, '--server-id', flatKey.id, '--user', 'alice', '--max-packet', '4096'], { password, input: 'hello over the flat protocol\n' })
  show(`${r.err}echoed back: ${r.out}`)

  step('a bot registers without a password and logs in non-interactively (CERTIFICATE-ID → SESSION-KEY)')
  r = await run(['accounts-register', ...servers(), '--user', 'build-bot', '--no-password', '--out', join(deviceA, 'bot.json')])
  show(r.out + r.err)
  r = await run(['accounts-login', '--server', flat.address, '--server-id', flatKey.id, '--key', join(deviceA, 'bot.json')], { input: 'bot reporting in\n' })
  show(`${r.err}echoed back: ${r.out}`)

  step('a wrong password fails cleanly, on the key servers and on the flat server')
  r = await run(['accounts-restore', ...servers(), '--user', 'alice', '--out', join(deviceB, 'nope.json')], { password: 'Tr0ub4dor&3' })
  show(`exit ${r.code}: ${r.err}`)
  r = await run(['accounts-login', '--server', flat.address, '--server-id', flatKey.id, '--user', 'alice'], { password: 'Tr0ub4dor&3' })
  show(`exit ${r.code}: ${r.err}`)

  step('kill -9 the key server and start it again on the same database: the backup is still there')
  keyServer.proc.removeAllListeners('exit')
  keyServer.proc.kill('SIGKILL')
  await new Promise((resolve) => keyServer.proc.once('exit', resolve))
  keyServer = await startServer(keyServerArgs)
  r = await run(['accounts-restore', ...servers(), '--user', 'alice', '--out', join(deviceB, 'alice-again.json')], { password })
  show(r.out + r.err)
}

try {
  await main()
  step('done')
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  for (const c of children) {
    c.removeAllListeners('exit')
    c.kill('SIGTERM')
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  rmSync(dir, { recursive: true, force: true })
}
