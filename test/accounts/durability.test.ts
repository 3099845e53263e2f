/** An acknowledged write survives kill -9: register and back up, SIGKILL the server process at once, restart it, restore. */
import test from 'tape'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TEST_KDF } from './helpers.js'
import { generateKeyPair } from '../../lib/keys.js'
import { backup, proveIdentity, register, restore } from '../../lib/protocols/accounts/workflows.js'

const child = fileURLToPath(new URL('./fixtures/servers-child.js', import.meta.url))
const idSeed = '11'.repeat(32)
const ksSeed = '22'.repeat(32)
const identityPublic = generateKeyPair(Buffer.from(idSeed, 'hex')).publicKey
const keyPublic = generateKeyPair(Buffer.from(ksSeed, 'hex')).publicKey

function startServers(dir: string, ports: string[] = []) {
  const proc = spawn(process.execPath, [child, dir, idSeed, ksSeed, ...ports], { stdio: ['ignore', 'pipe', 'inherit'] })
  const ready = new Promise<{ identityPort: number, keyPort: number }>((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!))
    })
    proc.once('exit', (code) => reject(new Error(`server child exited with ${code}`)))
  })
  const dead = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  return { proc, ready, dead }
}

test('durability: data acknowledged before a kill -9 is there after the restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-crash-'))
  try {
    const first = startServers(dir)
    const ports = await first.ready
    const identity = { port: ports.identityPort, publicKey: identityPublic }
    const keyServer = { port: ports.keyPort, publicKey: keyPublic }
    const alice = await register({ identity, userID: 'alice', password: 'pw', kdf: TEST_KDF })
    await backup({ identity, keyServer, userID: 'alice', keyPair: alice, password: 'pw' })
    // The last write was acknowledged a moment ago; kill without any chance to flush or close.
    first.proc.kill('SIGKILL')
    await first.dead
    t.equal(first.proc.signalCode, 'SIGKILL', 'server process was killed with SIGKILL')

    const second = startServers(dir)
    const again = await second.ready
    const restored = await restore({ identity: { port: again.identityPort, publicKey: identityPublic }, keyServer: { port: again.keyPort, publicKey: keyPublic }, userID: 'alice', password: 'pw' })
    t.ok(Buffer.from(restored.secretKey).equals(Buffer.from(alice.secretKey)), 'account and sealed key survived: restore works after the restart')
    await proveIdentity({ identity: { port: again.identityPort, publicKey: identityPublic }, userID: 'alice', keyPair: restored })
    t.pass('and the session challenge passes against the restarted server')
    second.proc.kill('SIGKILL')
    await second.dead
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
