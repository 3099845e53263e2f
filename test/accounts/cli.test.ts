/** The accounts subcommands through the `secret-channel` tool's own dispatcher, in-process with fake standard streams. */
import test from 'tape'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliIO as io, startCliServer as server } from './cli-helpers.js'
import { formatId, generateKeyPair, toIdentityFile } from '../../lib/keys.js'
import { main } from '../../lib/cli/main.js'

test('cli: the whole story through the subcommands', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'))
  const key = (name: string) => {
    const pair = generateKeyPair()
    const path = join(dir, `${name}.json`)
    writeFileSync(path, JSON.stringify(toIdentityFile(pair)))
    return { path, id: formatId(pair.publicKey) }
  }
  const idKey = key('identity'); const ksKey = key('keys'); const flatKey = key('flat')
  try {
    const identity = await server(['accounts-identity-server', '--key', idKey.path, '--db', join(dir, 'identity.db'), '--allow-key-server', ksKey.id])
    const keys = await server(['accounts-key-server', '--key', ksKey.path, '--db', join(dir, 'keys.db'), '--identity', identity.address, '--identity-id', idKey.id])
    const flat = await server(['accounts-flat-server', '--key', flatKey.path, '--keys-db', join(dir, 'keys.db'), '--identity-db', join(dir, 'identity.db')])
    const servers = ['--identity', identity.address, '--identity-id', idKey.id, '--key-server', keys.address, '--key-server-id', ksKey.id, '--user', 'alice']
    const pw = { SECRET_CHANNEL_PASSWORD: 'pw' }

    let h = io(pw)
    t.equal(await main(['accounts-register', ...servers, '--out', join(dir, 'a.json')], h.io), 0, `register: ${h.out().trim()}`)
    h = io(pw)
    t.equal(await main(['accounts-backup', ...servers, '--key', join(dir, 'a.json')], h.io), 0, `backup: ${h.out().trim()}`)
    h = io({}, 'pw\n') // the password from stdin this time
    t.equal(await main(['accounts-restore', ...servers, '--out', join(dir, 'b.json')], h.io), 0, `restore: ${h.out().trim()}`)
    t.equal(readFileSync(join(dir, 'b.json'), 'utf8'), readFileSync(join(dir, 'a.json'), 'utf8'), 'restored identity file equals the original')
    h = io()
    t.equal(await main(['accounts-prove', ...servers, '--key', join(dir, 'b.json')], h.io), 0, `prove: ${h.out().trim()}`)

    h = io(pw, 'ping over flat\n')
    t.equal(await main(['accounts-login', '--server', flat.address, '--server-id', flatKey.id, '--user', 'alice'], h.io), 0, 'interactive login exits 0')
    t.equal(h.out(), 'ping over flat\n', 'the flat server echoed stdin to stdout')

    h = io({ SECRET_CHANNEL_PASSWORD: 'wrong' })
    t.equal(await main(['accounts-restore', ...servers, '--out', join(dir, 'c.json')], h.io), 1, 'wrong password exits 1')
    t.match(h.err(), /accounts-restore: restore: wrong user id or password/, `and says so in one line: ${h.err().trim()}`)
    h = io()
    t.equal(await main(['accounts-restore', '--bogus'], h.io), 2, 'a bad command line exits 2')
    h = io()
    t.equal(await main(['accounts-restore', '--user', 'alice'], h.io), 2, 'a missing option exits 2')

    t.equal(await flat.stop(), 0, 'flat server stops cleanly')
    t.equal(await keys.stop(), 0, 'key server stops cleanly')
    t.equal(await identity.stop(), 0, 'identity server stops cleanly')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
