/**
 * The identity server ("Server" in seed 001) as a running TCP service: {@link IdentityService}
 * behind `createRpcServer`, with a SQLite store by default.
 * @module
 */
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { KeyPair } from '../../keys.js'
import { assertKeyPair } from '../../keys.js'
import { IdentityService } from './identity-service.js'
import type { IdentityServiceOptions } from './identity-service.js'
import { createRpcServer } from './rpc/server.js'
import { closeServer } from './close-server.js'
import { decoySecretFor } from './decoy.js'
import { openSqliteStore } from './sqlite-store.js'
import type { IdentityStore } from './store.js'

/** Options for {@link IdentityServer.start}. */
export interface IdentityServerOptions extends Omit<IdentityServiceOptions, 'store'> {
  /** The server's long-term key pair; clients dial its public key. */
  keyPair: KeyPair
  /** A store to use; otherwise a SQLite file at {@link database}. */
  store?: IdentityStore
  /** SQLite file path (`":memory:"` by default) when no store is given. */
  database?: string
  /** TCP port (0, any free one, by default). */
  port?: number
  /** Address to bind; 127.0.0.1 by default. */
  host?: string
  /** SHS app key override. */
  appKey?: Uint8Array
  /** Drop a connection after this many ms without traffic (default 60 000). */
  idleTimeout?: number
  /** Told about failed connections and internal faults. */
  onError?: (err: unknown) => void
}

/** A running identity server. */
export class IdentityServer {
  /** The listening port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  /** The server's public key. */
  readonly publicKey: Uint8Array
  /** The store (for tools and tests). */
  readonly store: IdentityStore
  private readonly server: net.Server
  private readonly ownsStore: boolean

  private constructor(server: net.Server, store: IdentityStore, ownsStore: boolean, publicKey: Uint8Array, host: string) {
    this.server = server
    this.store = store
    this.ownsStore = ownsStore
    this.publicKey = publicKey
    this.host = host
    this.port = (server.address() as AddressInfo).port
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
    const store = options.store ?? await openSqliteStore(options.database ?? ':memory:')
    const service = new IdentityService({ decoySecret: decoySecretFor(keyPair), ...options, store })
    const server = createRpcServer({ keyPair, appKey: options.appKey, idleTimeout: options.idleTimeout, onError: options.onError },
      (request, remote) => service.handle(request, { remotePublicKey: remote }, options.onError))
    const host = options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve() })
    })
    return new IdentityServer(server, store, options.store === undefined, keyPair.publicKey, host)
  }

  /** Where clients dial. */
  get endpoint(): { host: string, port: number, publicKey: Uint8Array } {
    return { host: this.host, port: this.port, publicKey: this.publicKey }
  }

  /** Stops listening, drops open connections, closes the store if it opened it. */
  close(): Promise<void> {
    return closeServer(this.server).then(() => {
      if (this.ownsStore) this.store.close()
    })
  }
}

/** Seed 001 calls the identity server simply `Server`. */
export { IdentityServer as Server }
