/**
 * Option values the commands share: where the identity file lives, the app key, `HOST:PORT`, peer ids.
 * Each helper turns a bad value into one {@link UsageError} or {@link SecretChannelError} line.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { ErrorCodes, SecretChannelError } from '../errors.js'
import { SSB_MAIN_NETWORK_APP_KEY, parseId, parseIdentityFile, type KeyPair } from '../keys.js'
import { UsageError, stringOption, type OptionSpec, type ParsedArgs } from './command.js'

/**
 * `-k, --keys FILE`, the identity file, spelled the same by every command (`--key` is accepted too).
 * @example
 * ```ts
 * const options = { keys: KEYS_OPTION }
 * ```
 */
export const KEYS_OPTION: OptionSpec = Object.freeze({ type: 'string', short: 'k', aliases: Object.freeze(['key']) })

/**
 * The identity file used when `--keys` is not given: `$SECRET_CHANNEL_KEYS` if set, else
 * `~/.ssb/secret`, the path ssb-keys and Scuttlebutt clients use, so the tool speaks as the user's
 * existing Scuttlebutt identity when there is one.
 */
export function defaultKeysPath(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.SECRET_CHANNEL_KEYS
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  return join(homedir(), '.ssb', 'secret')
}

/** The identity file path for this invocation (`--keys` or the default). */
export function keysPath(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  const given = stringOption(args, 'keys')
  return given !== undefined ? resolve(given) : defaultKeysPath(env)
}

/**
 * Reads and checks an identity file.
 * @throws SecretChannelError `ERR_BAD_KEY` naming the file when it is missing or malformed
 */
export async function loadKeys(path: string): Promise<KeyPair> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw new SecretChannelError(ErrorCodes.BAD_KEY, 'identity file',
      missing ? `${path} does not exist (create it with "secret-channel keygen --out ${path}")` : `cannot read ${path}: ${(err as Error).message}`,
      { cause: err })
  }
  try {
    return parseIdentityFile(text)
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.BAD_KEY, 'identity file', `${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** `--app-key B64` (32 bytes of base64), defaulting to the Scuttlebutt main network's key. */
export function appKeyOption(args: ParsedArgs): Buffer {
  const given = stringOption(args, 'app-key')
  if (given === undefined) return SSB_MAIN_NETWORK_APP_KEY
  const key = Buffer.from(given, 'base64')
  if (key.length !== 32 || key.toString('base64') !== given.trim()) {
    throw new UsageError('--app-key must be 32 bytes in base64 (44 characters ending in "=")')
  }
  return key
}

/** A TCP port number 0–65535. */
export function parsePort(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`${what} must be a port number from 0 to 65535, got ${JSON.stringify(text ?? '')}`)
  }
  return Number(text)
}

/** Where to connect: `HOST:PORT`, `[IPv6]:PORT`, or a Unix socket path (anything containing "/"). */
export type Address = { host: string, port: number } | { path: string }

/**
 * Parses the `connect` target.
 * @example
 * ```ts
 * parseAddress('example.org:8008') // { host: 'example.org', port: 8008 }
 * parseAddress('/run/sc.sock')     // { path: '/run/sc.sock' }
 * ```
 */
export function parseAddress(text: string | undefined): Address {
  if (text === undefined) throw new UsageError('missing HOST:PORT')
  if (text.includes('/')) return { path: text }
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text)
  if (!match) throw new UsageError(`expected HOST:PORT, got ${JSON.stringify(text)}`)
  const host = match[1] ?? match[2] ?? ''
  return { host: host === '' ? '127.0.0.1' : host, port: parsePort(match[3], 'the port') }
}

/**
 * Where a server listens: the positional `[HOST:]PORT` (`8008`, `:8008`, `0.0.0.0:8008`, `[::]:8008`)
 * or, as before, `--port N` with `--host H`. Every server command takes its address this way.
 * `host` is `undefined` when none was given, so each command keeps its own default; so is the port
 * when `defaultPort` is given.
 * @throws UsageError when no port is given (saying so), or both forms are
 * @example
 * ```ts
 * listenAddress(parseCommandLine(['127.0.0.1:8008'], {}))          // { host: '127.0.0.1', port: 8008 }
 * listenAddress(parseCommandLine(['--port', '0'], { port: { type: 'string' } })) // { host: undefined, port: 0 }
 * ```
 */
export function listenAddress(args: ParsedArgs, defaultPort?: number, text: string | undefined = args.positionals[0]): { host: string | undefined, port: number } {
  const portFlag = typeof args.values.port === 'string' ? args.values.port : undefined
  const hostFlag = typeof args.values.host === 'string' ? args.values.host : undefined
  if (text !== undefined) {
    if (portFlag !== undefined || hostFlag !== undefined) throw new UsageError(`give the address once: ${JSON.stringify(text)} or --port/--host`)
    const match = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(text)
    if (!match) throw new UsageError(`expected [HOST:]PORT to listen on, got ${JSON.stringify(text)}`)
    const host = match[1] ?? match[2]
    return { host: host === '' ? undefined : host, port: parsePort(match[3], 'the port') }
  }
  if (portFlag === undefined && defaultPort !== undefined) return { host: hostFlag, port: defaultPort }
  if (portFlag === undefined) throw new UsageError('no port to listen on: give [HOST:]PORT (e.g. 8008 or 127.0.0.1:8008; 0 picks a free port)')
  return { host: hostFlag, port: parsePort(portFlag, '--port') }
}

/** Parses a peer id given on the command line; `what` names the option in the error. */
export function peerId(text: string, what: string): Buffer {
  try {
    return parseId(text)
  } catch {
    throw new UsageError(`${what}: not an ed25519 id: ${JSON.stringify(text.slice(0, 80))} (expected @<base64>.ed25519)`)
  }
}

/** `--timeout MS`: the handshake deadline, a positive integer of milliseconds (default 10 000). */
export function timeoutOption(text: string | undefined): number {
  if (text === undefined) return 10_000
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UsageError('--timeout must be a positive number of milliseconds')
  return Number(text)
}
