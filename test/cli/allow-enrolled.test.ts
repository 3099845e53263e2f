/**
 * `listen --allow-enrolled STORE` as real processes: a device enrolled through `enroll-server` is
 * admitted with its new identity, so is a device enrolled while `listen` runs, and a client named
 * by `--allow` (either list admits); a stranger is refused and named on stderr.
 */
import test from 'tape'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatId, parseIdentityFile } from '../../lib/keys.js'
import { runCli, startCli, startListener, tempIdentities, waitForStderr, type CliProcess } from '../helpers/net.js'

/**
 * Enrolls one device into `store` with a real `enroll-server` (one enrollment, fresh one-time code)
 * and `enroll`; resolves to the device's new id, its identity written to `path`.
 */
async function enrollDevice(serverKeys: string, serverId: string, store: string, path: string): Promise<string> {
  const server = startCli(['enroll-server', '--keys', serverKeys, '--store', store])
  try {
    const [, port] = await waitForStderr(server, /listening on 127\.0\.0\.1:(\d+)/)
    const [, code] = await waitForStderr(server, /enrollment code: (\S+)/)
    const r = await runCli(['enroll', `127.0.0.1:${port}`, '--code', code!, '--server', serverId, '--keys', path])
    if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`)
    if ((await server.result).code !== 0) throw new Error(`enroll-server failed: ${server.stderrSoFar()}`)
  } finally {
    server.kill('SIGTERM')
  }
  return formatId(parseIdentityFile(readFileSync(path, 'utf8')).publicKey)
}

test('listen --allow-enrolled admits enrolled devices (also ones enrolled later) and --allow ids; refuses strangers', async (t) => {
  const ids = tempIdentities(['server', 'friend', 'stranger'])
  let listener: CliProcess | null = null
  try {
    const serverId = formatId(ids.keys.server!.publicKey)
    const store = join(ids.dir, 'enrolled.json')
    const first = join(ids.dir, 'first', 'secret')
    const firstId = await enrollDevice(ids.file.server!, serverId, store, first)

    const started = await startListener(['--keys', ids.file.server!, '--allow-enrolled', store, '--allow', formatId(ids.keys.friend!.publicKey), '--exec', 'cat'])
    listener = started.child
    t.match(listener.stderrSoFar(), /admitting the 1 device\(s\) enrolled in .*enrolled\.json/, 'listen reads the store at start')
    const dial = (keys: string, input: string): ReturnType<typeof runCli> =>
      runCli(['connect', `127.0.0.1:${started.port}`, '--server', serverId, '--keys', keys], input)

    const enrolled = await dial(first, 'from the enrolled device')
    t.equal(enrolled.code, 0, `the enrolled device connects ${enrolled.stderr}`)
    t.equal(enrolled.stdout.toString(), 'from the enrolled device', 'and talks to the command')
    t.ok(listener.stderrSoFar().includes(`connection from ${firstId}`), 'listen names the enrolled device')

    const friend = await dial(ids.file.friend!, 'from the friend')
    t.equal(friend.code, 0, '--allow still admits its ids alongside the store')
    t.equal(friend.stdout.toString(), 'from the friend', 'and talks to the command')

    const stranger = await dial(ids.file.stranger!, 'let me in')
    t.equal(stranger.code, 1, 'a stranger exits 1')
    t.match(stranger.stderr, /^secret-channel connect: .*refused us/, 'saying it was refused')
    t.equal(stranger.stdout.length, 0, 'and gets nothing')
    await waitForStderr(listener, /refusing \S+: not in --allow nor enrolled in .*enrolled\.json/)
    t.ok(listener.stderrSoFar().includes(`refusing ${formatId(ids.keys.stranger!.publicKey)}`), 'listen names the refused id')

    // Enrolled after listen started: the store is read at every handshake.
    const later = join(ids.dir, 'later', 'secret')
    await enrollDevice(ids.file.server!, serverId, store, later)
    const late = await dial(later, 'enrolled later')
    t.equal(late.code, 0, `a device enrolled while listen runs is admitted without a restart ${late.stderr}`)
    t.equal(late.stdout.toString(), 'enrolled later', 'and talks to the command')

    listener.kill('SIGTERM')
    t.equal((await listener.result).code, 143, 'listen --exec stops on SIGTERM with 128 + 15')
    listener = null

    const onlyStore = await startListener(['--keys', ids.file.server!, '--allow-enrolled', store, '--exec', 'cat'])
    const friendNow = await runCli(['connect', `127.0.0.1:${onlyStore.port}`, '--server', serverId, '--keys', ids.file.friend!], 'hi')
    t.equal(friendNow.code, 1, 'without --allow, only enrolled devices get in')
    await waitForStderr(onlyStore.child, /refusing \S+: not enrolled in /)
    onlyStore.child.kill('SIGTERM')
    await onlyStore.child.result

    // The identity file is JSON but not a store.
    const bad = await runCli(['listen', '--port', '0', '--host', '127.0.0.1', '--keys', ids.file.server!, '--allow-enrolled', ids.file.server!])
    t.equal(bad.code, 1, `a file that is not an enrollment store stops listen before it listens: ${bad.stderr.trim()}`)
    t.doesNotMatch(bad.stderr, /listening on/, 'nothing was listening')
  } finally {
    listener?.kill('SIGTERM')
    ids.cleanup()
  }
})
