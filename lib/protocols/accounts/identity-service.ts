/**
 * The identity server's logic ("Server" in seed 001), sans-I/O: a parsed request and who sent it
 * (the authenticated peer key of the channel, its source address), a response body out. No
 * sockets, no timers; the clock and the crypto backend are injected.
 *
 * Who may call what:
 * - `putPublicKey`: only over a channel whose SHS identity is the key being registered, so the
 *   handshake has already proved possession of the private key.
 * - `getAccessToken`: `get-private-key` with the password's login key, or over a channel whose SHS
 *   identity is the account's key; `put-private-key` needs that channel *and* (for an account with
 *   a password) the login key, so a backup cannot be sealed under a mistyped password;
 *   `delete-account` needs that channel.
 * - `changePassword`, `revokeTokens`, `deleteAccount`: the account's channel (plus the old login
 *   key for a password change).
 * - `validateUser`: only key servers whose public keys were configured.
 * - `getLoginParams`, `getSessionChallenge`, `submitSessionChallenge`, `validateSession`,
 *   `endSession`: anyone; unknown accounts get answers indistinguishable from real ones (same
 *   fields, same store writes, same crypto), so these calls do not reveal who has an account.
 *
 * Password work (a 16 MiB scrypt) is bounded per process and per source address
 * ({@link WorkLimiter}) and counted per source in the store's shared rate limit; the login throttle
 * reserves each guess in the store *before* the work, for known and unknown user ids alike.
 * @module
 */
import { getCryptoBackend } from '../../crypto/index.js'
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual, wipe } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { KDF_PARAMS_BYTES, SALT_BYTES, decodeKdfParams, defaultKdfParams, encodeKdfParams, scryptAsync } from './kdf.js'
import type { KdfParams } from './kdf.js'
import { Op, encodeError, encodeOk, encodeTime, text } from './rpc/messages.js'
import type { Request } from './rpc/messages.js'
import { sealToPublicKey } from './sealed-box.js'
import type { IdentityStore, LoginUpdate, UserRecord, WindowLimit } from './store.js'
import { Purpose, checkSession, issueToken, redeemToken } from './tokens.js'
import type { PurposeName } from './tokens.js'
import { assertUserID } from './user-id.js'
import { decoyBytes, decoySalt } from './decoy.js'
import { WorkLimiter } from './work-limiter.js'
import type { WorkLimits } from './work-limiter.js'

/**
 * Who is calling: the SHS-authenticated public key of the channel and its network address.
 * @example
 * ```ts
 * const ctx: accounts.CallContext = { remotePublicKey: stream.remotePublicKey, remoteAddress: socket.remoteAddress }
 * const reply = await service.handle(request, ctx)
 * ```
 */
export interface CallContext {
  /** 32-byte Ed25519 key the peer proved in the handshake. */
  remotePublicKey: Uint8Array
  /** The peer's network address (rate limits are kept per address); one shared bucket when absent. */
  remoteAddress?: string
}

/**
 * Options for {@link IdentityService}.
 * @example
 * ```ts
 * const options: accounts.IdentityServiceOptions = { store: new accounts.MemoryStore(), keyServers: [ksKeys.publicKey] }
 * const service = new accounts.IdentityService(options)
 * ```
 */
export interface IdentityServiceOptions {
  /** Where accounts, tokens, throttle counters and rate limits live. */
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
  /** Lifetime of a session a passed challenge establishes; 1 hour by default. */
  sessionTtlMs?: number
  /** scrypt cost of the server-side login-key hash; logN 14, r 8, p 1 by default. */
  loginHashKdf?: KdfParams
  /**
   * The one set of client scrypt parameters this server registers and shows, for real and unknown
   * accounts alike (an account with parameters of its own would stand out); `decoyKdf`, else
   * {@link defaultKdfParams}, by default.
   */
  kdfParams?: KdfParams
  /** Older name of {@link kdfParams}. */
  decoyKdf?: KdfParams
  /** 32-byte secret for decoys; random per process by default (decoys then change across restarts). */
  decoySecret?: Uint8Array
  /** Password guesses allowed per user id per window, counted before the work (default 10). */
  maxLoginFailures?: number
  /** The window for {@link maxLoginFailures}, ms (default 15 minutes). */
  loginFailureWindowMs?: number
  /** Concurrency bounds of the password work (see {@link WorkLimits}). */
  passwordWork?: WorkLimits
  /**
   * Password computations and session challenges per source address per window, kept in the store
   * so it holds across processes; `{ max: 300, windowMs: 60_000 }` by default, null for none.
   */
  sourceRateLimit?: WindowLimit | null
}

const PHASE = 'identity server'
const unauthorized = (detail: string): SecretChannelError => new SecretChannelError(ErrorCodes.UNAUTHORIZED, PHASE, detail)
const WRONG = 'wrong user id or password'
const THROTTLED = 'too many wrong passwords for this account; try again later'
const NOT_YOUR_KEY = 'this call must come over a channel authenticated with the account\'s own key'

/**
 * The identity server's request handler.
 * @example
 * ```ts
 * const service = new accounts.IdentityService({ store: await accounts.openSqliteStore('identity.db'), keyServers: [ksKeys.publicKey] })
 * const reply = await service.handle(request, { remotePublicKey }) // the RPC layer's work, without sockets
 * ```
 */
export class IdentityService {
  private readonly store: IdentityStore
  private readonly crypto: CryptoBackend
  private readonly keyServers: Uint8Array[]
  private readonly clock: () => number
  private readonly tokenTtlMs: number
  private readonly challengeTtlMs: number
  private readonly sessionTtlMs: number
  private readonly loginHashKdf: KdfParams
  private readonly kdfParams: KdfParams
  private readonly decoySecret: Uint8Array
  private readonly throttle: WindowLimit
  private readonly limiter: WorkLimiter
  private readonly sourceLimit: WindowLimit | null

  /** @param options - see {@link IdentityServiceOptions} */
  constructor(options: IdentityServiceOptions) {
    this.store = options.store
    this.crypto = options.crypto ?? getCryptoBackend()
    this.keyServers = options.keyServers.map((k) => Uint8Array.from(k))
    this.clock = options.clock ?? Date.now
    this.tokenTtlMs = options.tokenTtlMs ?? 60_000
    this.challengeTtlMs = options.challengeTtlMs ?? 60_000
    this.sessionTtlMs = options.sessionTtlMs ?? 60 * 60_000
    this.loginHashKdf = options.loginHashKdf ?? { logN: 14, r: 8, p: 1 }
    this.kdfParams = { ...(options.kdfParams ?? options.decoyKdf ?? defaultKdfParams()) }
    this.decoySecret = options.decoySecret ?? this.crypto.randomBytes(32)
    this.throttle = { max: options.maxLoginFailures ?? 10, windowMs: options.loginFailureWindowMs ?? 15 * 60_000 }
    this.limiter = new WorkLimiter(options.passwordWork)
    this.sourceLimit = options.sourceRateLimit === undefined ? { max: 300, windowMs: 60_000 } : options.sourceRateLimit
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
      case Op.GET_SESSION_CHALLENGE: return this.getSessionChallenge(ctx, userID(f[0]!))
      case Op.SUBMIT_SESSION_CHALLENGE: return this.submitSessionChallenge(userID(f[0]!), f[1]!)
      case Op.VALIDATE_SESSION: return this.validateSession(userID(f[0]!), f[1]!)
      case Op.END_SESSION: return this.endSession(userID(f[0]!), f[1]!)
      case Op.REVOKE_TOKENS: return this.revokeTokens(ctx, userID(f[0]!))
      case Op.DELETE_ACCOUNT: return this.deleteAccount(ctx, userID(f[0]!))
      case Op.CHANGE_PASSWORD: return this.changePassword(ctx, userID(f[0]!), f[1]!, f[2]!, decodeKdfParams(f[3]!, PHASE), f[4]!)
      default: throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `operation 0x${op.toString(16)} is not served here`)
    }
  }

  /** Registers an account: its public key, the client's KDF salt and parameters, and (optionally) its login key. */
  async putPublicKey(ctx: CallContext, id: string, publicKey: Uint8Array, kdfSalt: Uint8Array, kdfParams: KdfParams, loginKey: Uint8Array): Promise<Uint8Array[]> {
    if (!constantTimeEqual(ctx.remotePublicKey, publicKey)) throw unauthorized('putPublicKey must come over a channel authenticated with the key being registered')
    if (!this.crypto.signPublicKeyToCurve(publicKey)) throw new SecretChannelError(ErrorCodes.BAD_KEY, PHASE, 'public key is not a usable Ed25519 key')
    if (loginKey.length !== 0 && loginKey.length !== 32) throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, 'a login key is 32 bytes')
    if (loginKey.length === 32) this.assertServerKdf(kdfParams)
    const login = loginKey.length === 32 ? await this.loginMaterial(ctx, loginKey) : null
    await this.store.insertUser({
      userID: id, publicKey, thumbprint: this.crypto.sha256(publicKey), kdfSalt, kdfParams,
      loginHash: login?.loginHash ?? null, loginSalt: login?.loginSalt ?? null, loginParams: login?.loginParams ?? null, createdAt: this.clock()
    })
    return []
  }

  /** The client-side KDF salt and parameters for an account (decoys for unknown ones, with the same parameters). */
  async getLoginParams(id: string): Promise<Uint8Array[]> {
    const user = await this.store.getUser(id)
    if (user && user.loginHash) return [user.kdfSalt, encodeKdfParams(user.kdfParams)]
    return [decoySalt(this.crypto, this.decoySecret, id), encodeKdfParams(this.kdfParams)]
  }

  /** Issues a short-lived, single-purpose access token. */
  async getAccessToken(ctx: CallContext, id: string, tokenPurpose: PurposeName, loginKey: Uint8Array): Promise<Uint8Array[]> {
    if (tokenPurpose !== Purpose.PUT_PRIVATE_KEY && tokenPurpose !== Purpose.GET_PRIVATE_KEY && tokenPurpose !== Purpose.DELETE_ACCOUNT) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE, `no access tokens for "${tokenPurpose}"`)
    }
    const user = await this.store.getUser(id)
    const ownChannel = this.isOwnChannel(ctx, user)
    if (tokenPurpose !== Purpose.GET_PRIVATE_KEY) {
      if (!ownChannel) throw unauthorized(`a ${tokenPurpose} token needs the account's identity key, not only the password`)
      // A backup must be sealed under the password the identity server knows, or it can never be restored.
      if (tokenPurpose === Purpose.PUT_PRIVATE_KEY && !(await this.checkLoginKey(ctx, id, user, loginKey))) throw unauthorized(WRONG)
    } else if (loginKey.length === 0 ? !ownChannel : !(await this.checkLoginKey(ctx, id, user, loginKey))) {
      throw unauthorized(WRONG)
    }
    const { token, expiresAt } = await issueToken(this.crypto, this.store, id, tokenPurpose, this.clock(), this.tokenTtlMs)
    return [token, encodeTime(expiresAt)]
  }

  /** Redeems an access token for a key server; answers with the account's public key. A password-change token applies its change here. */
  async validateUser(ctx: CallContext, id: string, token: Uint8Array, tokenPurpose: PurposeName): Promise<Uint8Array[]> {
    if (!this.keyServers.some((k) => constantTimeEqual(k, ctx.remotePublicKey))) throw unauthorized('only a configured key server may validate tokens')
    if (tokenPurpose !== Purpose.PUT_PRIVATE_KEY && tokenPurpose !== Purpose.GET_PRIVATE_KEY && tokenPurpose !== Purpose.CHANGE_PASSWORD && tokenPurpose !== Purpose.DELETE_ACCOUNT) {
      throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'not an access-token purpose')
    }
    const record = await redeemToken(this.crypto, this.store, token, id, tokenPurpose, this.clock(), PHASE)
    if (tokenPurpose === Purpose.CHANGE_PASSWORD) {
      // The token was consumed first, so this change is applied at most once.
      if (!record.payload || !(await this.store.updateLogin(id, decodeLoginUpdate(record.payload)))) {
        throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'account no longer exists')
      }
      await this.store.revokeTokens(id, [Purpose.GET_PRIVATE_KEY])
    }
    const user = await this.store.getUser(id)
    if (!user) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'account no longer exists')
    return [user.publicKey]
  }

  /**
   * A random token sealed to the account's key (see `sealed-box.ts`). Unknown ids get the same
   * work and the same store write, sealed to a stable decoy key nobody holds.
   */
  async getSessionChallenge(ctx: CallContext, id: string): Promise<Uint8Array[]> {
    await this.admit(ctx)
    const user = await this.store.getUser(id)
    const decoyKey = this.crypto.signKeyPairFromSeed(decoyBytes(this.crypto, this.decoySecret, 'challenge-key', id)).publicKey
    const { token } = await issueToken(this.crypto, this.store, id, Purpose.SESSION_CHALLENGE, this.clock(), this.challengeTtlMs)
    const box = sealToPublicKey(user?.publicKey ?? decoyKey, token, this.crypto)
    wipe(token)
    return [box]
  }

  /**
   * Checks the opened challenge; success proves the caller holds the account's private key and
   * starts a session: `[sessionToken, expiresAt]`, presented later to {@link validateSession}.
   */
  async submitSessionChallenge(id: string, token: Uint8Array): Promise<Uint8Array[]> {
    await redeemToken(this.crypto, this.store, token, id, Purpose.SESSION_CHALLENGE, this.clock(), PHASE)
    if (!(await this.store.getUser(id))) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'account no longer exists')
    const session = await issueToken(this.crypto, this.store, id, Purpose.SESSION, this.clock(), this.sessionTtlMs)
    return [session.token, encodeTime(session.expiresAt)]
  }

  /** Whoever holds a session token (the client, or a service it showed it to) learns whose it is and until when. */
  async validateSession(id: string, token: Uint8Array): Promise<Uint8Array[]> {
    const record = await checkSession(this.crypto, this.store, token, id, this.clock(), PHASE)
    const user = await this.store.getUser(id)
    if (!user) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, PHASE, 'session is unknown, ended, expired, or not for this user')
    return [user.publicKey, encodeTime(record.expiresAt)]
  }

  /** Ends one session (log out). */
  async endSession(id: string, token: Uint8Array): Promise<Uint8Array[]> {
    const record = await checkSession(this.crypto, this.store, token, id, this.clock(), PHASE)
    await this.store.deleteToken(record.hash)
    return []
  }

  /** Revokes every token and session of the account; answers with how many (u32 BE). */
  async revokeTokens(ctx: CallContext, id: string): Promise<Uint8Array[]> {
    if (!this.isOwnChannel(ctx, await this.store.getUser(id))) throw unauthorized(NOT_YOUR_KEY)
    const n = await this.store.revokeTokens(id)
    const out = new Uint8Array(4)
    new DataView(out.buffer).setUint32(0, Math.min(n, 0xffffffff))
    return [out]
  }

  /** Deletes the account with its tokens, sessions and counters. Delete the key server's copy first (a `delete-account` token). */
  async deleteAccount(ctx: CallContext, id: string): Promise<Uint8Array[]> {
    if (!this.isOwnChannel(ctx, await this.store.getUser(id))) throw unauthorized(NOT_YOUR_KEY)
    await this.store.deleteUser(id)
    return []
  }

  /**
   * Starts a password change: proves the old password, hashes the new login key, and returns a
   * `change-password` token carrying the new login material. It takes effect when the key server
   * redeems it to store the key re-sealed under the new password (so both change together).
   */
  async changePassword(ctx: CallContext, id: string, oldLoginKey: Uint8Array, kdfSalt: Uint8Array, kdfParams: KdfParams, newLoginKey: Uint8Array): Promise<Uint8Array[]> {
    const user = await this.store.getUser(id)
    if (!this.isOwnChannel(ctx, user)) throw unauthorized(NOT_YOUR_KEY)
    this.assertServerKdf(kdfParams)
    if (!user!.loginHash) throw unauthorized('this account has no password to change')
    if (!(await this.checkLoginKey(ctx, id, user, oldLoginKey))) throw unauthorized(WRONG)
    const login = await this.loginMaterial(ctx, newLoginKey)
    const payload = encodeLoginUpdate({ kdfSalt, kdfParams, ...login })
    const { token, expiresAt } = await issueToken(this.crypto, this.store, id, Purpose.CHANGE_PASSWORD, this.clock(), this.tokenTtlMs, payload)
    return [token, encodeTime(expiresAt)]
  }

  private isOwnChannel(ctx: CallContext, user: UserRecord | null): boolean {
    return user !== null && constantTimeEqual(ctx.remotePublicKey, user.publicKey)
  }

  private assertServerKdf(p: KdfParams): void {
    const k = this.kdfParams
    if (p.logN !== k.logN || p.r !== k.r || p.p !== k.p) {
      throw new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, PHASE,
        `this server registers passwords with scrypt logN ${k.logN}, r ${k.r}, p ${k.p} only (ask getLoginParams)`)
    }
  }

  /** The per-source rate, shared through the store. */
  private async admit(ctx: CallContext): Promise<void> {
    if (!this.sourceLimit) return
    if (!(await this.store.takeRateLimit(`source:${ctx.remoteAddress ?? '-'}`, this.clock(), this.sourceLimit))) {
      throw new SecretChannelError(ErrorCodes.RATE_LIMITED, PHASE, 'too many requests from this address; try again later')
    }
  }

  /** Runs password work under both limits. */
  private async passwordWork<T>(ctx: CallContext, work: () => Promise<T>): Promise<T> {
    await this.admit(ctx)
    return this.limiter.run(ctx.remoteAddress ?? '-', work, PHASE)
  }

  /** A fresh server-side salt and slow hash of a login key. */
  private async loginMaterial(ctx: CallContext, loginKey: Uint8Array): Promise<Pick<LoginUpdate, 'loginHash' | 'loginSalt' | 'loginParams'>> {
    const loginSalt = this.crypto.randomBytes(SALT_BYTES)
    const loginHash = await this.passwordWork(ctx, () => scryptAsync(loginKey, loginSalt, this.loginHashKdf, 32, this.crypto))
    return { loginHash, loginSalt, loginParams: { ...this.loginHashKdf } }
  }

  /**
   * One password guess: reserves the attempt in the store first (atomically, so concurrent guesses
   * cannot all pass the check), then hashes. Unknown ids get the same reservation, hash and answers.
   * @throws `ERR_UNAUTHORIZED` (throttled), `ERR_RATE_LIMITED`
   */
  private async checkLoginKey(ctx: CallContext, id: string, user: UserRecord | null, loginKey: Uint8Array): Promise<boolean> {
    if (loginKey.length !== 32) return false
    const salt = user?.loginSalt ?? decoyBytes(this.crypto, this.decoySecret, 'login-salt', id)
    const params = user?.loginParams ?? this.loginHashKdf
    const hash = await this.passwordWork(ctx, async () => {
      if (!(await this.store.reserveLoginAttempt(id, this.clock(), this.throttle))) return null
      return scryptAsync(loginKey, salt, params, 32, this.crypto)
    })
    if (!hash) throw unauthorized(THROTTLED)
    const ok = user !== null && user.loginHash !== null && constantTimeEqual(hash, user.loginHash)
    wipe(hash)
    if (ok) await this.store.clearLoginFailures(id)
    return ok
  }
}

/**
 * A pending password change as a token payload, 108 bytes:
 * ```
 * [ kdfSalt (32) | kdfParams (6) | loginSalt (32) | loginParams (6) | loginHash (32) ]
 * ```
 */
function encodeLoginUpdate(u: LoginUpdate): Uint8Array {
  return Buffer.concat([u.kdfSalt, encodeKdfParams(u.kdfParams), u.loginSalt!, encodeKdfParams(u.loginParams!), u.loginHash!])
}

function decodeLoginUpdate(b: Uint8Array): LoginUpdate {
  const p = KDF_PARAMS_BYTES
  return {
    kdfSalt: b.slice(0, 32), kdfParams: decodeKdfParams(b.subarray(32, 32 + p), PHASE),
    loginSalt: b.slice(32 + p, 64 + p), loginParams: decodeKdfParams(b.subarray(64 + p, 64 + 2 * p), PHASE),
    loginHash: b.slice(64 + 2 * p, 96 + 2 * p)
  }
}

/** Parses a user-id field (UTF-8, rules of `assertUserID`); `ERR_PROTOCOL` otherwise. */
function userID(bytes: Uint8Array): string {
  return assertUserID(text(bytes, PHASE), PHASE, ErrorCodes.PROTOCOL)
}

const PURPOSES: ReadonlySet<string> = new Set(Object.values(Purpose))

/** Parses a token-purpose field; `ERR_PROTOCOL` for anything but the known purposes. */
function purpose(bytes: Uint8Array): PurposeName {
  const p = text(bytes, PHASE)
  if (!PURPOSES.has(p)) throw new SecretChannelError(ErrorCodes.PROTOCOL, PHASE, `unknown token purpose "${p.slice(0, 32)}"`)
  return p as PurposeName
}

export { userID as parseUserIDField }
