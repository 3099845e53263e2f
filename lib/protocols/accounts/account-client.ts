/**
 * Typed clients for the identity server and the key server: one method per seed-001 call, each a
 * request/response message over the client's SecretStream channel.
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import { decodeKdfParams, encodeKdfParams } from './kdf.js'
import type { KdfParams } from './kdf.js'
import { RpcClient } from './rpc/client.js'
import type { Endpoint, RpcClientOptions } from './rpc/client.js'
import { Op, decodeTime, utf8 } from './rpc/messages.js'
import type { SealedPrivateKey } from './sealed-key.js'
import type { PurposeName } from './tokens.js'

const EMPTY = new Uint8Array(0)

/**
 * What a passed session challenge establishes.
 * @example
 * ```ts
 * const session: accounts.Session = await accounts.proveIdentity({ identity, userID: 'alice', keyPair })
 * const { publicKey } = await identityClient.validateSession('alice', session.sessionToken)
 * ```
 */
export interface Session {
  /** 32 bytes; present it to `validateSession` / `endSession`. A bearer secret: keep it like a password. */
  sessionToken: Uint8Array
  /** Milliseconds since the epoch. */
  expiresAt: number
}

/**
 * Calls to the identity server.
 * @example
 * ```ts
 * const identity = await accounts.IdentityClient.connect({ host: '127.0.0.1', port: 9000, publicKey: identityServerKey })
 * const { salt, kdf } = await identity.getLoginParams('alice')
 * identity.close()
 * ```
 */
export class IdentityClient {
  /** The underlying channel (tests use it to send junk). */
  readonly rpc: RpcClient

  private constructor(rpc: RpcClient) {
    this.rpc = rpc
  }

  /** Connects; `options.keyPair` is the identity this channel proves (a throwaway one by default). */
  static async connect(endpoint: Endpoint, options?: RpcClientOptions): Promise<IdentityClient> {
    return new IdentityClient(await RpcClient.connect(endpoint, options))
  }

  /**
   * Registers `publicKey` as `userID`. The channel must be authenticated with that very key.
   * @param loginKey - the password's login key, or null for an account without a password
   */
  async putPublicKey(userID: string, publicKey: Uint8Array, kdfSalt: Uint8Array, kdf: KdfParams, loginKey: Uint8Array | null): Promise<void> {
    await this.rpc.call(Op.PUT_PUBLIC_KEY, [utf8(userID), publicKey, kdfSalt, encodeKdfParams(kdf), loginKey ?? EMPTY])
  }

  /** The KDF salt and parameters a new device needs to derive the login key. */
  async getLoginParams(userID: string): Promise<{ salt: Uint8Array, kdf: KdfParams }> {
    const [salt, kdf] = await this.rpc.call(Op.GET_LOGIN_PARAMS, [utf8(userID)])
    return { salt: salt!, kdf: decodeKdfParams(kdf!, 'identity client') }
  }

  /**
   * A short-lived, single-purpose access token.
   * @param loginKey - the login key; null to prove the account by this channel's identity key
   */
  async getAccessToken(userID: string, purpose: PurposeName, loginKey: Uint8Array | null = null): Promise<{ accessToken: Uint8Array, expiresAt: number }> {
    const [accessToken, expiresAt] = await this.rpc.call(Op.GET_ACCESS_TOKEN, [utf8(userID), utf8(purpose), loginKey ?? EMPTY])
    return { accessToken: accessToken!, expiresAt: decodeTime(expiresAt!) }
  }

  /** Key servers only: redeems a token; resolves to the account's public key. */
  async validateUser(userID: string, accessToken: Uint8Array, purpose: PurposeName): Promise<Uint8Array> {
    const [publicKey] = await this.rpc.call(Op.VALIDATE_USER, [utf8(userID), accessToken, utf8(purpose)])
    return publicKey!
  }

  /** A random token sealed to the account's key. */
  async getSessionChallenge(userID: string): Promise<Uint8Array> {
    const [box] = await this.rpc.call(Op.GET_SESSION_CHALLENGE, [utf8(userID)])
    return box!
  }

  /** Hands back the opened token; resolves to the session it starts when the server accepts it. */
  async submitSessionChallenge(userID: string, token: Uint8Array): Promise<Session> {
    const [sessionToken, expiresAt] = await this.rpc.call(Op.SUBMIT_SESSION_CHALLENGE, [utf8(userID), token])
    if (sessionToken?.length !== 32 || !expiresAt) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'identity client', 'malformed session answer')
    return { sessionToken, expiresAt: decodeTime(expiresAt) }
  }

  /** Checks a session token (anyone holding it may); resolves to the account's public key and the session's expiry. */
  async validateSession(userID: string, sessionToken: Uint8Array): Promise<{ publicKey: Uint8Array, expiresAt: number }> {
    const [publicKey, expiresAt] = await this.rpc.call(Op.VALIDATE_SESSION, [utf8(userID), sessionToken])
    if (publicKey?.length !== 32 || !expiresAt) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'identity client', 'malformed session answer')
    return { publicKey, expiresAt: decodeTime(expiresAt) }
  }

  /** Ends a session (log out). */
  async endSession(userID: string, sessionToken: Uint8Array): Promise<void> {
    await this.rpc.call(Op.END_SESSION, [utf8(userID), sessionToken])
  }

  /** Over the account's own channel: revokes every token and session; resolves to how many. */
  async revokeTokens(userID: string): Promise<number> {
    const [n] = await this.rpc.call(Op.REVOKE_TOKENS, [utf8(userID)])
    if (n?.length !== 4) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'identity client', 'malformed answer')
    return new DataView(n.buffer, n.byteOffset, 4).getUint32(0)
  }

  /** Over the account's own channel: deletes the account (delete its backup on the key server first). */
  async deleteAccount(userID: string): Promise<void> {
    await this.rpc.call(Op.DELETE_ACCOUNT, [utf8(userID)])
  }

  /** Over the account's own channel: starts a password change; the token goes to `KeyServerClient.replacePrivateKey`. */
  async changePassword(userID: string, oldLoginKey: Uint8Array, kdfSalt: Uint8Array, kdf: KdfParams, newLoginKey: Uint8Array): Promise<{ changeToken: Uint8Array, expiresAt: number }> {
    const [changeToken, expiresAt] = await this.rpc.call(Op.CHANGE_PASSWORD, [utf8(userID), oldLoginKey, kdfSalt, encodeKdfParams(kdf), newLoginKey])
    return { changeToken: changeToken!, expiresAt: decodeTime(expiresAt!) }
  }

  /** Ends the channel. */
  close(): void {
    this.rpc.close()
  }
}

/**
 * Calls to the key server.
 * @example
 * ```ts
 * const keys = await accounts.KeyServerClient.connect({ host: '127.0.0.1', port: 9001, publicKey: keyServerKey })
 * const sealed = await keys.getEncryptedPrivateKey('alice', accessToken)
 * keys.close()
 * ```
 */
export class KeyServerClient {
  /** The underlying channel. */
  readonly rpc: RpcClient

  private constructor(rpc: RpcClient) {
    this.rpc = rpc
  }

  /** Connects (a throwaway channel key by default: the access token is what authorises). */
  static async connect(endpoint: Endpoint, options?: RpcClientOptions): Promise<KeyServerClient> {
    return new KeyServerClient(await RpcClient.connect(endpoint, options))
  }

  /** Stores the sealed key, authorised by a `put-private-key` token. */
  async putPrivateKey(accessToken: Uint8Array, userID: string, encryptedPrivateKey: Uint8Array, iv: Uint8Array, salt: Uint8Array, kdf: KdfParams): Promise<void> {
    await this.rpc.call(Op.PUT_PRIVATE_KEY, [accessToken, utf8(userID), encryptedPrivateKey, iv, salt, encodeKdfParams(kdf)])
  }

  /** Stores the key re-sealed under a new password, authorised by a `change-password` token. */
  async replacePrivateKey(changeToken: Uint8Array, userID: string, encryptedPrivateKey: Uint8Array, iv: Uint8Array, salt: Uint8Array, kdf: KdfParams): Promise<void> {
    await this.rpc.call(Op.REPLACE_PRIVATE_KEY, [changeToken, utf8(userID), encryptedPrivateKey, iv, salt, encodeKdfParams(kdf)])
  }

  /** Deletes the sealed key, authorised by a `delete-account` token; resolves to whether one was stored. */
  async deletePrivateKey(deleteToken: Uint8Array, userID: string): Promise<boolean> {
    const [deleted] = await this.rpc.call(Op.DELETE_PRIVATE_KEY, [deleteToken, utf8(userID)])
    return deleted?.[0] === 1
  }

  /** Fetches the sealed key, authorised by a `get-private-key` token. */
  async getEncryptedPrivateKey(userID: string, accessToken: Uint8Array): Promise<{ sealed: SealedPrivateKey, publicKey: Uint8Array }> {
    const f = await this.rpc.call(Op.GET_ENCRYPTED_PRIVATE_KEY, [utf8(userID), accessToken])
    if (f.length !== 5 || f[4]!.length !== 32) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'key server client', 'malformed answer')
    return { sealed: { encryptedPrivateKey: f[0]!, nonce: f[1]!, salt: f[2]!, kdf: decodeKdfParams(f[3]!, 'key server client') }, publicKey: f[4]! }
  }

  /** Ends the channel. */
  close(): void {
    this.rpc.close()
  }
}
