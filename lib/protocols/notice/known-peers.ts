/**
 * The known-peers file: trust on first use for the notice protocol.
 *
 * A JSON object, written atomically (a temporary file in the same folder, fsync, rename), so a
 * crash never leaves half a file:
 * ```json
 * {
 *   "version": 1,
 *   "peers": {
 *     "bob": { "id": "@…=.ed25519", "fingerprint": "K7QF-2MZD-…", "firstSeen": "2026-11-25T09:00:00.000Z" }
 *   }
 * }
 * ```
 * Names are the local labels the application gives its peers (a contact name, an address).
 * A name is bound to one key forever: {@link KnownPeers.remember} refuses a different key for a
 * known name with `ERR_KEY_CHANGED`; removing the entry by hand is the way to accept a new key.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { randomBytes } from 'node:crypto'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { formatId, parseId } from '../../keys.js'
import { displayFingerprint } from './fingerprint.js'

const PHASE = 'known peers'

/**
 * One remembered peer.
 * @example
 * ```ts
 * const bob: KnownPeer | undefined = KnownPeers.load('known-peers.json').entry('bob')
 * if (bob) console.log(bob.id, bob.firstSeen)
 * ```
 */
export interface KnownPeer {
  /** The peer's key as an `@<base64>.ed25519` id. */
  id: string
  /** The short fingerprint, as shown when the key was learned. */
  fingerprint: string
  /** When the key was first accepted (ISO 8601). */
  firstSeen: string
}

interface KnownPeersJson {
  version: 1
  peers: Record<string, KnownPeer>
}

/**
 * A known-peers file, loaded into memory; every change is written back atomically.
 * @example
 * ```ts
 * const peers = KnownPeers.load('known-peers.json')
 * if (peers.remember('bob', bobKey)) peers.save() // false: a different key is already on file
 * ```
 */
export class KnownPeers {
  /** The file's path. */
  readonly path: string
  private readonly peers = new Map<string, KnownPeer>()

  private constructor(path: string) {
    this.path = path
  }

  /**
   * Loads the file at `path`; a missing file is an empty list.
   * @throws SecretChannelError `ERR_BAD_KEY` when the file exists but is not a valid known-peers file
   */
  static load(path: string): KnownPeers {
    const store = new KnownPeers(path)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store
      throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, `cannot read ${path}`, { cause: err })
    }
    let json: Partial<KnownPeersJson>
    try {
      json = JSON.parse(text) as Partial<KnownPeersJson>
    } catch (err) {
      throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, `${path} is not valid JSON`, { cause: err })
    }
    if (!json || json.version !== 1 || typeof json.peers !== 'object' || json.peers === null) {
      throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, `${path} is not a version-1 known-peers file`)
    }
    for (const [name, entry] of Object.entries(json.peers)) {
      try {
        parseId(entry.id)
      } catch (err) {
        throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, `${path}: the key of "${name}" is not an ed25519 id`, { cause: err })
      }
      store.peers.set(name, { id: entry.id, fingerprint: String(entry.fingerprint ?? ''), firstSeen: String(entry.firstSeen ?? '') })
    }
    return store
  }

  /** The names of all known peers. */
  names(): string[] {
    return [...this.peers.keys()]
  }

  /** The entry for `name`, or undefined. */
  entry(name: string): KnownPeer | undefined {
    const e = this.peers.get(name)
    return e ? { ...e } : undefined
  }

  /** The public key known for `name`, or null. */
  get(name: string): Uint8Array | null {
    const e = this.peers.get(name)
    return e ? parseId(e.id) : null
  }

  /**
   * Records `publicKey` for `name` and writes the file. Remembering the same key again is a no-op.
   * @returns true when the key was new (first use), false when it was already known
   * @throws SecretChannelError `ERR_KEY_CHANGED` when `name` is known with a different key
   */
  remember(name: string, publicKey: Uint8Array, now: Date = new Date()): boolean {
    if (typeof name !== 'string' || name.length === 0) throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, 'a peer name must be a non-empty string')
    const known = this.get(name)
    if (known) {
      if (constantTimeEqual(known, publicKey)) return false
      throw new SecretChannelError(
        ErrorCodes.KEY_CHANGED,
        PHASE,
        `the key of "${name}" changed: known ${this.peers.get(name)!.fingerprint}, presented ${displayFingerprint(publicKey)}. ` +
          `This may be a man in the middle. If the change is genuine, remove "${name}" from ${this.path}.`
      )
    }
    this.peers.set(name, { id: formatId(publicKey), fingerprint: displayFingerprint(publicKey), firstSeen: now.toISOString() })
    this.save()
    return true
  }

  /** Forgets `name` and writes the file. Returns true when it was known. */
  forget(name: string): boolean {
    const had = this.peers.delete(name)
    if (had) this.save()
    return had
  }

  /** Writes the file atomically: temporary file, fsync, rename over the old one. */
  save(): void {
    const json: KnownPeersJson = { version: 1, peers: Object.fromEntries(this.peers) }
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`)
    let fd: number | null = null
    try {
      fd = openSync(tmp, 'wx', 0o600)
      writeSync(fd, JSON.stringify(json, null, 2) + '\n')
      fsyncSync(fd)
      closeSync(fd)
      fd = null
      renameSync(tmp, this.path)
    } catch (err) {
      if (fd !== null) closeSync(fd)
      try {
        unlinkSync(tmp)
      } catch {
        // The temporary file may not exist; the original error is what matters.
      }
      throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, `cannot write ${this.path}`, { cause: err })
    }
  }
}
