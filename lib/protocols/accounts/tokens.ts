/**
 * Token rules shared by the identity server's access tokens and session challenges.
 *
 * A token is 32 random bytes shown once to its holder; the store keeps only SHA-256(token), its
 * user, its single purpose and its expiry. Redeeming removes it first (single use, even when the
 * redemption then fails), and the user, purpose and expiry are checked after, all failures giving
 * the same `ERR_INVALID_TOKEN` so a caller learns nothing about which check failed.
 * @module
 */
import type { CryptoBackend } from '../../crypto/index.js'
import { constantTimeEqual } from '../../crypto/policy.js'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { IdentityStore, TokenRecord } from './store.js'

/** Bytes of a token. */
const TOKEN_BYTES = 32

/**
 * What a token may be used for.
 * @example
 * ```ts
 * const { accessToken } = await identity.getAccessToken('alice', accounts.Purpose.GET_PRIVATE_KEY, loginKey)
 * ```
 */
export const Purpose = Object.freeze({
  PUT_PRIVATE_KEY: 'put-private-key',
  GET_PRIVATE_KEY: 'get-private-key',
  SESSION_CHALLENGE: 'session-challenge',
  /** A session established by a passed challenge: presented many times until it expires or is ended. */
  SESSION: 'session',
  /** Carries a pending password change; redeemed by the key server when it stores the re-sealed key. */
  CHANGE_PASSWORD: 'change-password',
  /** Lets the key server delete the account's sealed key. */
  DELETE_ACCOUNT: 'delete-account'
} as const)

/**
 * One of {@link Purpose}.
 * @example
 * ```ts
 * const purpose: accounts.PurposeName = accounts.Purpose.PUT_PRIVATE_KEY
 * ```
 */
export type PurposeName = (typeof Purpose)[keyof typeof Purpose]

/** Makes and stores a token; returns the token (to hand out once) and its expiry. */
export async function issueToken(crypto: CryptoBackend, store: IdentityStore, userID: string, purpose: PurposeName, now: number, ttlMs: number, payload: Uint8Array | null = null): Promise<{ token: Uint8Array, expiresAt: number }> {
  const token = crypto.randomBytes(TOKEN_BYTES)
  const expiresAt = now + ttlMs
  await store.purgeExpiredTokens(now)
  await store.insertToken({ hash: crypto.sha256(token), userID, purpose, expiresAt, payload })
  return { token, expiresAt }
}

/**
 * Redeems a token for `userID` and `purpose`, consuming it; resolves to its record (with its payload).
 * @throws SecretChannelError `ERR_INVALID_TOKEN` when unknown, already used, expired, for another user or another purpose
 */
export async function redeemToken(crypto: CryptoBackend, store: IdentityStore, token: Uint8Array, userID: string, purpose: PurposeName, now: number, phase: string): Promise<TokenRecord> {
  const hash = crypto.sha256(token)
  const record = token.length === TOKEN_BYTES ? await store.consumeToken(hash) : null
  const ok = record !== null && constantTimeEqual(record.hash, hash) && record.userID === userID &&
    record.purpose === purpose && record.expiresAt >= now
  if (!ok) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, phase, 'token is unknown, used, expired, or not for this user and purpose')
  return record
}

/**
 * Checks a session token without consuming it (sessions are presented many times); an expired one
 * is removed. Same single error as {@link redeemToken}.
 */
export async function checkSession(crypto: CryptoBackend, store: IdentityStore, token: Uint8Array, userID: string, now: number, phase: string): Promise<TokenRecord> {
  const hash = crypto.sha256(token)
  const record = token.length === TOKEN_BYTES ? await store.findToken(hash) : null
  if (record && record.expiresAt < now) await store.deleteToken(hash)
  const ok = record !== null && constantTimeEqual(record.hash, hash) && record.userID === userID &&
    record.purpose === Purpose.SESSION && record.expiresAt >= now
  if (!ok) throw new SecretChannelError(ErrorCodes.INVALID_TOKEN, phase, 'session is unknown, ended, expired, or not for this user')
  return record
}
