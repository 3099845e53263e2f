/**
 * Saving the key a device received as a file only its owner can read.
 *
 * Ed25519 keys become an identity file in the CLI's format (ssb-keys JSON, see `lib/keys.ts`), so
 * the device can immediately run the secret handshake with it; RSA keys become a PKCS#8 PEM file.
 * @module
 */
import { access, chmod, mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { toIdentityFile } from '../../keys.js'
import type { ReceivedKey } from './issue.js'
import { Phase } from './layout.js'
import { writeFileAtomic } from './store.js'

/**
 * Options of {@link saveReceivedKey}.
 * @example
 * ```ts
 * const options: SaveKeyOptions = { overwrite: true } // re-enrolling this device: replace its old identity
 * await saveReceivedKey('identity.json', key, options)
 * ```
 */
export interface SaveKeyOptions {
  /** Replace an existing file (default false: an existing identity is never silently lost). */
  overwrite?: boolean
}

/**
 * The file text for a received key: identity-file JSON (Ed25519) or PKCS#8 PEM (RSA).
 * @example
 * ```ts
 * const { key } = await enroll(socket, { code, serverPublicKey })
 * process.stdout.write(receivedKeyFileText(key)) // what saveReceivedKey would write
 * ```
 */
export function receivedKeyFileText(key: ReceivedKey): string {
  if (key.type === 'ed25519') return `${JSON.stringify(toIdentityFile(key.keyPair), null, 2)}\n`
  return key.privateKeyPem
}

/**
 * Throws `ERR_ALREADY_EXISTS` when `path` exists: an identity is never silently replaced.
 */
export async function assertCanCreate(path: string): Promise<void> {
  const exists = await access(path).then(() => true, () => false)
  if (exists) throw new SecretChannelError(ErrorCodes.ALREADY_EXISTS, Phase.ENROLLMENT, `${path} already exists; refusing to overwrite an identity`)
}

/**
 * Writes the received key to `path` with mode 0600, atomically.
 * @throws SecretChannelError `ERR_ALREADY_EXISTS` when the file exists and `overwrite` is not set
 * @example
 * ```ts
 * const { key } = await enroll(socket, { code, serverPublicKey })
 * await saveReceivedKey(join(homedir(), '.ssb', 'secret'), key) // mode 0600, refuses to overwrite
 * ```
 */
export async function saveReceivedKey(path: string, key: ReceivedKey, options: SaveKeyOptions = {}): Promise<void> {
  if (!options.overwrite) await assertCanCreate(path)
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await writeFileAtomic(tmp, path, receivedKeyFileText(key))
    await chmod(path, 0o600)
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.BAD_KEY, Phase.ENROLLMENT, `cannot write the identity file ${path}`, { cause: err })
  }
}
