/** The known-peers file: trust on first use, refusal of a changed key, atomic writes. */
import test from 'tape'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KnownPeers, displayFingerprint } from '../../lib/protocols/notice/index.js'
import { formatId } from '../../lib/keys.js'
import { isSecretChannelError } from '../../lib/errors.js'
import { testKeys } from './helpers.js'

test('known peers: first use, same key again, changed key refused loudly', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notice-known-'))
  const file = join(dir, 'peers.json')
  const bob = testKeys(2)
  const mallory = testKeys(3)
  const store = KnownPeers.load(file)
  t.deepEqual(store.names(), [], 'a missing file is an empty list')
  t.equal(store.remember('bob', bob.publicKey), true, 'first use: remembered')
  const json = JSON.parse(readFileSync(file, 'utf8'))
  t.equal(json.version, 1)
  t.equal(json.peers.bob.id, formatId(bob.publicKey), 'stored as an ed25519 id')
  t.equal(json.peers.bob.fingerprint, displayFingerprint(bob.publicKey), 'with its short fingerprint')
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only')
  t.deepEqual(readdirSync(dir), ['peers.json'], 'no temporary file left behind')
  t.equal(KnownPeers.load(file).remember('bob', bob.publicKey), false, 'the same key again: nothing new')
  try {
    KnownPeers.load(file).remember('bob', mallory.publicKey)
    t.fail('a changed key must be refused')
  } catch (err) {
    t.ok(isSecretChannelError(err, 'ERR_KEY_CHANGED'), 'ERR_KEY_CHANGED')
    const message = (err as Error).message
    t.ok(message.includes(displayFingerprint(bob.publicKey)) && message.includes(displayFingerprint(mallory.publicKey)), 'the message shows both fingerprints')
  }
  t.ok(Buffer.from(KnownPeers.load(file).get('bob')!).equals(Buffer.from(bob.publicKey)), 'the file still holds the original key')
  t.equal(KnownPeers.load(file).forget('bob'), true, 'forget removes it')
  t.equal(KnownPeers.load(file).get('bob'), null, 'and it is gone from the file')
  rmSync(dir, { recursive: true, force: true })
  t.end()
})

test('known peers: a corrupt file is ERR_BAD_KEY', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notice-known-'))
  const file = join(dir, 'peers.json')
  for (const text of ['{not json', '[]', '{"version":2,"peers":{}}', '{"version":1,"peers":{"x":{"id":"@short.ed25519"}}}']) {
    writeFileSync(file, text)
    t.throws(() => KnownPeers.load(file), (err: unknown) => isSecretChannelError(err, 'ERR_BAD_KEY'), `refused: ${text}`)
  }
  rmSync(dir, { recursive: true, force: true })
  t.end()
})
