/**
 * Bounds the expensive password work (a 16 MiB scrypt per call) an identity server does at once,
 * overall and per source address, so a few connections cannot queue up work that slows everyone
 * else down 6–10×. Sans-I/O apart from the promises it hands back: no timers, no sockets.
 *
 * ```
 * request ─► running < maxConcurrent and source running < perSourceConcurrent ? run now
 *          ─► else queued < maxQueued and source queued < perSourceQueued        ? wait (FIFO, fair per source)
 *          ─► else                                                                  ERR_RATE_LIMITED at once
 * ```
 * This is per process. The per-source *rate* (events per window) is kept in the store, so it
 * holds across processes sharing one database (`IdentityStore.takeRateLimit`).
 * @module
 */
import { ErrorCodes, SecretChannelError } from '../../errors.js'

/**
 * Limits for {@link WorkLimiter}.
 * @example
 * ```ts
 * const limits: accounts.WorkLimits = { maxConcurrent: 4, perSourceConcurrent: 2 }
 * const service = new accounts.IdentityService({ store, keyServers: [], passwordWork: limits })
 * ```
 */
export interface WorkLimits {
  /** Password computations running at once in this process (default 4, libuv's thread pool). */
  maxConcurrent?: number
  /** Waiting beyond those (default 32). */
  maxQueued?: number
  /** Running at once for one source address (default 2). */
  perSourceConcurrent?: number
  /** Waiting for one source address (default 2). */
  perSourceQueued?: number
}

interface Waiter { source: string, start: () => void }

/**
 * A fair, bounded semaphore keyed by source address.
 * @example
 * ```ts
 * const limiter = new accounts.WorkLimiter({ maxConcurrent: 4 })
 * const hash = await limiter.run('203.0.113.7', () => expensiveHash())
 * ```
 */
export class WorkLimiter {
  private readonly max: number
  private readonly maxQueued: number
  private readonly perSource: number
  private readonly perSourceQueued: number
  private running = 0
  private readonly runningBy = new Map<string, number>()
  private readonly queuedBy = new Map<string, number>()
  private readonly queue: Waiter[] = []

  /** @param limits - see {@link WorkLimits} */
  constructor(limits: WorkLimits = {}) {
    this.max = limits.maxConcurrent ?? 4
    this.maxQueued = limits.maxQueued ?? 32
    this.perSource = limits.perSourceConcurrent ?? 2
    this.perSourceQueued = limits.perSourceQueued ?? 2
  }

  /**
   * Runs `work` when a slot is free for `source`.
   * @example
   * ```ts
   * const hash = await limiter.run(ctx.remoteAddress, () => scrypt(loginKey, salt, params))
   * ```
   * @throws SecretChannelError `ERR_RATE_LIMITED` at once when neither a slot nor a queue place is free
   */
  async run<T>(source: string, work: () => Promise<T>, phase = 'identity server'): Promise<T> {
    if (!this.canStart(source)) {
      if (this.queue.length >= this.maxQueued || (this.queuedBy.get(source) ?? 0) >= this.perSourceQueued) {
        throw new SecretChannelError(ErrorCodes.RATE_LIMITED, phase, 'too much password work in flight; try again later')
      }
      this.queuedBy.set(source, (this.queuedBy.get(source) ?? 0) + 1)
      await new Promise<void>((resolve) => this.queue.push({ source, start: resolve }))
    } else {
      this.take(source)
    }
    try {
      return await work()
    } finally {
      this.release(source)
    }
  }

  /** Work running now (for tests and metrics). */
  get active(): number {
    return this.running
  }

  private canStart(source: string): boolean {
    return this.running < this.max && (this.runningBy.get(source) ?? 0) < this.perSource
  }

  private take(source: string): void {
    this.running++
    this.runningBy.set(source, (this.runningBy.get(source) ?? 0) + 1)
  }

  private release(source: string): void {
    this.running--
    const n = (this.runningBy.get(source) ?? 1) - 1
    if (n === 0) this.runningBy.delete(source)
    else this.runningBy.set(source, n)
    // Start the first waiter whose source has room: one busy source cannot block the others.
    const i = this.queue.findIndex((w) => this.canStart(w.source))
    if (i < 0) return
    const [w] = this.queue.splice(i, 1)
    const q = (this.queuedBy.get(w!.source) ?? 1) - 1
    if (q === 0) this.queuedBy.delete(w!.source)
    else this.queuedBy.set(w!.source, q)
    this.take(w!.source)
    w!.start()
  }
}
