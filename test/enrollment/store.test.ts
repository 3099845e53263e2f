/** The enrollment stores and enrolledAuthorizer. */
import test from 'tape'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  JsonFileEnrollmentStore, MemoryEnrollmentStore, enrolledAuthorizer, type EnrolledDevice, type EnrollmentStore
} from '../../lib/protocols/enrollment/index.js'
import { generateKeyPair, formatId } from '../../lib/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'enroll-store-'))
test.onFinish(() => rmSync(dir, { recursive: true, force: true }))

function device(): EnrolledDevice {
  const pair = generateKeyPair()
  return { id: formatId(pair.publicKey), type: 'ed25519', publicKey: Buffer.from(pair.publicKey).toString('base64'), enrolledAt: new Date().toISOString(), codeUsed: true }
}

for (const [name, make] of [
  ['memory', () => new MemoryEnrollmentStore()],
  ['json file', () => new JsonFileEnrollmentStore(join(dir, `store-${Math.random()}.json`))]
] as Array<[string, () => EnrollmentStore]>) {
  test(`${name} store: add, has, list, remove, duplicates`, async (t) => {
    const store = make()
    const d = device()
    t.notOk(await store.has(d.id), 'empty at first')
    await store.add(d)
    t.ok(await store.has(d.id), 'has after add')
    t.deepEqual(await store.list(), [d], 'listed')
    t.deepEqual(await store.get(d.id), d, 'get returns the record')
    t.equal(await store.get('@nobody.ed25519'), null, 'get of an unknown id is null')
    try { await store.add(d); t.fail('duplicate') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_ALREADY_EXISTS', 'duplicate: ERR_ALREADY_EXISTS') }
    t.ok(await store.remove(d.id), 'removed')
    t.notOk(await store.remove(d.id), 'second remove is false')
    t.notOk(await store.has(d.id), 'gone')
  })
}

test('json file store: concurrent adds all land, the file is valid JSON with mode 0600, no temp files left', async (t) => {
  const path = join(dir, 'concurrent.json')
  const store = new JsonFileEnrollmentStore(path)
  const devices = Array.from({ length: 20 }, device)
  await Promise.all(devices.map((d) => store.add(d)))
  const file = JSON.parse(readFileSync(path, 'utf8'))
  t.equal(file.version, 1, 'versioned')
  t.equal(file.devices.length, 20, 'all 20 devices written')
  t.equal(statSync(path).mode & 0o777, 0o600, 'mode 0600')
  t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left')
  const reopened = new JsonFileEnrollmentStore(path)
  t.ok(await reopened.has(devices[7]!.id), 'a new instance reads the same file')
})

test('json file store: a corrupt file is ERR_BAD_KEY, not silently emptied', async (t) => {
  const path = join(dir, 'corrupt.json')
  writeFileSync(path, '{"version":1,"devices":')
  const store = new JsonFileEnrollmentStore(path)
  try { await store.add(device()); t.fail('add') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_BAD_KEY', 'ERR_BAD_KEY') }
  t.equal(readFileSync(path, 'utf8'), '{"version":1,"devices":', 'file untouched')
})

test('enrolledAuthorizer admits enrolled Ed25519 keys only', async (t) => {
  const store = new MemoryEnrollmentStore()
  const enrolled = generateKeyPair()
  const stranger = generateKeyPair()
  await store.add({ ...device(), id: formatId(enrolled.publicKey) })
  const authorize = enrolledAuthorizer(store)
  const admitted = await authorize(enrolled.publicKey)
  t.equal(admitted && admitted.id, formatId(enrolled.publicKey), 'enrolled key admitted, with its record')
  t.equal(await authorize(stranger.publicKey), false, 'stranger refused')
  t.equal(await authorize(new Uint8Array(31)), false, 'malformed key refused')
  await store.remove(formatId(enrolled.publicKey))
  t.equal(await authorize(enrolled.publicKey), false, 'removed device refused')
})

test('unwritable locations give typed errors (store: ERR_TRANSPORT, identity: ERR_BAD_KEY)', async (t) => {
  const blocker = join(dir, 'not-a-directory')
  writeFileSync(blocker, 'x')
  const store = new JsonFileEnrollmentStore(join(blocker, 'enrolled.json'))
  try { await store.add(device()); t.fail('add') } catch (err) { t.equal((err as { code?: string }).code, 'ERR_TRANSPORT', 'store under a file: ERR_TRANSPORT') }
  const { saveReceivedKey } = await import('../../lib/protocols/enrollment/index.js')
  const pair = generateKeyPair()
  try {
    await saveReceivedKey(join(blocker, 'id.json'), { type: 'ed25519', keyPair: pair, id: formatId(pair.publicKey) })
    t.fail('save')
  } catch (err) { t.equal((err as { code?: string }).code, 'ERR_BAD_KEY', 'identity under a file: ERR_BAD_KEY') }
})

test('json file store: four processes adding and removing at once lose nothing (lock file)', async (t) => {
  const { spawn } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const child = fileURLToPath(new URL('./fixtures/store-writer.js', import.meta.url))
  const path = join(dir, 'shared.json')
  const run = (): Promise<string[]> => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path, '12'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (c) => { out += c })
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer exited with ${code}`))))
  })
  const kept = (await Promise.all([run(), run(), run(), run()])).flat()
  const stored = (await new JsonFileEnrollmentStore(path).list()).map((d) => d.id)
  t.equal(kept.length, 24, 'each process kept 6 of its 12 devices')
  t.deepEqual([...stored].sort(), [...kept].sort(), 'the file holds exactly the kept devices: no add or remove was lost')
  t.deepEqual(readdirSync(dir).filter((f) => f.startsWith('shared.json.') || (f.startsWith('.shared.json') && f.endsWith('.tmp'))), [], 'no lock or temporary file left')
})

test('json file store: a lock left by a dead process is taken over; a live one is waited for', async (t) => {
  const { hostname } = await import('node:os')
  const path = join(dir, 'locked.json')
  writeFileSync(`${path}.lock`, `999999999 ${hostname()} ${Date.now()}`)
  const store = new JsonFileEnrollmentStore(path)
  await store.add(device())
  t.equal((await store.list()).length, 1, 'added despite the stale lock of a dead process')
  writeFileSync(`${path}.lock`, `${process.pid} ${hostname()} ${Date.now()}`)
  let done = false
  const adding = store.add(device()).then(() => { done = true })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.notOk(done, 'waits while a live process holds the lock')
  rmSync(`${path}.lock`)
  await adding
  t.equal((await store.list()).length, 2, 'and goes on once it is released')
})
