/**
 * Server child processes for multi-process tests: start a command, wait for the line that says it
 * is listening, stop it with SIGTERM. Every child still running when this process exits (a failed
 * assertion that skipped the cleanup, an exception) is killed, so no server outlives its test.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** The compiled `secret-channel` command. */
export const CLI = fileURLToPath(new URL('../../../bin/secret-channel.js', import.meta.url))

/** A started child. */
export interface ServerProcess {
  /** The child. */
  proc: ChildProcess
  /** The match of the ready pattern on its stdout. */
  ready: RegExpExecArray
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** True while it runs. */
  alive(): boolean
  /** SIGTERM, then resolves with its exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>
}

/**
 * Runs `node <args…>` and resolves once a stdout line matches `readyPattern`; rejects with its
 * stderr if it exits first or takes longer than `timeoutMs`.
 * @example
 * ```ts
 * const identity = await startProcess([CLI, 'accounts-identity-server', …], /listening on (\S+)/)
 * ```
 */
export function startProcess(args: string[], readyPattern: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<ServerProcess> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  running.add(proc)
  let out = ''
  let err = ''
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => { running.delete(proc); resolve(code) }))
  proc.stderr!.on('data', (d) => { err += d })
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${args.slice(0, 2).join(' ')} did not start in ${timeoutMs} ms: ${err}`)) }, timeoutMs)
    proc.stdout!.on('data', (d) => {
      out += d
      const m = readyPattern.exec(out)
      if (!m) return
      clearTimeout(timer)
      resolve({
        proc,
        ready: m,
        stderr: () => err,
        alive: () => proc.exitCode === null && proc.signalCode === null,
        stop: async (graceMs = 10_000) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode
          proc.kill('SIGTERM')
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs)
          const code = await exited
          clearTimeout(t)
          return code
        }
      })
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`${args.slice(0, 2).join(' ')} exited with ${code} before it was ready: ${err}`)) })
  })
}

/** `HOST:PORT` → an endpoint with the given public key. */
export function endpointOf(address: string, publicKey: Uint8Array): { host: string, port: number, publicKey: Uint8Array } {
  const i = address.lastIndexOf(':')
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)), publicKey }
}
