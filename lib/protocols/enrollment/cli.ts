/**
 * What the `enroll-server` and `enroll` commands do, as plain functions of (parsed options, output),
 * so the command-line front end (`lib/cli/enroll-server.ts`, `lib/cli/enroll.ts`) only parses
 * arguments, and tests can run them in-process. Results (ids) go to `out` (stdout); the code,
 * progress, every protocol step and warnings go to `status` (stderr).
 * @module
 */
import net from 'node:net'
import { ErrorCodes, SecretChannelError, isSecretChannelError } from '../../errors.js'
import { formatId, type KeyPair } from '../../keys.js'
import { EnrollmentCode } from './code.js'
import { assertCanCreate } from './identity.js'
import { JsonFileEnrollmentStore } from './store.js'
import { acceptEnrollment, enroll, type EnrollmentLogEvent } from './stream.js'

/** Where a command writes; defaults to the process's streams. */
export interface EnrollCommandIO {
  /** Results, one line per call (stdout): the enrolled id(s). */
  out(line: string): void
  /** Status, steps, warnings and errors (stderr). */
  status(line: string): void
  /** Stops the command early (the server stops listening, a pending enrollment is aborted). */
  signal?: AbortSignal
}

const processIO: EnrollCommandIO = {
  out: (line) => { process.stdout.write(`${line}\n`) },
  status: (line) => { process.stderr.write(`${line}\n`) }
}

function logger(io: EnrollCommandIO) {
  return (e: EnrollmentLogEvent): void => io.status(`${e.direction === 'sent' ? '->' : '<-'} ${e.message} (${e.bytes} bytes)`)
}

function describe(err: unknown): string {
  if (isSecretChannelError(err)) return `error ${err.code}: ${err.message}`
  return `error: ${err instanceof Error ? err.message : String(err)}`
}

/** Everything `enroll-server` needs, already parsed. */
export interface EnrollServerCommandOptions {
  /** Address to bind (default 127.0.0.1: an open enrollment server should not face the world by accident). */
  host?: string
  /** TCP port; 0 picks a free one (printed). */
  port: number
  /** The server's long-term key: devices that know it can check the server's signature. */
  keyPair?: KeyPair
  /** The JSON store of enrolled devices. */
  storePath: string
  /** The code: a string to use, `null` for none (open enrollment), `undefined` to generate one. */
  code?: string | null
  /** Key type to issue (default Ed25519). */
  keyType?: 'ed25519' | 'rsa'
  /**
   * Stop after this many enrollments (default 1; 0 = until stopped). With a code, the one code is
   * good for that many devices (0: for any number until the server stops), all sharing `maxGuesses`.
   */
  count?: number
  /** Challenges under the code that may go unanswered (default 5); a correct answer does not count. */
  maxGuesses?: number
  /** Per-connection deadline in ms (default 30 000). */
  timeout?: number
}

/**
 * `enroll-server`: listens, prints the code, enrolls `count` devices (0 = until `io.signal` fires)
 * and records them in the store. Resolves to the exit status.
 */
export async function runEnrollServer(options: EnrollServerCommandOptions, io: EnrollCommandIO = processIO): Promise<number> {
  const { keyPair, keyType = 'ed25519', count = 1, timeout = 30_000, maxGuesses = 5 } = options
  const store = new JsonFileEnrollmentStore(options.storePath)
  // One code for every device this run enrolls (not one code per device): the operator hands out
  // one code, and the guess limit still bounds an attacker across all of them.
  const uses = count === 0 ? Infinity : count
  const code = options.code === null
    ? undefined
    : options.code !== undefined ? new EnrollmentCode(options.code, { maxGuesses, uses }) : EnrollmentCode.generate(9, { maxGuesses, uses })

  if (keyPair) io.status(`server key: ${formatId(keyPair.publicKey)}`)
  else io.status('warning: no server key, so devices cannot check who they are talking to')
  if (code) {
    io.status(`enrollment code: ${code.text}`)
    io.status(`this one code is good for ${uses === Infinity ? 'any number of devices until the server stops' : `${uses} device${uses === 1 ? '' : 's'}`}` +
      `; it is refused after ${maxGuesses} unanswered challenge${maxGuesses === 1 ? '' : 's'}`)
  } else io.status('warning: no code: anyone who can reach this port is enrolled, and a man in the middle goes unnoticed')

  let enrolled = 0
  let stop: () => void = () => undefined
  const done = new Promise<void>((resolve) => { stop = resolve })
  io.signal?.addEventListener('abort', () => stop(), { once: true })
  const server = net.createServer((socket) => {
    io.status(`connection from ${socket.remoteAddress}:${socket.remotePort}`)
    acceptEnrollment(socket, { store, keyPair, code, keyType, timeout, signal: io.signal, log: logger(io) }).then((device) => {
      io.status(`enrolled ${device.id} (${device.type}) -> ${store.path}`)
      io.out(device.id)
      if (count > 0 && ++enrolled >= count) stop()
    }, (err) => { io.status(describe(err)) })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host ?? '127.0.0.1', () => resolve())
    })
    const address = server.address() as net.AddressInfo
    io.status(`listening on ${address.address}:${address.port}`)
    if (io.signal?.aborted) stop()
    await done
    return 0
  } catch (err) {
    throw new SecretChannelError(ErrorCodes.TRANSPORT, 'enroll-server', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port}`, { cause: err })
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

/**
 * `enroll-server --list`: one line per enrolled device on `out`
 * (`<id> <type> enrolled <ISO time> <with code | without code>`), the count on `status`.
 * @example
 * ```ts
 * await runEnrollList('enrolled.json') // @Smr…=.ed25519 ed25519 enrolled 2026-12-01T04:40:12.345Z with code
 * ```
 */
export async function runEnrollList(storePath: string, io: EnrollCommandIO = processIO): Promise<number> {
  const devices = await new JsonFileEnrollmentStore(storePath).list()
  for (const d of devices) io.out(`${d.id} ${d.type} enrolled ${d.enrolledAt} ${d.codeUsed ? 'with code' : 'without code'}`)
  io.status(`${devices.length} enrolled device${devices.length === 1 ? '' : 's'} in ${storePath}`)
  return 0
}

/**
 * `enroll-server --revoke ID`: removes the device from the store, so `enrolledAuthorizer` (and
 * `listen --allow-enrolled`, which re-reads the store per handshake) refuses it from then on.
 * Sessions already open are not cut. Prints the id on `out`.
 * @throws SecretChannelError `ERR_NOT_FOUND` when no device has that id
 * @example
 * ```ts
 * await runEnrollRevoke('enrolled.json', '@SmrIblGQ9AcA…=.ed25519')
 * ```
 */
export async function runEnrollRevoke(storePath: string, id: string, io: EnrollCommandIO = processIO): Promise<number> {
  if (!(await new JsonFileEnrollmentStore(storePath).remove(id))) {
    throw new SecretChannelError(ErrorCodes.NOT_FOUND, 'enroll-server --revoke', `no enrolled device ${id} in ${storePath}`)
  }
  io.status(`revoked ${id}: the secret-handshake server no longer admits it (open sessions are not cut)`)
  io.out(id)
  return 0
}

/** Everything `enroll` needs, already parsed. */
export interface EnrollCommandOptions {
  /** Server host (default 127.0.0.1). */
  host?: string
  /** Server port (ignored with `path`). */
  port: number
  /** A Unix socket path to connect to instead of host and port. */
  path?: string
  /** Where to write the new identity (mode 0600; never overwritten unless `overwrite`). */
  identityPath: string
  /** The enrollment code. */
  code?: string
  /** The server's long-term key, when known. */
  serverPublicKey?: Uint8Array
  /** Replace an existing identity file. */
  overwrite?: boolean
  /** Key exchanges to try (default 3). */
  maxAttempts?: number
  /** Deadline in ms (default 30 000). */
  timeout?: number
}

/**
 * `enroll`: connects, enrolls, saves the identity file, prints the new id on `out` and what
 * authenticated the server on `status`. Throws the enrollment's typed error on failure.
 */
export async function runEnroll(options: EnrollCommandOptions, io: EnrollCommandIO = processIO): Promise<number> {
  const host = options.host ?? '127.0.0.1'
  const where = options.path ?? `${host}:${options.port}`
  io.status(`connecting to ${where}`)
  // Refuse an existing identity before dialling, and wait for the connection before enroll() takes
  // the socket: a socket left without an 'error' listener while a file is checked turns a refused
  // connection into an uncaught exception instead of this command's one-line error.
  if (options.identityPath !== undefined && !options.overwrite) await assertCanCreate(options.identityPath)
  const socket = options.path !== undefined ? net.connect(options.path) : net.connect(options.port, host)
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { socket.destroy(); reject(new SecretChannelError(ErrorCodes.ABORTED, 'enrollment', 'stopped while connecting')) }
    io.signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => { io.signal?.removeEventListener('abort', onAbort); resolve() })
    socket.once('error', (err) => {
      io.signal?.removeEventListener('abort', onAbort)
      reject(new SecretChannelError(ErrorCodes.TRANSPORT, 'enrollment', `cannot connect to ${where}: ${err.message}`, { cause: err }))
    })
  })
  const result = await enroll(socket, {
    code: options.code,
    serverPublicKey: options.serverPublicKey,
    identityPath: options.identityPath,
    overwrite: options.overwrite,
    maxAttempts: options.maxAttempts,
    timeout: options.timeout ?? 30_000,
    signal: io.signal,
    log: logger(io)
  })
  io.status(`enrolled as ${result.key.id} (${result.key.type}) after ${result.attempts} attempt(s)`)
  if (result.serverPublicKey) io.status(`server key: ${formatId(result.serverPublicKey)}`)
  if (result.authenticatedBy.length === 0) io.status('warning: neither a code nor a known server key authenticated this server (see docs/enrollment.md)')
  else io.status(`server authenticated by: ${result.authenticatedBy.join(' + ')}`)
  io.status(`identity saved to ${options.identityPath}`)
  io.out(result.key.id)
  return 0
}
