/**
 * What the identity server and the key server share once they run: a listening RPC server over
 * SecretStreams, its store, and how to stop both.
 * @module
 */
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import { closeServer } from './close-server.js'

/** Options every running account service takes for its socket and store. */
export interface ServiceListenOptions {
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

/** Starts `server` listening on `host:port`; rejects with the listen error (e.g. EADDRINUSE). */
export function listenOn(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** A listening account service and the store it serves. */
export abstract class RunningService<Store extends { close(): Promise<void> | void }> {
  /** The listening port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  /** The server's public key. */
  readonly publicKey: Uint8Array
  /** The store (for tools and tests). */
  readonly store: Store
  private readonly server: net.Server
  private readonly ownsStore: boolean

  /**
   * @param server - the listening RPC server
   * @param store - its store
   * @param ownsStore - true when the service opened the store and must close it
   * @param publicKey - the service's long-term public key
   * @param host - the bound address
   */
  protected constructor(server: net.Server, store: Store, ownsStore: boolean, publicKey: Uint8Array, host: string) {
    this.server = server
    this.store = store
    this.ownsStore = ownsStore
    this.publicKey = publicKey
    this.host = host
    this.port = (server.address() as AddressInfo).port
  }

  /** Where clients dial. */
  get endpoint(): { host: string, port: number, publicKey: Uint8Array } {
    return { host: this.host, port: this.port, publicKey: this.publicKey }
  }

  /** Stops listening, drops open connections, closes the store if it opened it. */
  close(): Promise<void> {
    return closeServer(this.server).then(async () => {
      if (this.ownsStore) await this.store.close()
    })
  }
}
