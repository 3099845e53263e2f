/**
 * The key server ("KeyServer" in seed 001) as a running TCP service: {@link KeyService} behind
 * `createRpcServer`, validating every token with the identity server over a fresh SecretStream
 * (the key server's own long-term key is what the identity server checks).
 * @module
 */
import type net from 'node:net'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KeyPair } from '../../keys.js'
import { assertKeyPair } from '../../keys.js'
import { KeyService } from './key-service.js'
import type { ValidateUser } from './key-service.js'
import { IdentityClient } from './account-client.js'
import type { Endpoint } from './rpc/client.js'
import { createRpcServer } from './rpc/server.js'
import { RunningService, listenOn, type ServiceListenOptions } from './running-service.js'
import { openAccountStore } from './open-store.js'
import type { KeyStore } from './store.js'

/**
 * Options for {@link KeyServer.start}.
 * @example
 * ```ts
 * const options: accounts.KeyServerOptions = { keyPair: ksKeys, database: 'keys.db', identityServer: identity.endpoint }
 * const server = await accounts.KeyServer.start(options)
 * ```
 */
export interface KeyServerOptions extends ServiceListenOptions {
  /** The key server's long-term key pair (the identity server must list its public key). */
  keyPair: KeyPair
  /** Where the identity server is. */
  identityServer: Endpoint
  /** A store to use; otherwise the one {@link database} names. */
  store?: KeyStore
  /**
   * When no store is given: a `postgres://` URL (the PostgreSQL store, shared by every server
   * process pointed at it) or a SQLite file path (`":memory:"` by default).
   */
  database?: string
}

/**
 * `validateUser` over its own SecretStream channel to the identity server, authenticated with `keyPair`.
 * @example
 * ```ts
 * const validateUser = accounts.remoteValidateUser(identityServer.endpoint, ksKeys)
 * const service = new accounts.KeyService({ store, validateUser })
 * ```
 */
export function remoteValidateUser(identity: Endpoint, keyPair: KeyPair, appKey?: Uint8Array): ValidateUser {
  return async (userID, accessToken, purpose) => {
    const client = await IdentityClient.connect(identity, { keyPair, appKey })
    try {
      const publicKey = await client.validateUser(userID, accessToken, purpose)
      if (!publicKey || publicKey.length !== 32) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'key server', 'validateUser answered without a public key')
      return publicKey
    } finally {
      client.close()
    }
  }
}

/**
 * A running key server.
 * @example
 * ```ts
 * const server = await accounts.KeyServer.start({ keyPair: ksKeys, database: 'keys.db', identityServer: identity.endpoint })
 * console.log(server.endpoint)
 * await server.close()
 * ```
 */
export class KeyServer extends RunningService<KeyStore> {
  private constructor(server: net.Server, store: KeyStore, ownsStore: boolean, publicKey: Uint8Array, host: string) {
    super(server, store, ownsStore, publicKey, host)
  }

  /** Opens the store and starts listening. */
  static async start(options: KeyServerOptions): Promise<KeyServer> {
    const keyPair = assertKeyPair(options.keyPair)
    const store = options.store ?? await openAccountStore(options.database ?? ':memory:', { onError: options.onError })
    const service = new KeyService({ store, validateUser: remoteValidateUser(options.identityServer, keyPair, options.appKey) })
    const server = createRpcServer({ keyPair, appKey: options.appKey, idleTimeout: options.idleTimeout, onError: options.onError },
      (request) => service.handle(request, options.onError))
    const host = options.host ?? '127.0.0.1'
    await listenOn(server, options.port ?? 0, host)
    return new KeyServer(server, store, options.store === undefined, keyPair.publicKey, host)
  }
}
