/**
 * Runs a benchmark child (bench/child.ts) and reads its JSON lines: the parent's side of the
 * protocol that child.ts describes.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from './config.js'

const CHILD = join(ROOT, 'dist', 'bench', 'child.js')

/**
 * A child's `result` line: the fields each role reports (bench/child.ts), each role a subset.
 * @example
 * ```ts
 * const { mbps, cpuSecondsPerGiB }: ChildResult = await receiver.get('result')
 * ```
 */
export interface ChildResult {
  ok: boolean
  received: number
  sha256: string
  mbps: number
  maxRssMiB: number
  cpuSecondsPerGiB: number
  gcSecondsPerGiB: number
  perSecond: number
  open: number
  heapBytesPerConnection: number
  peakExternalMiB: number
  peakArrayBuffersMiB: number
  writtenMiB: number
  maxTransportWriteBytes: number
  transportWrites: number
}

/**
 * A running child and its JSON lines, in order.
 * @example
 * ```ts
 * const server = new Child(['conn-server', 'ours'], envFor('sodium-native'))
 * const port = await server.get<number>('port')
 * ```
 */
export class Child {
  readonly proc: ChildProcess
  private readonly lines: Array<Record<string, unknown>> = []
  private waiters: Array<() => void> = []
  private stderr = ''
  private exited: number | null = null

  constructor(args: string[], env: NodeJS.ProcessEnv, nodeFlags: string[] = []) {
    // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the children.
    const flags = [...nodeFlags, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)]
    this.proc = spawn(process.execPath, [...flags, CHILD, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line))
      } catch {
        this.stderr += line + '\n'
      }
      this.wake()
    })
    this.proc.stderr!.on('data', (d) => {
      this.stderr += d
    })
    this.proc.on('exit', (code) => {
      this.exited = code ?? -1
      this.wake()
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** The first JSON line that has `field`, waiting for it. */
  async get<T = ChildResult>(field: string, timeoutMs = 600_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.lines.find((l) => l && field in l)
      if (hit) return hit[field] as T // the child's JSON line, whose fields bench/child.ts defines
      if (this.exited !== null) throw new Error(`bench child ${this.proc.spawnargs.slice(2).join(' ')} exited (${this.exited}) without "${field}":\n${this.stderr}`)
      if (Date.now() > deadline) throw new Error(`bench child timed out waiting for "${field}":\n${this.stderr}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 1000)
      })
    }
  }

  /** Sends one line on the child's stdin (the roles that wait for a cue: "measure", "report"). */
  tell(line: string): void {
    this.proc.stdin!.write(line + '\n')
  }

  kill(): void {
    if (this.exited === null) this.proc.kill()
  }
}

/**
 * Suffix of a bench backend name that turns the native box-stream addon off in the children
 * (`sodium-native${WITHOUT_ADDON}`): the same backend, frames sealed and opened one by one.
 * @example
 * ```ts
 * await bulk('ours', `sodium-native${WITHOUT_ADDON}`, 2 ** 28, 65536, false)
 * ```
 */
export const WITHOUT_ADDON = '/no-addon'

/**
 * The environment for a child measuring `backend` (ours) or a peer (null).
 * @example
 * ```ts
 * new Child(['idle-client', 'ours', String(port), '1000'], envFor('noble'))
 * ```
 */
export const envFor = (backend: string | null): NodeJS.ProcessEnv => {
  if (!backend) return {}
  if (!backend.endsWith(WITHOUT_ADDON)) return { SECRET_CHANNEL_CRYPTO: backend }
  return { SECRET_CHANNEL_CRYPTO: backend.slice(0, -WITHOUT_ADDON.length), SECRET_CHANNEL_NATIVE: '0' }
}

