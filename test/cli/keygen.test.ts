/** `keygen` writes an ssb-keys identity file with mode 0600, refuses to overwrite without --force; `id` reads it back. */
import test from 'tape'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatId, parseIdentityFile } from '../../lib/keys.js'
import { runCli } from '../helpers/net.js'

test('keygen: mode 0600, ssb-keys shape, prints the id; id agrees', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-channel-keygen-'))
  const file = join(dir, 'nested', 'secret')
  const made = await runCli(['keygen', '--out', file])
  t.equal(made.code, 0, 'exit 0')
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is readable by its owner only')
  const json = JSON.parse(readFileSync(file, 'utf8'))
  t.deepEqual(Object.keys(json).sort(), ['curve', 'id', 'private', 'public'], 'the ssb-keys fields')
  t.equal(json.curve, 'ed25519')
  const keyPair = parseIdentityFile(readFileSync(file, 'utf8'))
  t.equal(made.stdout.toString(), formatId(keyPair.publicKey) + '\n', 'prints the public id')
  const shown = await runCli(['id', '--keys', file])
  t.equal(shown.code, 0)
  t.equal(shown.stdout.toString(), made.stdout.toString(), '`id` prints the same id')
  const viaEnv = await runCli(['id'], '', { SECRET_CHANNEL_KEYS: file })
  t.equal(viaEnv.stdout.toString(), made.stdout.toString(), '$SECRET_CHANNEL_KEYS is the default path')
  rmSync(dir, { recursive: true, force: true })
})

test('keygen refuses to overwrite without --force', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-channel-keygen-'))
  const file = join(dir, 'secret')
  writeFileSync(file, 'precious', { mode: 0o644 })
  const refused = await runCli(['keygen', '--out', file])
  t.notEqual(refused.code, 0, 'non-zero exit')
  t.match(refused.stderr, /^secret-channel keygen: .*already exists.*--force.*\n$/, 'one clear line')
  t.equal(readFileSync(file, 'utf8'), 'precious', 'the file is untouched')
  const forced = await runCli(['keygen', '--out', file, '--force'])
  t.equal(forced.code, 0)
  t.equal(statSync(file).mode & 0o777, 0o600, 'an overwritten file is made private too')
  t.ok(parseIdentityFile(readFileSync(file, 'utf8')), 'and holds a valid identity')
  rmSync(dir, { recursive: true, force: true })
})

test('help and usage errors: --help exits 0, mistakes are one line with exit 2, bad files exit 1', async (t) => {
  for (const command of ['keygen', 'id', 'listen', 'connect']) {
    const help = await runCli([command, '--help'])
    t.equal(help.code, 0, `${command} --help exits 0`)
    t.match(help.stdout.toString(), new RegExp(`^Usage: secret-channel ${command}`), `${command} --help prints its usage`)
  }
  const top = await runCli(['--help'])
  t.match(top.stdout.toString(), /keygen[\s\S]*connect/, 'the overview lists the commands')
  const unknown = await runCli(['listen', '--port', '1', '--bogus'])
  t.equal(unknown.code, 2)
  t.equal(unknown.stderr, 'secret-channel listen: unknown option --bogus (see "secret-channel listen --help")\n')
  const noCommand = await runCli(['frobnicate'])
  t.equal(noCommand.code, 2)
  t.equal(noCommand.stderr.split('\n').length, 2, 'one line')
  const missing = await runCli(['id', '--keys', '/nonexistent/secret'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^secret-channel id: identity file: \/nonexistent\/secret does not exist.*\n$/)
  t.doesNotMatch(missing.stderr, /\bat .*\.js:\d+/, 'no stack trace')
})
