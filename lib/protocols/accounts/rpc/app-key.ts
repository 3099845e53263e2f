/**
 * The SHS app key (network identifier) of the account servers' channels.
 * @module
 */
import { createHash } from 'node:crypto'

/**
 * SHA-256("secret-channel/accounts/v1"): the account services are their own network, so an
 * ordinary Scuttlebutt peer that dials them fails the first handshake message instead of talking
 * to an account server by mistake (and vice versa).
 * @example
 * ```ts
 * const stream = await connect({ host, port, keyPair, appKey: accounts.ACCOUNTS_APP_KEY, remotePublicKey: identityServerKey })
 * ```
 */
export const ACCOUNTS_APP_KEY: Buffer = createHash('sha256').update('secret-channel/accounts/v1').digest()
