/**
 * Accounts (seeds 001 and 003): password-sealed identities on a key server, an identity server
 * with access tokens and session challenges, and the flat login protocol. Public API re-exports.
 *
 * The servers load better-sqlite3 (an optional peer dependency) only when they open their default
 * store, so importing this module never needs the native addon, and its declarations never name
 * better-sqlite3's types.
 * @module
 */
export { type KdfParams, type PasswordKeys, defaultKdfParams, minimumKdfParams, meetsKdfFloor, derivePasswordKeys, encodeKdfParams, decodeKdfParams } from './kdf.js'
export { type SealedPrivateKey, type SealOptions, sealPrivateKey, unsealPrivateKey, sealWithKey, openWithKey, encodeSealedKey, decodeSealedKey } from './sealed-key.js'
export { sealToPublicKey, openSealed } from './sealed-box.js'
export { type UserRecord, type TokenRecord, type SealedKeyRecord, type IdentityStore, type KeyStore, type LoginUpdate, type WindowLimit, MemoryStore } from './store.js'
export { SqliteStore, openSqliteStore, type SqliteHandle } from './sqlite-store.js'
export { WorkLimiter, type WorkLimits } from './work-limiter.js'
export { PgStore, openPgStore, isPostgresUrl, isDatabaseUnreachable, type PgStoreOptions } from './pg-store.js'
export { PG_MIGRATIONS, type PgMigration } from './pg-migrations.js'
export { openAccountStore } from './open-store.js'
export { Purpose, type PurposeName } from './tokens.js'
export { IdentityService, type IdentityServiceOptions, type CallContext } from './identity-service.js'
export { KeyService, type KeyServiceOptions, type ValidateUser } from './key-service.js'
export { IdentityServer, Server, type IdentityServerOptions } from './identity-server.js'
export { KeyServer, type KeyServerOptions, remoteValidateUser } from './key-server.js'
export { IdentityClient, KeyServerClient, type Session } from './account-client.js'
export { RpcClient, type Endpoint, type RpcClientOptions } from './rpc/client.js'
export { ACCOUNTS_APP_KEY } from './rpc/app-key.js'
export {
  register, backup, restore, proveIdentity, changePassword, revokeTokens, deleteAccount, type WorkflowOptions, type RegisterOptions,
  type BackupOptions, type RestoreOptions, type ProveOptions, type ChangePasswordOptions, type RevokeOptions, type DeleteAccountOptions
} from './workflows.js'
export { decoySecretFor, decoySalt } from './decoy.js'
export { FlatClientMachine, type FlatClientOptions, type FlatClientAction } from './flat/client.js'
export { FlatServerMachine, type FlatServerOptions, type FlatServerAction, type FlatAccount } from './flat/server.js'
export { FlatStream, type FlatStreamOptions, type FlatLookup, type FlatRawStream } from './flat/stream.js'
export { createFlatServer, connectFlat, type FlatServerListenOptions, type FlatConnectOptions } from './flat/net.js'
export { flatLookupFromStores } from './flat/lookup.js'
export { Cmd as FlatCommand, DEFAULT_MAX_PACKET, MIN_MAX_PACKET, MAX_MAX_PACKET } from './flat/commands.js'
