/**
 * The key server's logic ("KeyServer" in seed 001), sans-I/O: it stores password-sealed private
 * keys it cannot open, and releases or replaces one only for a token the identity server vouches
 * for. The identity server is reached through an injected `validateUser` (in production, a
 * SecretStream client; in tests, anything).
 * @module
 */
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { decodeKdfParams, encodeKdfParams } from './kdf.js'
import { Op, encodeError, encodeOk } from './rpc/messages.js'
import type { Request } from './rpc/messages.js'
import type { KeyStore } from './store.js'
import { Purpose } from './tokens.js'
import type { PurposeName } from './tokens.js'
import { parseUserIDField } from './identity-service.js'

/**
 * Asks the identity server to redeem a token; resolves to the account's public key.
 * @example
 * ```ts
 * const validateUser: accounts.ValidateUser = async (userID, token, purpose) => identityClient.validateUser(userID, token, purpose)
 * ```
 */
export type ValidateUser = (userID: string, accessToken: Uint8Array, purpose: PurposeName) => Promise<Uint8Array>

/**
 * Options for {@link KeyService}.
 * @example
 * ```ts
 * const options: accounts.KeyServiceOptions = { store: new accounts.MemoryStore(), validateUser }
 * const service = new accounts.KeyService(options)
 * ```
 */
export interface KeyServiceOptions {
  /** Where sealed keys live. */
  store: KeyStore
  /** The identity server's `validateUser`. */
  validateUser: ValidateUser
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number
}

const PHASE = 'key server'

/**
 * The key server's request handler.
 * @example
 * ```ts
 * const service = new accounts.KeyService({ store: new accounts.MemoryStore(), validateUser: accounts.remoteValidateUser(identity.endpoint, ksKeys) })
 * const reply = await service.handle(request)
 * ```
 */
export class KeyService {
  private readonly store: KeyStore
  private readonly validate: ValidateUser
  private readonly clock: () => number

  /** @param options - see {@link KeyServiceOptions} */
  constructor(options: KeyServiceOptions) {
    this.store = options.store
    this.validate = options.validateUser
    this.clock = options.clock ?? Date.now
  }

  /** Handles one request; never throws (see `IdentityService.handle`). */
  async handle(request: Request, onInternalError?: (err: unknown) => void): Promise<Uint8Array> {
    try {
      return encodeOk(await this.dispatch(request))
    } catch (err) {
      if (isSecretChannelError(err)) return encodeError(err.code, err.message)
      onInternalError?.(err)
      return encodeError(ErrorCodes.INVALID_STATE, `${PHASE}: internal error`)
    }
  }

  private async dispatch({ op, fields: f }: Request): Promise<Uint8Array[]> {
    switch (op) {
      case Op.PUT_PRIVATE_KEY: {
        const kdf = decodeKdfParams(f[5]!, PHASE)
        return this.putPrivateKey(f[0]!, parseUserIDField(f[1]!), f[2]!, f[3]!, f[4]!, encodeKdfParams(kdf))
      }
      case Op.GET_ENCRYPTED_PRIVATE_KEY: return this.getEncryptedPrivateKey(parseUserIDField(f[0]!), f[1]!)
      case Op.REPLACE_PRIVATE_KEY: {
        const kdf = decodeKdfParams(f[5]!, PHASE)
        return this.replacePrivateKey(f[0]!, parseUserIDField(f[1]!), f[2]!, f[3]!, f[4]!, encodeKdfParams(kdf))
      }
      case Op.DELETE_PRIVATE_KEY: return this.deletePrivateKey(f[0]!, parseUserIDField(f[1]!))
      default: throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `operation 0x${op.toString(16)} is not served here`)
    }
  }

  /** Stores (or replaces) a sealed key once the identity server accepts the token. */
  async putPrivateKey(accessToken: Uint8Array, userID: string, encryptedPrivateKey: Uint8Array, iv: Uint8Array, salt: Uint8Array, kdfParams: Uint8Array): Promise<Uint8Array[]> {
    const publicKey = await this.validated(userID, accessToken, Purpose.PUT_PRIVATE_KEY)
    await this.store.putSealedKey({
      userID, publicKey, updatedAt: this.clock(),
      sealed: { encryptedPrivateKey, nonce: iv, salt, kdf: decodeKdfParams(kdfParams, PHASE) }
    })
    return []
  }

  /**
   * A password change: stores the key re-sealed under the new password, authorised by the
   * `change-password` token whose redemption switches the identity server to the new login key.
   */
  async replacePrivateKey(changeToken: Uint8Array, userID: string, encryptedPrivateKey: Uint8Array, iv: Uint8Array, salt: Uint8Array, kdfParams: Uint8Array): Promise<Uint8Array[]> {
    const publicKey = await this.validated(userID, changeToken, Purpose.CHANGE_PASSWORD)
    await this.store.putSealedKey({
      userID, publicKey, updatedAt: this.clock(),
      sealed: { encryptedPrivateKey, nonce: iv, salt, kdf: decodeKdfParams(kdfParams, PHASE) }
    })
    return []
  }

  /** Deletes the account's sealed key for a `delete-account` token; answers `[0x01]` when one was stored, `[0x00]` otherwise. */
  async deletePrivateKey(deleteToken: Uint8Array, userID: string): Promise<Uint8Array[]> {
    await this.validated(userID, deleteToken, Purpose.DELETE_ACCOUNT)
    return [Uint8Array.of((await this.store.deleteSealedKey(userID)) ? 1 : 0)]
  }

  /** Returns `[encryptedPrivateKey, iv, salt, kdfParams, publicKey]` once the identity server accepts the token. */
  async getEncryptedPrivateKey(userID: string, accessToken: Uint8Array): Promise<Uint8Array[]> {
    await this.validated(userID, accessToken, Purpose.GET_PRIVATE_KEY)
    const record = await this.store.getSealedKey(userID)
    if (!record) throw new SecretChannelError(ErrorCodes.NOT_FOUND, PHASE, 'no key is stored for this account')
    const s = record.sealed
    return [s.encryptedPrivateKey, s.nonce, s.salt, encodeKdfParams(s.kdf), record.publicKey]
  }

  private async validated(userID: string, token: Uint8Array, purpose: PurposeName): Promise<Uint8Array> {
    try {
      return await this.validate(userID, token, purpose)
    } catch (err) {
      if (isSecretChannelError(err, ErrorCodes.INVALID_TOKEN) || isSecretChannelError(err, ErrorCodes.UNAUTHORIZED)) {
        throw new SecretChannelError(err.code, PHASE, 'the identity server refused the token', { cause: err })
      }
      throw new SecretChannelError(ErrorCodes.TRANSPORT, PHASE, 'could not reach the identity server to validate the token', { cause: err })
    }
  }
}
