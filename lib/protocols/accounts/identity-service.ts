/**
 * The identity server's logic ("Server" in seed 001), sans-I/O: a parsed request and the
 * authenticated peer key of the channel it came over in, a response body out. No sockets, no
 * timers; the clock is injected.
 *
 * Who may call what:
 * - `putPublicKey`: only over a channel whose SHS identity is the key being registered, so the
 *   handshake has already proved possession of the private key.
 * - `getAccessToken`: with the password's login key, or (empty login key) over a channel whose
 *   SHS identity is the account's key. `put-private-key` tokens need the identity key: someone who
 *   only knows the password must not replace the backup with another key.
 * - `validateUser`: only key servers whose public keys were configured.
 * - `getLoginParams`, `getSessionChallenge`, `submitSessionChallenge`: anyone; unknown accounts get
 *   decoys indistinguishable from real answers, so these calls do not reveal who has an account.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { SALT_BYTES, decodeKdfParams, defaultKdfParams, encodeKdfParams, scryptAsync } from './kdf.js'
import type { KdfParams } from './kdf.js'
import { Op, encodeError, encodeOk, encodeTime, text, utf8 } from './rpc/messages.js'
import type { Request } from './rpc/messages.js'
import { sealToPublicKey } from './sealed-box.js'
import type { IdentityStore } from './store.js'
import { Purpose, TOKEN_BYTES, issueToken, redeemToken } from './tokens.js'
import type { PurposeName } from './tokens.js'
import { assertUserID } from './user-id.js'

/** Who is calling: the SHS-authenticated public key of the channel. */
export interface CallContext {
  /** 32-byte Ed25519 key the peer proved in the handshake. */
  remotePublicKey: Uint8Array
}

/** Options for {@link IdentityService}. */
export interface IdentityServiceOptions {
  /** Where accounts and tokens live. */
  store: IdentityStore
  /** The crypto backend; the process-wide one by default. */
  crypto?: CryptoBackend
  /** Public keys of the key servers allowed to call `validateUser`. */
  keyServers: Uint8Array[]
  /** Milliseconds since the epoch; `Date.now` by default. */
  clock?: () => number
  /** Access-token lifetime; 60 s by default. */
  tokenTtlMs?: number
  /** Session-challenge lifetime; 60 s by default. */
  challengeTtlMs?: number
  /** scrypt cost of the server-side login-key hash; logN 14, r 8, p 1 by default. */
  loginHashKdf?: KdfParams
  /** Parameters shown for unknown accounts (should equal what clients use); {@link defaultKdfParams} by default. */
  decoyKdf?: KdfParams
  /** 32-byte secret for decoys; random per process by default (decoys then change across restarts). */
  decoySecret?: Uint8Array
  /** Failed login-key attempts allowed per account per window before it is refused outright (default 10). */
  maxLoginFailures?: number
  /** The window for {@link maxLoginFailures}, ms (default 15 minutes). */
  loginFailureWindowMs?: number
}

const PHASE = 'identity server'
const unauthorized = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.UNAUTHORIZED, PHASE, detail)

/** The identity server's request handler. */
export class IdentityService {
  private readonly store: IdentityStore
  private readonly crypto: CryptoBackend
  private readonly keyServers: Uint8Array[]
  private readonly clock: () => number
  private readonly tokenTtlMs: number
  private readonly challengeTtlMs: number
  private readonly loginHashKdf: KdfParams
  private readonly decoyKdf: KdfParams
  private readonly decoySecret: Uint8Array
  private readonly maxFailures: number
  private readonly failureWindow: number
  /** Failed login attempts per existing account (unknown accounts are never tracked, so this stays bounded). */
  private readonly failures = new Map<string, { count: number, since: number }>()

  /** @param options - see {@link IdentityServiceOptions} */
  constructor(options: IdentityServiceOptions) {
    this.store = options.store
    this.crypto = options.crypto ?? getCryptoBackend()
    this.keyServers = options.keyServers.map((k) => Uint8Array.from(k))
    this.clock = options.clock ?? Date.now
    this.tokenTtlMs = options.tokenTtlMs ?? 60_000
    this.challengeTtlMs = options.challengeTtlMs ?? 60_000
    this.loginHashKdf = options.loginHashKdf ?? { logN: 14, r: 8, p: 1 }
    this.decoyKdf = options.decoyKdf ?? defaultKdfParams()
    this.decoySecret = options.decoySecret ?? this.crypto.randomBytes(32)
    this.maxFailures = options.maxLoginFailures ?? 10
    this.failureWindow = options.loginFailureWindowMs ?? 15 * 60_000
  }

  /** True when the account has used up its failed attempts for the current window. */
  private throttled(id: string, now: number): boolean {
    const f = this.failures.get(id)
    if (!f) return false
    if (now - f.since > this.failureWindow) {
      this.failures.delete(id)
      return false
    }
    return f.count >= this.maxFailures
  }

  private recordFailure(id: string, now: number): void {
    const f = this.failures.get(id)
    if (!f || now - f.since > this.failureWindow) this.failures.set(id, { count: 1, since: now })
    else f.count++
  }

  /**
   * Handles one request; never throws. Protocol-level failures become error responses with a
   * stable code; an unexpected fault becomes `ERR_INVALID_STATE` (its detail is not sent).
   * @param onInternalError - told about unexpected faults (for logs)
   */
  async handle(request: Request, ctx: CallContext, onInternalError?: (err: unknown) => void): Promise<Uint8Array> {
    try {
      return encodeOk(await this.dispatch(request, ctx))
    } catch (err) {
      if (isSecretChannelError(err)) return encodeError(err.code, err.message)
      onInternalError?.(err)
      return encodeError(ErrorCodes.INVALID_STATE, `${PHASE}: internal error`)
    }
  }

  private async dispatch({ op, fields: f }: Request, ctx: CallContext): Promise<Uint8Array[]> {
    switch (op) {
      case Op.PUT_PUBLIC_KEY: return this.putPublicKey(ctx, userID(f[0]!), f[1]!, f[2]!, decodeKdfParams(f[3]!, PHASE), f[4]!)
      case Op.GET_LOGIN_PARAMS: return this.getLoginParams(userID(f[0]!))
      case Op.GET_ACCESS_TOKEN: return this.getAccessToken(ctx, userID(f[0]!), purpose(f[1]!), f[2]!)
      case Op.VALIDATE_USER: return this.validateUser(ctx, userID(f[0]!), f[1]!, purpose(f[2]!))
      case Op.GET_SESSION_CHALLENGE: return this.getSessionChallenge(userID(f[0]!))
      case Op.SUBMIT_SESSION_CHALLENGE: return this.submitSessionChallenge(userID(f[0]!), f[1]!)
      default: throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `operation 0x${op.toString(16)} is not served here`)
    }
  }

  /** Registers an account: its public key, the client's KDF salt and parameters, and (optionally) its login key. */
  async putPublicKey(ctx: CallContext, id: string, publicKey: Uint8Array, kdfSalt: Uint8Array, kdfParams: KdfParams, loginKey: Uint8Array): Promise<Uint8Array[]> {
    if (!constantTimeEqual(ctx.remotePublicKey, publicKey)) throw unauthorized('putPublicKey must come over a channel authenticated with the key being registered')
    if (!this.crypto.signPublicKeyToCurve(publicKey)) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'public key is not a usable Ed25519 key')
    if (loginKey.length !== 0 && loginKey.length !== 32) throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, 'a login key is 32 bytes')
    let loginHash: Uint8Array | null = null
    let loginSalt: Uint8Array | null = null
    if (loginKey.length === 32) {
      loginSalt = this.crypto.randomBytes(SALT_BYTES)
      loginHash = await scryptAsync(loginKey, loginSalt, this.loginHashKdf, 32, this.crypto)
    }
    await this.store.insertUser({
      userID: id, publicKey, thumbprint: this.crypto.sha256(publicKey), kdfSalt, kdfParams,
      loginHash, loginSalt, loginParams: loginHash ? this.loginHashKdf : null, createdAt: this.clock()
    })
    return []
  }

  /** The client-side KDF salt and parameters for an account (decoys for unknown ones). */
  async getLoginParams(id: string): Promise<Uint8Array[]> {
    const user = await this.store.getUser(id)
    if (user && user.loginHash) return [user.kdfSalt, encodeKdfParams(user.kdfParams)]
    return [this.decoy('salt', id), encodeKdfParams(this.decoyKdf)]
  }

  /** Issues a short-lived, single-purpose access token. */
  async getAccessToken(ctx: CallContext, id: string, tokenPurpose: PurposeName, loginKey: Uint8Array): Promise<Uint8Array[]> {
    if (tokenPurpose !== Purpose.PUT_PRIVATE_KEY && tokenPurpose !== Purpose.GET_PRIVATE_KEY) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, `no access tokens for "${tokenPurpose}"`)
    }
    const user = await this.store.getUser(id)
    let allowed: boolean
    if (loginKey.length === 0) {
      allowed = user !== null && constantTimeEqual(ctx.remotePublicKey, user.publicKey)
    } else {
      if (tokenPurpose === Purpose.PUT_PRIVATE_KEY) throw unauthorized('a put-private-key token needs the account\'s identity key, not only the password')
      const now = this.clock()
      if (user && this.throttled(id, now)) throw unauthorized('too many wrong passwords for this account; try again later')
      // Hash even for unknown accounts so timing does not reveal which exist.
      const salt = user?.loginSalt ?? this.decoy('login-salt', id)
      const params = user?.loginParams ?? this.loginHashKdf
      const hash = await scryptAsync(loginKey, salt, params, 32, this.crypto)
      allowed = user !== null && user.loginHash !== null && constantTimeEqual(hash, user.loginHash)
      wipe(hash)
      if (user && !allowed) this.recordFailure(id, now)
      if (allowed) this.failures.delete(id)
    }
    if (!allowed || !user) throw unauthorized('wrong user id or password')
    const { token, expiresAt } = await issueToken(this.crypto, this.store, id, tokenPurpose, this.clock(), this.tokenTtlMs)
    return [token, encodeTime(expiresAt)]
  }

  /** Redeems an access token for a key server; answers with the account's public key. */
  async validateUser(ctx: CallContext, id: string, token: Uint8Array, tokenPurpose: PurposeName): Promise<Uint8Array[]> {
    if (!this.keyServers.some((k) => constantTimeEqual(k, ctx.remotePublicKey))) throw unauthorized('only a configured key server may validate tokens')
    if (tokenPurpose !== Purpose.PUT_PRIVATE_KEY && tokenPurpose !== Purpose.GET_PRIVATE_KEY) {
      throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'not an access-token purpose')
    }
    await redeemToken(this.crypto, this.store, token, id, tokenPurpose, this.clock(), PHASE)
    const user = await this.store.getUser(id)
    if (!user) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'account no longer exists')
    return [user.publicKey]
  }

  /** A random token sealed to the account's key (see `sealed-box.ts`). */
  async getSessionChallenge(id: string): Promise<Uint8Array[]> {
    const user = await this.store.getUser(id)
    if (!user) {
      // Decoy: a box of the same size sealed to a key nobody holds.
      const decoyKey = this.crypto.signKeyPairFromSeed(this.decoy('challenge-key', id)).publicKey
      return [sealToPublicKey(decoyKey, this.crypto.randomBytes(TOKEN_BYTES), this.crypto)]
    }
    const { token } = await issueToken(this.crypto, this.store, id, Purpose.SESSION_CHALLENGE, this.clock(), this.challengeTtlMs)
    const box = sealToPublicKey(user.publicKey, token, this.crypto)
    wipe(token)
    return [box]
  }

  /** Checks the opened challenge; success proves the caller holds the account's private key. */
  async submitSessionChallenge(id: string, token: Uint8Array): Promise<Uint8Array[]> {
    await redeemToken(this.crypto, this.store, token, id, Purpose.SESSION_CHALLENGE, this.clock(), PHASE)
    return []
  }

  private decoy(label: string, id: string): Uint8Array {
    return this.crypto.hmacSha256(this.decoySecret, utf8(`${label}\u0000${id}`))
  }
}

/** Parses a user-id field (UTF-8, rules of `assertUserID`); `ERR_PROTOCOL` otherwise. */
function userID(bytes: Uint8Array): string {
  return assertUserID(text(bytes, PHASE), PHASE, ErrorCodes.PROTOCOL)
}

/** Parses a token-purpose field; `ERR_PROTOCOL` for anything but the known purposes. */
function purpose(bytes: Uint8Array): PurposeName {
  const p = text(bytes, PHASE)
  if (p !== Purpose.PUT_PRIVATE_KEY && p !== Purpose.GET_PRIVATE_KEY && p !== Purpose.SESSION_CHALLENGE) {
    throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `unknown token purpose "${p.slice(0, 32)}"`)
  }
  return p
}

export { userID as parseUserIDField, purpose as parsePurposeField }
