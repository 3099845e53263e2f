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
import { createPrivateKey, createPublicKey, generateKeyPairSync, createHash } from 'node:crypto'
import { getCryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { formatId, generateKeyPair, type KeyPair } from '../../keys.js'
import { Phase, type IssuedKeyType } from './layout.js'

/** A freshly made key pair, before it is sealed for the device. */
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

/** Options for issuing RSA keys. */
export interface RsaOptions {
  /** Modulus length in bits (default 2048; at least 2048). */
  modulusLength?: number
}

/** The id recorded for a public key of either type. */
export function issuedKeyId(type: IssuedKeyType, publicKey: Uint8Array): string {
  if (type === 'ed25519') return formatId(publicKey)
  return `rsa:sha256:${createHash('sha256').update(publicKey).digest('hex')}`
}

/** Makes a fresh key pair of `type` for a device. */
export function makeIssuedKey(type: IssuedKeyType, rsa: RsaOptions = {}): IssuedKeyMaterial {
  if (type === 'ed25519') {
    const pair = generateKeyPair()
    return { type, privateKey: pair.secretKey, publicKey: pair.publicKey, id: formatId(pair.publicKey) }
  }
  if (type === 'rsa') {
    const modulusLength = rsa.modulusLength ?? 2048
    if (!Number.isInteger(modulusLength) || modulusLength < 2048) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, 'RSA keys must have at least 2048 bits')
    }
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength })
    const der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }))
    const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
    return { type, privateKey: der, publicKey: spki, id: issuedKeyId('rsa', spki) }
  }
  throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, Phase.ISSUED_KEY, `unknown key type ${JSON.stringify(type)}`)
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
export function parseReceivedKey(type: IssuedKeyType, bytes: Uint8Array): ReceivedKey {
  const bad = (detail: string, cause?: unknown): SecretChannelError =>
    new SecretChannelError(ErrorCodes.PROTOCOL, Phase.ISSUED_KEY, detail, { cause })
  if (type === 'ed25519') {
    if (bytes.length !== 64) throw bad(`an Ed25519 secret key has 64 bytes, got ${bytes.length}`)
    const derived = getCryptoBackend().signKeyPairFromSeed(bytes.subarray(0, 32))
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
