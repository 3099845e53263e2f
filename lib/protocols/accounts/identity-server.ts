/**
 * The identity server ("Server" in seed 001) as a running TCP service: {@link IdentityService}
 * behind `createRpcServer`, with a SQLite store by default.
 * @module
 */
import type net from 'node:net'
import type { KeyPair } from '../../keys.js'
import { assertKeyPair } from '../../keys.js'
import { IdentityService } from './identity-service.js'
import type { IdentityServiceOptions } from './identity-service.js'
import { createRpcServer } from './rpc/server.js'
import { RunningService, listenOn, type ServiceListenOptions } from './running-service.js'
import { decoySecretFor } from './decoy.js'
import { openAccountStore } from './open-store.js'
import type { IdentityStore } from './store.js'

/**
 * Options for {@link IdentityServer.start}.
 * @example
 * ```ts
 * const options: accounts.IdentityServerOptions = { keyPair: idKeys, database: 'identity.db', keyServers: [keyServerKey], port: 9000 }
 * const server = await accounts.IdentityServer.start(options)
 * ```
 */
export interface IdentityServerOptions extends Omit<IdentityServiceOptions, 'store'>, ServiceListenOptions {
  /** The server's long-term key pair; clients dial its public key. */
  keyPair: KeyPair
  /** A store to use; otherwise the one {@link database} names. */
  store?: IdentityStore
  /**
   * When no store is given: a `postgres://` URL (the PostgreSQL store, shared by every server
   * process pointed at it) or a SQLite file path (`":memory:"` by default).
   */
  database?: string
}

/**
 * A running identity server.
 * @example
 * ```ts
 * const server = await accounts.IdentityServer.start({ keyPair: idKeys, database: 'identity.db', keyServers: [ksKeys.publicKey] })
 * console.log(server.endpoint) // { host, port, publicKey }
 * await server.close()
 * ```
 */
export class IdentityServer extends RunningService<IdentityStore> {
  private constructor(server: net.Server, store: IdentityStore, ownsStore: boolean, publicKey: Uint8Array, host: string) {
    super(server, store, ownsStore, publicKey, host)
  }

  /**
   * Opens the store and starts listening.
   * @example
   * ```ts
   * const identity = await IdentityServer.start({ keyPair, database: 'identity.db', keyServers: [keyServerPublicKey] })
   * ```
   */
  static async start(options: IdentityServerOptions): Promise<IdentityServer> {
    const keyPair = assertKeyPair(options.keyPair)
    const store = options.store ?? await openAccountStore(options.database ?? ':memory:', { onError: options.onError })
    const service = new IdentityService({ decoySecret: decoySecretFor(keyPair, options.crypto), ...options, store })
    const server = createRpcServer({ keyPair, appKey: options.appKey, idleTimeout: options.idleTimeout, onError: options.onError },
      (request, remotePublicKey, remoteAddress) => service.handle(request, { remotePublicKey, remoteAddress }, options.onError))
    const host = options.host ?? '127.0.0.1'
    await listenOn(server, options.port ?? 0, host)
    return new IdentityServer(server, store, options.store === undefined, keyPair.publicKey, host)
  }
}

/** Seed 001 calls the identity server simply `Server`. */
export { IdentityServer as Server }
