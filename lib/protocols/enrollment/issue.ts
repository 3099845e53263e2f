/**
 * The key the server issues to an enrolled device: Ed25519 (default; the device can then use the
 * secret handshake) or RSA (what the design document names).
 *
 * ```
 * Ed25519 plaintext: secret key, 64 bytes = seed (32) ‖ public key (32)   (libsodium layout)
 * RSA plaintext:     PKCS#8 DER private key
 * ```
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPair as generateNodeKeyPair, generateKeyPairSync, createHash, type KeyObject } from 'node:crypto'
import { getCryptoBackend, type CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { formatId, generateKeyPair, type KeyPair } from '../../keys.js'
import { Phase, type IssuedKeyType } from './layout.js'

/**
 * A freshly made key pair, before it is sealed for the device.
 * @example
 * ```ts
 * const material: IssuedKeyMaterial = await generateIssuedKey('ed25519')
 * console.log(material.id) // "@…=.ed25519"
 * const step = server.issue(material) // seals it for the device and wipes material.privateKey
 * ```
 */
export interface IssuedKeyMaterial {
  /** The kind of key. */
  type: IssuedKeyType
  /** The private key bytes that travel (Ed25519 secret key or PKCS#8 DER). Wiped after sealing. */
  privateKey: Uint8Array
  /** The public key: 32 bytes for Ed25519, SPKI DER for RSA. */
  publicKey: Uint8Array
  /** The id the server records: `@…=.ed25519`, or `rsa:sha256:<hex of sha256(SPKI DER)>`. */
  id: string
}

/**
 * Options for issuing RSA keys.
 * @example
 * ```ts
 * const rsa: RsaOptions = { modulusLength: 3072 }
 * const server = new EnrollmentServer({ keyPair: serverKeys, code, keyType: 'rsa', rsa })
 * ```
 */
export interface RsaOptions {
  /** Modulus length in bits (default 2048; at least 2048). */
  modulusLength?: number
}

/**
 * The id recorded for a public key of either type.
 * @example
 * ```ts
 * issuedKeyId('ed25519', keyPair.publicKey) // "@…=.ed25519", as formatId
 * issuedKeyId('rsa', spkiDer) // "rsa:sha256:<hex of sha256(SPKI DER)>"
 * ```
 */
export function issuedKeyId(type: IssuedKeyType, publicKey: Uint8Array): string {
  if (type === 'ed25519') return formatId(publicKey)
  return `rsa:sha256:${createHash('sha256').update(publicKey).digest('hex')}`
}

function checkType(type: IssuedKeyType): void {
  if (type !== 'ed25519' && type !== 'rsa') {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, `unknown key type ${JSON.stringify(type)}`)
  }
}

function checkModulus(rsa: RsaOptions): number {
  const modulusLength = rsa.modulusLength ?? 2048
  if (!Number.isInteger(modulusLength) || modulusLength < 2048) {
    throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, 'RSA keys must have at least 2048 bits')
  }
  return modulusLength
}

function ed25519Material(): IssuedKeyMaterial {
  const pair = generateKeyPair()
  return { type: 'ed25519', privateKey: pair.secretKey, publicKey: pair.publicKey, id: formatId(pair.publicKey) }
}

function rsaMaterial(privateKey: KeyObject, publicKey: KeyObject): IssuedKeyMaterial {
  const der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }))
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  return { type: 'rsa', privateKey: der, publicKey: spki, id: issuedKeyId('rsa', spki) }
}

/**
 * Makes a fresh key pair of `type` for a device, off the event loop: RSA generation (tens to
 * hundreds of milliseconds) runs on libuv's thread pool through node:crypto's asynchronous
 * `generateKeyPair`, so a server keeps serving other connections meanwhile. Ed25519 takes
 * microseconds and is made in place.
 *
 * @example
 * ```ts
 * const step = server.receive(response)            // event { type: 'key-needed', keyType, rsa }
 * const material = await generateIssuedKey('rsa', { modulusLength: 3072 })
 * const { send, events } = server.issue(material)   // record events[0].device, then send
 * ```
 */
export async function generateIssuedKey(type: IssuedKeyType, rsa: RsaOptions = {}): Promise<IssuedKeyMaterial> {
  checkType(type)
  if (type === 'ed25519') return ed25519Material()
  const modulusLength = checkModulus(rsa)
  return new Promise((resolve, reject) => {
    generateNodeKeyPair('rsa', { modulusLength }, (err, publicKey, privateKey) => {
      if (err) reject(new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, 'RSA key generation failed', { cause: err }))
      else resolve(rsaMaterial(privateKey, publicKey))
    })
  })
}

/**
 * The same as {@link generateIssuedKey}, synchronously: for tests and drivers that run both machines
 * in one call. For RSA it blocks the event loop for the whole generation; servers use the async one.
 * @example
 * ```ts
 * const step = server.issue(makeIssuedKey('ed25519')) // a test driver; servers await generateIssuedKey
 * ```
 */
export function makeIssuedKey(type: IssuedKeyType, rsa: RsaOptions = {}): IssuedKeyMaterial {
  checkType(type)
  if (type === 'ed25519') return ed25519Material()
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: checkModulus(rsa) })
  return rsaMaterial(privateKey, publicKey)
}

/**
 * What the device receives: its key pair, checked.
 * @example
 * ```ts
 * const { key }: { key: ReceivedKey } = await enroll(socket, { code, serverPublicKey })
 * if (key.type === 'ed25519') console.log(formatId(key.keyPair.publicKey))
 * ```
 */
export type ReceivedKey =
  | { type: 'ed25519', keyPair: KeyPair, id: string }
  | { type: 'rsa', privateKeyPem: string, publicKeyPem: string, id: string }

/**
 * Checks decrypted key bytes and turns them into a usable key.
 * @throws SecretChannelError `ERR_PROTOCOL` when they are not a valid key of the announced type
 */
export function parseReceivedKey(type: IssuedKeyType, bytes: Uint8Array, crypto: CryptoBackend = getCryptoBackend()): ReceivedKey {
  const bad = (detail: string, cause?: unknown): SecretChannelError =>
    new SecretChannelError(ErrorCodes.PROTOCOL, Phase.ISSUED_KEY, detail, { cause })
  if (type === 'ed25519') {
    if (bytes.length !== 64) throw bad(`an Ed25519 secret key has 64 bytes, got ${bytes.length}`)
    const derived = crypto.signKeyPairFromSeed(bytes.subarray(0, 32))
    const ok = constantTimeEqual(derived.publicKey, bytes.subarray(32)) && constantTimeEqual(derived.secretKey, bytes)
    derived.secretKey.fill(0)
    if (!ok) throw bad('the issued Ed25519 secret key does not match its public half')
    const keyPair = { publicKey: Buffer.from(bytes.subarray(32)), secretKey: Buffer.from(bytes) }
    return { type, keyPair, id: formatId(keyPair.publicKey) }
  }
  try {
    const key = createPrivateKey({ key: Buffer.from(bytes), format: 'der', type: 'pkcs8' })
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`got a ${String(key.asymmetricKeyType)} key`)
    const pub = createPublicKey(key)
    const spki = new Uint8Array(pub.export({ type: 'spki', format: 'der' }))
    return {
      type: 'rsa',
      privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
      id: issuedKeyId('rsa', spki)
    }
  } catch (err) {
    throw bad('the issued RSA key is not a valid PKCS#8 RSA private key', err)
  }
}
