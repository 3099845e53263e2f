/**
 * What the accounts subcommands share: endpoints, key files, passwords. They are `Command`s of the
 * `secret-channel` tool (lib/cli/command.ts) and `lib/cli/commands.ts` lists them directly.
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { getCryptoBackend } from '../../../crypto/index.js'
import type { SecretChannelError } from '../../../errors.js'
import { UsageError, type CommandIO as CliIO, type OptionSpec as CliOption, type ParsedArgs as CliArgs } from '../../../cli/command.js'
import { formatId, parseId, parseIdentityFile, toIdentityFile } from '../../../keys.js'
import type { KeyPair } from '../../../keys.js'
import type { Endpoint } from '../rpc/client.js'

// The accounts subcommands are ordinary commands of the `secret-channel` tool: one command shape
// (lib/cli/command.ts), one usage-error code (`ERR_USAGE`); these names stay for the code here.
export type { OptionSpec as CliOption, ParsedArgs as CliArgs, CommandIO as CliIO, Command as CliCommand } from '../../../cli/command.js'

/** A bad command line (`ERR_USAGE`: the tool exits 2). */
export function usage(detail: string): SecretChannelError {
  return new UsageError(detail)
}

/** A required string option. */
export function need(args: CliArgs, name: string): string {
  const v = args.values[name]
  if (typeof v !== 'string' || v === '') throw usage(`--${name} is required`)
  return v
}

/** An optional string option. */
export function opt(args: CliArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

/** `HOST:PORT` (or `PORT`) plus the server's `@…ed25519` id → an endpoint. */
export function endpoint(address: string, id: string): Endpoint {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(address)
  if (!m) throw usage(`"${address}" is not HOST:PORT`)
  return { host: m[1] ?? '127.0.0.1', port: Number(m[2]), publicKey: parseId(id) }
}

/** `HOST:PORT` → where to listen. */
export function listenAddress(address: string | undefined): { host: string, port: number } {
  if (!address) return { host: '127.0.0.1', port: 0 }
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(address)
  if (!m) throw usage(`"${address}" is not HOST:PORT`)
  return { host: m[1] ?? '127.0.0.1', port: Number(m[2]) }
}

/** Reads an identity file. */
export function loadKey(path: string): KeyPair {
  return parseIdentityFile(readFileSync(path, 'utf8'))
}

/** Writes an identity file readable by its owner only. */
export function saveKey(path: string, keyPair: KeyPair): void {
  writeFileSync(path, JSON.stringify(toIdentityFile(keyPair), null, 2) + '\n', { mode: 0o600, flag: 'wx' })
}

/**
 * The password: from the environment variable named by `--password-env` (default
 * `SECRET_CHANNEL_PASSWORD`), else the first line of standard input. Never from argv, where
 * every user of the machine could read it.
 */
export async function readPassword(args: CliArgs, io: CliIO, which: { option?: string, variable?: string, prompt?: string } = {}): Promise<string> {
  const name = opt(args, which.option ?? 'password-env') ?? which.variable ?? 'SECRET_CHANNEL_PASSWORD'
  const fromEnv = io.env[name]
  if (fromEnv !== undefined) return fromEnv
  io.stderr.write(`${which.prompt ?? 'password'} (one line on stdin, or set ${name}): `)
  return new Promise((resolve, reject) => {
    let got: Buffer = Buffer.alloc(0)
    const onData = (d: Buffer | string): void => {
      got = Buffer.concat([got, typeof d === 'string' ? Buffer.from(d) : d])
      const nl = got.indexOf(0x0a)
      if (nl < 0) return
      // Whatever followed the password line in this chunk belongs to the caller (e.g. the session's input).
      const rest = got.subarray(nl + 1)
      done(got.subarray(0, nl).toString('utf8').replace(/\r$/, ''))
      if (rest.length > 0) io.stdin.unshift(rest)
    }
    const onEnd = (): void => done(got.toString('utf8').replace(/\r?\n$/, ''))
    const done = (pw: string): void => {
      io.stdin.off('data', onData)
      io.stdin.off('end', onEnd)
      io.stdin.pause()
      io.stderr.write('\n')
      if (pw === '') reject(usage('an empty password'))
      else resolve(pw)
    }
    io.stdin.on('data', onData)
    io.stdin.once('end', onEnd)
    io.stdin.resume()
  })
}

/**
 * The decoy secret a server shares with the others that answer about the same accounts (identity
 * server and flat server), so their answers for unknown names agree the way real ones do. The file
 * holds 64 hex digits; it is created (0600, random) when missing.
 */
export function loadDecoySecret(path: string): Uint8Array {
  if (!existsSync(path)) {
    try {
      writeFileSync(path, Buffer.from(getCryptoBackend().randomBytes(32)).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err
    }
  }
  const text = readFileSync(path, 'utf8').trim()
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw usage(`${path} must hold a 32-byte decoy secret as 64 hex digits`)
  return Uint8Array.from(Buffer.from(text, 'hex'))
}

/** `@…ed25519` of a key. */
export const idOf = (publicKey: Uint8Array): string => formatId(publicKey)

/** Options every client command shares. */
export const CLIENT_OPTIONS: Record<string, CliOption> = {
  identity: { type: 'string' },
  'identity-id': { type: 'string' },
  'key-server': { type: 'string' },
  'key-server-id': { type: 'string' },
  user: { type: 'string', short: 'u' },
  'password-env': { type: 'string' }
}
