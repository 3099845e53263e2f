/**
 * The `enroll-server` and `enroll` commands, as plain functions of (arguments, output) so any CLI
 * front end can register them and tests can run them in-process.
 *
 * ```
 * secret-channel enroll-server [--host 127.0.0.1] [--port 0] [--identity server.json] [--store enrolled.json]
 *                              [--code CODE | --no-code] [--key-type ed25519|rsa] [--count 1] [--timeout 30000]
 * secret-channel enroll --port PORT [--host 127.0.0.1] --identity device.json [--code CODE] [--server-id @….ed25519]
 *                       [--overwrite] [--max-attempts 3] [--timeout 30000]
 * ```
 * @module
 */
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { formatId, parseId, parseIdentityFile, type KeyPair } from '../../keys.js'
import { EnrollmentCode } from './code.js'
import { JsonFileEnrollmentStore } from './store.js'
import { acceptEnrollment, enroll, type EnrollmentLogEvent } from './stream.js'

/** Where a command writes; defaults to the process's streams. */
export interface CommandIO {
  /** Normal output, one line per call. */
  out(line: string): void
  /** Errors and warnings. */
  err(line: string): void
  /** Stops a long-running command (the server) early. */
  signal?: AbortSignal
}

const processIO: CommandIO = {
  out: (line) => { process.stdout.write(`${line}\n`) },
  err: (line) => { process.stderr.write(`${line}\n`) }
}

function usageError(detail: string): SecretChannelError {
  return new SecretChannelError(ErrorCodes.INVALID_ARGUMENT, 'cli', detail)
}

function integer(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw usageError(`--${name} must be an integer ≥ ${min}`)
  return n
}

function logger(io: CommandIO) {
  return (e: EnrollmentLogEvent): void => io.out(`${e.direction === 'sent' ? '->' : '<-'} ${e.message} (${e.bytes} bytes)`)
}

function report(io: CommandIO, err: unknown): number {
  if (isSecretChannelError(err)) io.err(`error ${err.code}: ${err.message}`)
  else io.err(`error: ${err instanceof Error ? err.message : String(err)}`)
  return 1
}

/**
 * `enroll-server`: listens, prints the code (generated unless given or `--no-code`), enrolls
 * `--count` devices (0 = until stopped) and records them in `--store`. Resolves to the exit code.
 */
export async function enrollServerCommand(args: string[], io: CommandIO = processIO): Promise<number> {
  let server: net.Server | null = null
  try {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '0' },
        identity: { type: 'string' },
        store: { type: 'string', default: 'enrolled.json' },
        code: { type: 'string' },
        'no-code': { type: 'boolean', default: false },
        'key-type': { type: 'string', default: 'ed25519' },
        count: { type: 'string', default: '1' },
        'max-guesses': { type: 'string' },
        timeout: { type: 'string' }
      },
      strict: true
    })
    const keyType = values['key-type']
    if (keyType !== 'ed25519' && keyType !== 'rsa') throw usageError('--key-type must be ed25519 or rsa')
    if (values.code !== undefined && values['no-code']) throw usageError('--code and --no-code exclude each other')
    const count = integer(values.count, 'count', 1)
    const port = integer(values.port, 'port', 0)
    const timeout = integer(values.timeout, 'timeout', 30_000)
    const maxGuesses = integer(values['max-guesses'], 'max-guesses', 5, 1)
    const keyPair: KeyPair | undefined = values.identity === undefined ? undefined : parseIdentityFile(readFileSync(values.identity, 'utf8'))
    const store = new JsonFileEnrollmentStore(values.store!)
    const code = values['no-code']
      ? undefined
      : values.code !== undefined ? new EnrollmentCode(values.code, { maxGuesses }) : EnrollmentCode.generate(9, { maxGuesses })

    if (keyPair) io.out(`server key: ${formatId(keyPair.publicKey)}`)
    else io.out('warning: no --identity, so devices cannot check who they are talking to')
    if (code) io.out(`enrollment code: ${code.text}`)
    else io.out('warning: --no-code: anyone who can reach this port is enrolled, and a man in the middle goes unnoticed')

    let enrolled = 0
    const done = new Promise<void>((resolve) => {
      io.signal?.addEventListener('abort', () => resolve(), { once: true })
      server = net.createServer((socket) => {
        io.out(`connection from ${socket.remoteAddress}:${socket.remotePort}`)
        acceptEnrollment(socket, { store, keyPair, code, keyType, timeout, log: logger(io) }).then((device) => {
          io.out(`enrolled ${device.id} (${device.type}) -> ${store.path}`)
          if (count > 0 && ++enrolled >= count) resolve()
        }, (err) => { report(io, err) })
      })
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(port, values.host, () => resolve())
    })
    const address = server!.address() as net.AddressInfo
    io.out(`listening on ${address.address}:${address.port}`)
    await done
    return 0
  } catch (err) {
    return report(io, err)
  } finally {
    const s = server as net.Server | null
    if (s) await new Promise((resolve) => s.close(resolve))
  }
}

/** `enroll`: connects, enrolls, saves the identity file, prints what authenticated the server. */
export async function enrollCommand(args: string[], io: CommandIO = processIO): Promise<number> {
  try {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        identity: { type: 'string' },
        code: { type: 'string' },
        'server-id': { type: 'string' },
        overwrite: { type: 'boolean', default: false },
        'max-attempts': { type: 'string' },
        timeout: { type: 'string' }
      },
      strict: true
    })
    if (values.port === undefined) throw usageError('--port is required')
    if (values.identity === undefined) throw usageError('--identity (where to save the key) is required')
    const port = integer(values.port, 'port', 0, 1)
    const serverPublicKey = values['server-id'] === undefined ? undefined : parseId(values['server-id'])
    const socket = net.connect(port, values.host!)
    io.out(`connecting to ${values.host}:${port}`)
    const result = await enroll(socket, {
      code: values.code,
      serverPublicKey,
      identityPath: values.identity,
      overwrite: values.overwrite,
      maxAttempts: values['max-attempts'] === undefined ? undefined : integer(values['max-attempts'], 'max-attempts', 3, 1),
      timeout: integer(values.timeout, 'timeout', 30_000),
      log: logger(io)
    })
    io.out(`enrolled as ${result.key.id} (${result.key.type}) after ${result.attempts} attempt(s)`)
    if (result.serverPublicKey) io.out(`server key: ${formatId(result.serverPublicKey)}`)
    if (result.authenticatedBy.length === 0) io.err('warning: neither a code nor a known server key authenticated this server (see docs/enrollment.md)')
    else io.out(`server authenticated by: ${result.authenticatedBy.join(' + ')}`)
    io.out(`identity saved to ${values.identity}`)
    return 0
  } catch (err) {
    return report(io, err)
  }
}
