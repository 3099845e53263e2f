/**
 * The public black-box suite shs1-test (npm) against our state machines: `shs1testserver` drives
 * test/shs1/server.js and `shs1testclient` drives test/shs1/client.js, each with 20 honest peers
 * and 25 faulty ones (random or wrongly keyed messages), which our side must refuse by exiting
 * non-zero without writing more. The suite's seed is printed, so a failure can be replayed with
 * `node node_modules/shs1-test/test-server.js test/shs1/server.js <seed>`.
 */
import test from 'tape'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url)) // dist/test/shs1 -> repo root
const seed = process.env.SHS1_TEST_SEED ?? randomBytes(8).toString('hex')

/**
 * The adapters relay to a daemon in this process (test/shs1/daemon.js), so the suite's 90
 * spawned processes skip loading and warming the crypto; the bytes still go through the same
 * role code and our state machines. Run the adapters by hand without SHS1_ADAPTER_SOCKET and
 * they do it all in the spawned process.
 */
interface Daemon { path: string; close: () => Promise<void> }
async function startDaemon(): Promise<Daemon> {
  // A computed file URL: the daemon is plain JS beside the adapters, not compiled by tsc.
  const mod = await import(pathToFileURL(join(root, 'test', 'shs1', 'daemon.js')).href)
  return mod.startDaemon()
}

function runSuite(suite: 'test-server.js' | 'test-client.js', adapter: string, daemon: Daemon): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, SHS1_ADAPTER_SOCKET: daemon.path }
    const child = spawn(process.execPath, [join(root, 'node_modules', 'shs1-test', suite), join(root, 'test', 'shs1', adapter), seed], { cwd: root, env })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => resolve({ code, out }))
  })
}

for (const [suite, adapter, role] of [['test-server.js', 'server.js', 'server'], ['test-client.js', 'client.js', 'client']] as const) {
  test(`shs1-test: our ${role} passes the black-box suite (seed ${seed})`, async (t) => {
    const daemon = await startDaemon()
    const { code, out } = await runSuite(suite, adapter, daemon).finally(() => daemon.close())
    t.equal(code, 0, `shs1test${role} exits 0`)
    t.ok(out.includes(`Passed the ${role} test suite`), 'the suite reports a pass')
    if (code !== 0) t.comment(out.split('\n').filter((l) => !/^ERR_/.test(l)).slice(0, 60).join('\n'))
    // Our adapter explains each refusal on stderr with its code: the faulty cases really were refused by us.
    const refusals = out.split('\n').filter((l) => /^ERR_[A-Z_]+ /.test(l)).length
    t.equal(refusals, 25, 'the 25 faulty peers were each refused with a typed error')
  })
}
