/**
 * Where a server records the devices it enrolled, and the `authorize` hook that lets its
 * secret-handshake server admit exactly those devices.
 *
 * The JSON file is rewritten atomically (temporary file in the same folder, fsync, rename), so a
 * crash leaves either the old or the new list, never half of one, and readers never need a lock.
 * Every read-modify-write holds a lock file beside it (`<store>.lock`, created with O_EXCL), so
 * several processes (two `enroll-server`s, an `enroll-server --revoke` while one runs) never lose
 * each other's changes; writes in one process are also queued so they do not contend for the lock.
 *
 * ```
 * writer:  open(store.lock, O_CREAT|O_EXCL)  ->  read store  ->  change  ->  write .tmp, fsync  ->  rename over store  ->  unlink lock
 * lock file content:  "<pid> <hostname> <ms since epoch>"   (a lock whose process is gone on this host is removed)
 * ```
 * @module
 */
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join, basename } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { formatId } from '../../keys.js'
import { Phase, type IssuedKeyType } from './layout.js'
import type { IssuedDevice } from './server.js'

/**
 * One enrolled device as stored.
 * @example
 * ```ts
 * const devices: EnrolledDevice[] = await store.list()
 * for (const device of devices) console.log(device.id, device.enrolledAt)
 * ```
 */
export interface EnrolledDevice {
  /** `@…=.ed25519` or `rsa:sha256:<hex>`. */
  id: string
  /** The kind of key issued. */
  type: IssuedKeyType
  /** The public key, base64 (32 bytes for Ed25519, SPKI DER for RSA). */
  publicKey: string
  /** When it was enrolled (ISO 8601). */
  enrolledAt: string
  /** Whether it proved knowledge of an enrollment code. */
  codeUsed: boolean
}

/**
 * A place to record enrolled devices. Implementations must make `add` durable before resolving.
 * @example
 * ```ts
 * const store: EnrollmentStore = new JsonFileEnrollmentStore('enrolled.json') // or MemoryEnrollmentStore
 * createServer({ keyPair, appKey, authorize: enrolledAuthorizer(store) })
 * ```
 */
export interface EnrollmentStore {
  /** Records a device; rejects with `ERR_ALREADY_EXISTS` if its id is already there. */
  add(device: EnrolledDevice): Promise<void>
  /** True when a device with this id is enrolled. */
  has(id: string): Promise<boolean>
  /** The device with this id, or null. */
  get(id: string): Promise<EnrolledDevice | null>
  /** Every enrolled device. */
  list(): Promise<EnrolledDevice[]>
  /** Removes a device; true if it was there. */
  remove(id: string): Promise<boolean>
}

/**
 * The stored record for a device the server just issued a key to.
 * @example
 * ```ts
 * for (const e of step.events) if (e.type === 'issued') await store.add(toEnrolledDevice(e.device))
 * ```
 */
export function toEnrolledDevice(issued: IssuedDevice, now: Date = new Date()): EnrolledDevice {
  return {
    id: issued.id,
    type: issued.type,
    publicKey: Buffer.from(issued.publicKey).toString('base64'),
    enrolledAt: now.toISOString(),
    codeUsed: issued.codeUsed
  }
}

function alreadyExists(id: string): SecretChannelError {
  return new SecretChannelError(ErrorCodes.ALREADY_EXISTS, Phase.STORE, `device ${id} is already enrolled`)
}

/**
 * An in-memory store, for tests and short-lived servers.
 * @example
 * ```ts
 * const store = new MemoryEnrollmentStore()
 * await acceptEnrollment(socket, { keyPair: serverKeys, code, store })
 * console.log(await store.list())
 * ```
 */
export class MemoryEnrollmentStore implements EnrollmentStore {
  private readonly devices = new Map<string, EnrolledDevice>()

  /** @inheritDoc */
  async add(device: EnrolledDevice): Promise<void> {
    if (this.devices.has(device.id)) throw alreadyExists(device.id)
    this.devices.set(device.id, { ...device })
  }

  /** @inheritDoc */
  async has(id: string): Promise<boolean> {
    return this.devices.has(id)
  }

  /** @inheritDoc */
  async get(id: string): Promise<EnrolledDevice | null> {
    const device = this.devices.get(id)
    return device ? { ...device } : null
  }

  /** @inheritDoc */
  async list(): Promise<EnrolledDevice[]> {
    return [...this.devices.values()].map((d) => ({ ...d }))
  }

  /** @inheritDoc */
  async remove(id: string): Promise<boolean> {
    return this.devices.delete(id)
  }
}

/** The file's JSON shape. */
interface StoreFile {
  version: 1
  devices: EnrolledDevice[]
}

/**
 * A store kept in one JSON file (mode 0600), rewritten atomically on every change.
 *
 * @example
 * ```ts
 * const store = new JsonFileEnrollmentStore('./enrolled.json')
 * await acceptEnrollment(socket, { keyPair, code, store })
 * ```
 */
export class JsonFileEnrollmentStore implements EnrollmentStore {
  /** The file's path. */
  readonly path: string
  private queue: Promise<unknown> = Promise.resolve()

  /** @param path - the JSON file; created on the first `add` */
  constructor(path: string) {
    if (typeof path !== 'string' || path.length === 0) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.STORE, 'a store path is required')
    this.path = path
  }

  /** @inheritDoc */
  add(device: EnrolledDevice): Promise<void> {
    return this.change((devices) => {
      if (devices.some((d) => d.id === device.id)) throw alreadyExists(device.id)
      devices.push({ ...device })
      return true
    }).then(() => undefined)
  }

  /** @inheritDoc */
  async has(id: string): Promise<boolean> {
    await this.queue.catch(() => undefined)
    return (await this.read()).some((d) => d.id === id)
  }

  /** @inheritDoc */
  async get(id: string): Promise<EnrolledDevice | null> {
    await this.queue.catch(() => undefined)
    return (await this.read()).find((d) => d.id === id) ?? null
  }

  /** @inheritDoc */
  async list(): Promise<EnrolledDevice[]> {
    await this.queue.catch(() => undefined)
    return this.read()
  }

  /** @inheritDoc */
  remove(id: string): Promise<boolean> {
    return this.change((devices) => {
      const i = devices.findIndex((d) => d.id === id)
      if (i < 0) return false
      devices.splice(i, 1)
      return true
    })
  }

  /** Runs read-modify-write steps one after another here, and under the lock file across processes. */
  private change(mutate: (devices: EnrolledDevice[]) => boolean): Promise<boolean> {
    const run = this.queue.catch(() => undefined).then(() => withLockFile(`${this.path}.lock`, async () => {
      const devices = await this.read()
      const changed = mutate(devices)
      if (changed) await this.write({ version: 1, devices })
      return changed
    }))
    this.queue = run
    return run
  }

  private async read(): Promise<EnrolledDevice[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE, `cannot read ${this.path}`, { cause: err })
    }
    try {
      const file = JSON.parse(text) as StoreFile
      if (file?.version !== 1 || !Array.isArray(file.devices)) throw new Error('not a version 1 enrollment store')
      return file.devices
    } catch (err) {
      throw new SecretChannelError(ErrorCodes.BAD_KEY, Phase.STORE, `${this.path} is not a valid enrollment store`, { cause: err })
    }
  }

  private async write(file: StoreFile): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
      await writeFileAtomic(tmp, this.path, `${JSON.stringify(file, null, 2)}\n`)
    } catch (err) {
      if (err instanceof SecretChannelError) throw err
      throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE, `cannot write ${this.path}`, { cause: err })
    }
  }
}

/** How long a writer waits for the lock before giving up with `ERR_TRANSPORT`. */
const LOCK_WAIT_MS = 10_000

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs `fn` while holding `lockPath`, a file created with O_EXCL (so exactly one process holds it)
 * and removed afterwards. A lock left by a process that died on this host is taken over; a live
 * holder is waited for, up to {@link LOCK_WAIT_MS}.
 */
async function withLockFile<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 }).catch((err) => {
    throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE, `cannot create the folder of ${lockPath}`, { cause: err })
  })
  const me = `${process.pid} ${hostname()} ${Date.now()}`
  const deadline = Date.now() + LOCK_WAIT_MS
  let wait = 2
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      try {
        await handle.writeFile(me)
      } finally {
        await handle.close()
      }
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE, `cannot create the lock ${lockPath}`, { cause: err })
      }
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => null)
    if (holder === null) continue // released between our attempt and the read: try again at once
    const [pid, host] = holder.split(' ')
    if (host === hostname() && Number(pid) > 0 && !isAlive(Number(pid))) {
      // Its process is gone: remove the lock, unless another writer replaced it meanwhile.
      if ((await readFile(lockPath, 'utf8').catch(() => null)) === holder) await unlink(lockPath).catch(() => undefined)
      continue
    }
    if (Date.now() > deadline) {
      const age = await stat(lockPath).then((st) => `${Math.round((Date.now() - st.mtimeMs) / 1000)} s old`, () => 'gone')
      throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE,
        `${lockPath} is held by "${holder}" (${age}); remove it if no process holds it`)
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait))
    wait = Math.min(wait * 2, 50)
  }
  try {
    return await fn()
  } finally {
    await unlink(lockPath).catch(() => undefined)
  }
}

/**
 * Writes `text` to `tmp` (mode 0600, exclusive), fsyncs it and renames it over `path`.
 * Used for the store and for identity files.
 */
export async function writeFileAtomic(tmp: string, path: string, text: string): Promise<void> {
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw new SecretChannelError(ErrorCodes.TRANSPORT, Phase.STORE, `cannot replace ${path}`, { cause: err })
  }
}

/**
 * An `authorize` function for a secret-handshake server that admits exactly the Ed25519 keys
 * this store has enrolled. It resolves to the device's record (so `SecretStream#auth` tells the
 * application which device connected and when it was enrolled), or `false`.
 *
 * @example
 * ```ts
 * const server = createServer({ keyPair, authorize: enrolledAuthorizer(store) })
 * ```
 */
export function enrolledAuthorizer(store: EnrollmentStore): (remotePublicKey: Uint8Array) => Promise<EnrolledDevice | false> {
  return async (remotePublicKey: Uint8Array): Promise<EnrolledDevice | false> => {
    if (!(remotePublicKey instanceof Uint8Array) || remotePublicKey.length !== 32) return false
    const device = await store.get(formatId(remotePublicKey))
    return device !== null && device.type === 'ed25519' ? device : false
  }
}
