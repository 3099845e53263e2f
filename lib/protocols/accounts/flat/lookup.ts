/**
 * Account lookup for the flat server from the same stores the key server and identity server use.
 * @module
 */
import { constantTimeEqual } from '../../../crypto/policy.js'
import { encodeSealedKey } from '../sealed-key.js'
import type { IdentityStore, KeyStore } from '../store.js'
import type { FlatLookup } from './stream.js'

/**
 * USERNAME → the key server's sealed key record (the CERTIFICATE) and the public key it was stored
 * for; when an identity store is given too, its public key for that name must match.
 * CERTIFICATE-ID → the identity server's account with that thumbprint.
 * @param keys - the key server's store (interactive logins); null to refuse them
 * @param identity - the identity server's store (non-interactive logins); null to refuse them
 * @example
 * ```ts
 * const lookup = accounts.flatLookupFromStores(keyServer.store, identityServer.store)
 * accounts.createFlatServer({ keyPair: flatKeys, lookup }, (session) => session.pipe(session)).listen(9002)
 * ```
 */
export function flatLookupFromStores(keys: KeyStore | null, identity: IdentityStore | null): FlatLookup {
  return async (query) => {
    if (query.by === 'username') {
      const record = await keys?.getSealedKey(query.username)
      if (!record) return null
      const user = await identity?.getUser(query.username)
      if (identity && (!user || !constantTimeEqual(user.publicKey, record.publicKey))) return null
      return { username: record.userID, publicKey: record.publicKey, certificate: encodeSealedKey(record.sealed, record.publicKey) }
    }
    const user = await identity?.getUserByThumbprint(query.thumbprint)
    return user ? { username: user.userID, publicKey: user.publicKey } : null
  }
}
