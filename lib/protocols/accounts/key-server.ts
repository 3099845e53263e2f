/**
 * The key server ("KeyServer" in seed 001) as a running TCP service: {@link KeyService} behind
 * `createRpcServer`, validating every token with the identity server over a fresh SecretStream
 * (the key server's own long-term key is what the identity server checks).
 * @module
 */
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import { ErrorCodes, SecretChannelError } from '../../errors.js'
import type { KeyPair } from '../../keys.js'
import { assertKeyPair } from '../../keys.js'
import { KeyService } from './key-service.js'
import type { ValidateUser } from './key-service.js'
import { RpcClient } from './rpc/client.js'
import type { Endpoint } from './rpc/client.js'
import { Op, utf8 } from './rpc/messages.js'
import { createRpcServer } from './rpc/server.js'
import { closeServer } from './close-server.js'
import { openSqliteStore } from './sqlite-store.js'
import type { KeyStore } from './store.js'

/** Options for {@link KeyServer.start}. */
export interface KeyServerOptions {
  /** The key server's long-term key pair (the identity server must list its public key). */
  keyPair: KeyPair
  /** Where the identity server is. */
  identityServer: Endpoint
  /** A store to use; otherwise a SQLite file at {@link database}. */
  store?: KeyStore
  /** SQLite file path (`":memory:"` by default) when no store is given. */
  database?: string
  /** TCP port (0, any free one, by default). */
  port?: number
  /** Address to bind; 127.0.0.1 by default. */
  host?: string
  /** SHS app key override (both servers must agree). */
  appKey?: Uint8Array
  /** Drop a connection after this many ms without traffic (default 60 000). */
  idleTimeout?: number
  /** Told about failed connections and internal faults. */
  onError?: (err: unknown) => void
}

/** `validateUser` over its own SecretStream channel to the identity server, authenticated with `keyPair`. */
export function remoteValidateUser(identity: Endpoint, keyPair: KeyPair, appKey?: Uint8Array): ValidateUser {
  return async (userID, accessToken, purpose) => {
    const rpc = await RpcClient.connect(identity, { keyPair, appKey })
    try {
      const [publicKey] = await rpc.call(Op.VALIDATE_USER, [utf8(userID), accessToken, utf8(purpose)])
      if (!publicKey || publicKey.length !== 32) throw new SecretChannelError(ErrorCodes.PROTOCOL, 'key server', 'validateUser answered without a public key')
      return publicKey
    } finally {
      rpc.close()
    }
  }
}

/** A running key server. */
export class KeyServer {
  /** The listening port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  /** The server's public key. */
  readonly publicKey: Uint8Array
  /** The store (for tools and tests). */
  readonly store: KeyStore
  private readonly server: net.Server
  private readonly ownsStore: boolean

  private constructor(server: net.Server, store: KeyStore, ownsStore: boolean, publicKey: Uint8Array, host: string) {
    this.server = server
    this.store = store
    this.ownsStore = ownsStore
    this.publicKey = publicKey
    this.host = host
    this.port = (server.address() as AddressInfo).port
  }

  /** Opens the store and starts listening. */
  static async start(options: KeyServerOptions): Promise<KeyServer> {
    const keyPair = assertKeyPair(options.keyPair)
    const store = options.store ?? await openSqliteStore(options.database ?? ':memory:')
    const service = new KeyService({ store, validateUser: remoteValidateUser(options.identityServer, keyPair, options.appKey) })
    const server = createRpcServer({ keyPair, appKey: options.appKey, idleTimeout: options.idleTimeout, onError: options.onError },
      (request) => service.handle(request, options.onError))
    const host = options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve() })
    })
    return new KeyServer(server, store, options.store === undefined, keyPair.publicKey, host)
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
