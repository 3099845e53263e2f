/** The owner's commands: accounts-prove prints a session, accounts-passwd, accounts-revoke, accounts-delete. */
import test from 'tape'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliIO, startCliServer } from './cli-helpers.js'
import { formatId, generateKeyPair, toIdentityFile } from '../../lib/keys.js'
import { main } from '../../lib/cli/main.js'
import { IdentityClient } from '../../lib/protocols/accounts/account-client.js'
import { isSecretChannelError } from '../../lib/errors.js'

/** Like {@link cliIO} with stdin already ended (nothing to read). */
const io = (env: Record<string, string> = {}) => cliIO(env, '')
const server = (argv: string[]) => startCliServer(argv, 300)

test('cli: prove prints a session token, passwd changes the password, revoke ends the session, delete removes the account', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'))
  const key = (name: string) => {
    const pair = generateKeyPair()
    const path = join(dir, `${name}.json`)
    writeFileSync(path, JSON.stringify(toIdentityFile(pair)))
    return { path, id: formatId(pair.publicKey), publicKey: pair.publicKey }
  }
  const idKey = key('identity'); const ksKey = key('keys')
  const identity = await server(['accounts-identity-server', '--keys', idKey.path, '--db', join(dir, 'identity.db'), '--allow-key-server', ksKey.id])
  const keys = await server(['accounts-key-server', '--keys', ksKey.path, '--db', join(dir, 'keys.db'), '--identity', identity.address, '--identity-id', idKey.id])
  const ids = ['--identity', identity.address, '--identity-id', idKey.id, '--user', 'alice']
  const servers = [...ids, '--key-server', keys.address, '--key-server-id', ksKey.id]
  const alice = join(dir, 'alice.json')
  try {
    let h = io({ SECRET_CHANNEL_PASSWORD: 'old' })
    t.equal(await main(['accounts-register', ...ids, '--out', alice], h.io), 0, 'registered')
    h = io({ SECRET_CHANNEL_PASSWORD: 'old' })
    t.equal(await main(['accounts-backup', ...servers, '--keys', alice], h.io), 0, 'backed up')

    h = io()
    t.equal(await main(['accounts-prove', ...ids, '--keys', alice], h.io), 0, `prove: ${h.err().trim()}`)
    const token = h.out().trim()
    t.match(token, /^[0-9a-f]{64}$/, 'prints the session token, hex, alone on stdout')
    const [host, port] = identity.address.split(':')
    const check = await IdentityClient.connect({ host, port: Number(port), publicKey: idKey.publicKey })
    t.equal((await check.validateSession('alice', Buffer.from(token, 'hex'))).publicKey.length, 32, 'a service can validate it')

    h = io({ SECRET_CHANNEL_PASSWORD: 'old', SECRET_CHANNEL_NEW_PASSWORD: 'new' })
    t.equal(await main(['accounts-passwd', ...servers, '--keys', alice], h.io), 0, `passwd: ${h.out().trim()} ${h.err().trim()}`)
    h = io({ SECRET_CHANNEL_PASSWORD: 'old' })
    t.equal(await main(['accounts-restore', ...servers, '--out', join(dir, 'x.json')], h.io), 1, 'the old password no longer restores')
    h = io({ SECRET_CHANNEL_PASSWORD: 'new' })
    t.equal(await main(['accounts-restore', ...servers, '--out', join(dir, 'y.json')], h.io), 0, 'the new one does')

    h = io()
    t.equal(await main(['accounts-revoke', ...ids, '--keys', alice], h.io), 0, `revoke: ${h.out().trim()}`)
    t.ok(isSecretChannelError(await check.validateSession('alice', Buffer.from(token, 'hex')).catch((e) => e), 'ERR_INVALID_TOKEN'), 'the session is gone')

    h = io()
    t.equal(await main(['accounts-delete', ...servers, '--keys', alice], h.io), 0, `delete: ${h.out().trim()}`)
    t.match(h.out(), /and its backup/, 'the backup went too')
    h = io({ SECRET_CHANNEL_PASSWORD: 'new' })
    t.equal(await main(['accounts-restore', ...servers, '--out', join(dir, 'z.json')], h.io), 1, 'nothing left to restore')
    check.close()
  } finally {
    await keys.stop()
    await identity.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('cli: --decoy-secret FILE is created 0600 with a random secret and read back the same by a second server', async (t) => {
  const { loadDecoySecret } = await import('../../lib/protocols/accounts/cli/shared.js')
  const { statSync, writeFileSync: write } = await import('node:fs')
  const dir = mkdtempSync(join(tmpdir(), 'accounts-decoy-'))
  try {
    const path = join(dir, 'decoy.hex')
    const first = loadDecoySecret(path)
    t.equal(first.length, 32, '32 random bytes')
    t.equal((statSync(path).mode & 0o777).toString(8), '600', 'the file is 0600')
    t.deepEqual(loadDecoySecret(path), first, 'the second server reads the same secret')
    write(join(dir, 'bad.hex'), 'not hex')
    t.throws(() => loadDecoySecret(join(dir, 'bad.hex')), /64 hex digits/, 'a malformed file is refused')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
