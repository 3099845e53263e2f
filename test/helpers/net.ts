/** Shared helpers for the transports tests: servers on 127.0.0.1:0, CLI processes, reading to the end. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, toIdentityFile, type KeyPair } from '../../lib/keys.js'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (dist/test/helpers -> ../../..). */
export const root = join(here, '..', '..', '..')
/** The CLI entry point. */
export const bin = join(root, 'bin', 'secret-channel.js')

/** Listens on 127.0.0.1, port 0; resolves to the port. */
export async function listenLocal(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** Closes a server, resolving even if it was not listening. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Collects a readable (Node or streamx) until it ends; rejects on error. */
export function readAll(stream: NodeJS.EventEmitter): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)))
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

/** A temporary folder holding identity files, removed by `cleanup()`. */
export function tempIdentities(names: string[]): { dir: string, keys: Record<string, KeyPair>, file: Record<string, string>, cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'secret-channel-test-'))
  const keys: Record<string, KeyPair> = {}
  const file: Record<string, string> = {}
  for (const name of names) {
    keys[name] = generateKeyPair()
    file[name] = join(dir, `${name}.json`)
    writeFileSync(file[name], JSON.stringify(toIdentityFile(keys[name])), { mode: 0o600 })
  }
  return { dir, keys, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The result of a finished CLI run. */
export interface RunResult { code: number | null, stdout: Buffer, stderr: string }

/** Starts the CLI with `args`; the caller drives stdin. Killed after `timeoutMs` as a safety net. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } })
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => stdout.push(d))
  child.stderr.on('data', (d: Buffer) => { stderr += d })
  child.stdin.on('error', () => {})
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = new Promise<RunResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout), stderr })
    })
  })
  return Object.assign(child, { result, stderrSoFar: () => stderr })
}

/** A running CLI process: its final result, and the stderr it printed so far. */
export type CliProcess = ChildProcessWithoutNullStreams & { result: Promise<RunResult>, stderrSoFar(): string }

/** Runs the CLI to completion with `input` on stdin. */
export function runCli(args: string[], input: Buffer | string = '', env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const child = startCli(args, env)
  child.stdin.end(input)
  return child.result
}

/** Waits until a CLI process's stderr matches `pattern`; resolves to the match. */
export function waitForStderr(child: CliProcess, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.stderr.off('data', onData); reject(new Error(`timed out waiting for ${pattern} in stderr: ${child.stderrSoFar()}`)) }, timeoutMs)
    const onData = (): void => {
      const match = child.stderrSoFar().match(pattern)
      if (match) {
        clearTimeout(timer)
        child.stderr.off('data', onData)
        resolve(match)
      }
    }
    child.stderr.on('data', onData)
    onData()
  })
}

/** Starts `secret-channel listen` on 127.0.0.1:0 and resolves once it prints its port. */
export async function startListener(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ReturnType<typeof startCli>, port: number }> {
  const child = startCli(['listen', '--port', '0', '--host', '127.0.0.1', ...args], env)
  const match = await waitForStderr(child, /listening on 127\.0\.0\.1:(\d+)/)
  return { child, port: Number(match[1]) }
}
