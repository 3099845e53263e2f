/**
 * Sections 2, 3b and 4: TCP on 127.0.0.1 with sender and receiver in separate child processes
 * (see child.ts), so a figure is never two event loops sharing one.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from './config.js'

const CHILD = join(ROOT, 'dist', 'bench', 'child.js')

/** A child's `result` line: the fields each role reports (bench/child.ts). */
interface ChildResult {
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
}

/** A running child and its JSON lines, in order. */
class Child {
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

  kill(): void {
    if (this.exited === null) this.proc.kill()
  }
}

const envFor = (backend: string | null): NodeJS.ProcessEnv => (backend ? { SECRET_CHANNEL_CRYPTO: backend } : {})

/** One bulk transfer: MB/s at the receiver (first byte to clean end), peak RSS of both sides. */
export async function bulk(impl: string, backend: string | null, bytes: number, writeBytes: number, verify: boolean): Promise<{ mbps: number; receiverRssMiB: number; senderRssMiB: number; receiverCpu: number; senderCpu: number; receiverGc: number; senderGc: number }> {
  const server = new Child(['bulk-server', impl, String(bytes), verify ? '1' : '0'], envFor(backend))
  let client: Child | null = null
  try {
    const port = await server.get('port')
    client = new Child(['bulk-client', impl, String(port), String(bytes), String(writeBytes), verify ? '1' : '0'], envFor(backend))
    const [received, sent] = await Promise.all([server.get('result'), client.get('result')])
    if (!received.ok) throw new Error(`${impl}: received ${received.received} of ${bytes} bytes`)
    if (verify && received.sha256 !== sent.sha256) throw new Error(`${impl}: the received stream's hash differs from the sent one`)
    return { mbps: received.mbps, receiverRssMiB: received.maxRssMiB, senderRssMiB: sent.maxRssMiB, receiverCpu: received.cpuSecondsPerGiB, senderCpu: sent.cpuSecondsPerGiB, receiverGc: received.gcSecondsPerGiB, senderGc: sent.gcSecondsPerGiB }
  } finally {
    client?.kill()
    server.kill()
  }
}

/** Connections + handshakes + clean closes per second, 4 at a time, client and server in separate processes. */
export async function connections(impl: string, backend: string | null, count: number): Promise<number> {
  const server = new Child(['conn-server', impl], envFor(backend))
  let client: Child | null = null
  try {
    const port = await server.get('port')
    client = new Child(['conn-client', impl, String(port), String(count)], envFor(backend))
    return (await client.get('result')).perSecond
  } finally {
    client?.kill()
    server.kill()
  }
}

/** Heap bytes per idle open connection on the server side (socket included), after a full GC. */
export async function idleHeap(impl: string, backend: string | null, count: number): Promise<number> {
  const server = new Child(['idle-server', impl, String(count)], envFor(backend), ['--expose-gc'])
  let client: Child | null = null
  try {
    const port = await server.get('port')
    client = new Child(['idle-client', impl, String(port), String(count)], envFor(backend))
    await client.get('ready')
    server.proc.stdin!.write('measure\n')
    const result = await server.get('result')
    if (result.open !== count) throw new Error(`${impl}: only ${result.open} of ${count} connections opened`)
    return result.heapBytesPerConnection
  } finally {
    client?.kill()
    server.kill()
  }
}
