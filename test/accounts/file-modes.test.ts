/** Issue 13 item 5: the SQLite database and its WAL files are readable by their owner only. */
import test from 'tape'
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from '../../lib/protocols/accounts/sqlite-store.js'

test('file modes: a new database and its -wal and -shm files are created 0600 even under umask 022', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-modes-'))
  const old = process.umask(0o022)
  try {
    const path = join(dir, 'identity.db')
    const store = await openSqliteStore(path)
    await store.insertToken({ hash: new Uint8Array(32).fill(1), userID: 'a', purpose: 'get-private-key', expiresAt: 1 })
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      t.ok(existsSync(f), `${f.slice(dir.length + 1)} exists`)
      t.equal((statSync(f).mode & 0o777).toString(8), '600', `${f.slice(dir.length + 1)} is 0600`)
    }
    await store.close()
    const older = join(dir, 'old.db')
    writeFileSync(older, '')
    chmodSync(older, 0o644)
    const again = await openSqliteStore(older)
    t.equal((statSync(older).mode & 0o777).toString(8), '600', 'an existing database left world-readable is tightened to 0600 on open')
    await again.close()
  } finally {
    process.umask(old)
    rmSync(dir, { recursive: true, force: true })
  }
})
