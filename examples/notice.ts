/**
 * The notice key agreement, end to end, in one process:
 *
 *   npm run example:notice
 *
 * Alice and Bob meet for the first time over a deliberately bad message service (small notices,
 * 20% lost, some duplicated, reordered). They exchange keys (trust on first use, stored in
 * known-peers files in a temporary folder), agree on a symmetric key, talk over box-stream,
 * re-key, and hang up. A second session then skips the key exchange because both know each other.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '../lib/keys.js'
import { NoticeChannel, displayFingerprint, type NoticeTransport } from '../lib/protocols/notice/index.js'

/** A message service that loses 20% of notices, duplicates 10% and delays each by 0-30 ms. */
function lossyPair(): [NoticeTransport, NoticeTransport] {
  const inbox: [Set<(n: Uint8Array) => void>, Set<(n: Uint8Array) => void>] = [new Set(), new Set()]
  const side = (me: 0 | 1): NoticeTransport => ({
    send(notice) {
      if (Math.random() < 0.2) return
      const copies = Math.random() < 0.1 ? 2 : 1
      for (let i = 0; i < copies; i++) setTimeout(() => inbox[me === 0 ? 1 : 0].forEach((l) => l(notice)), Math.random() * 30)
    },
    onNotice(listener) {
      inbox[me].add(listener)
      return () => inbox[me].delete(listener)
    }
  })
  return [side(0), side(1)]
}

async function session(dir: string, alice: ReturnType<typeof generateKeyPair>, bob: ReturnType<typeof generateKeyPair>, rekey: boolean): Promise<void> {
  const [ta, tb] = lossyPair()
  const common = { maxNoticeBytes: 120, retransmitMs: 60 }
  const a = new NoticeChannel(ta, { ...common, role: 'initiator', keyPair: alice, knownPeers: join(dir, 'alice-peers.json'), peerName: 'bob' })
  const b = new NoticeChannel(tb, { ...common, role: 'responder', keyPair: bob, knownPeers: join(dir, 'bob-peers.json'), peerName: 'alice' })
  for (const [who, c] of [['alice', a], ['bob', b]] as const) {
    c.on('error', (err) => {
      console.error(`  ${who}: ${err.message}`)
      process.exitCode = 1
    })
  }
  a.on('peer-key', (k) => console.log(`  alice received a key for bob: ${k.fingerprint}`))
  b.on('peer-key', (k) => console.log(`  bob received a key for alice: ${k.fingerprint}`))
  const [ia, ib] = await Promise.all([a.secured(), b.secured()])
  console.log(`  alice: secure with bob   ${ia.fingerprint} (${ia.learned ? 'new, compare it with bob!' : 'known'})`)
  console.log(`  bob:   secure with alice ${ib.fingerprint} (${ib.learned ? 'new, compare it with alice!' : 'known'})`)
  const heard = new Promise<string>((resolve) => {
    let text = ''
    b.on('data', (d) => (text += String(d)))
    b.on('end', () => resolve(text))
  })
  a.on('data', (d) => console.log(`  alice read: ${String(d)}`))
  a.write('Hello Bob, this travels as box-stream over tiny notices. ')
  if (rekey) {
    const sid = await a.rekey()
    console.log(`  re-keyed: new session ${Buffer.from(sid).toString('hex')}`)
  }
  a.end('Bye.')
  b.end('Hi Alice!')
  const closed = (c: NoticeChannel): Promise<void> => new Promise((resolve) => c.once('close', () => resolve()))
  const both = Promise.all([closed(a), closed(b)])
  console.log(`  bob read: ${await heard}`)
  await both
}

const dir = mkdtempSync(join(tmpdir(), 'notice-example-'))
try {
  const alice = generateKeyPair()
  const bob = generateKeyPair()
  console.log(`alice's key fingerprint: ${displayFingerprint(alice.publicKey)}`)
  console.log(`bob's key fingerprint:   ${displayFingerprint(bob.publicKey)}`)
  console.log('\nfirst session (strangers: phases 1, 2 and 3):')
  await session(dir, alice, bob, true)
  console.log('\nalice-peers.json now holds:\n' + readFileSync(join(dir, 'alice-peers.json'), 'utf8'))
  console.log('second session (known peers: phase 2 skipped):')
  await session(dir, alice, bob, false)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
