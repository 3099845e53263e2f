/**
 * Process-level guards for reliability tests: any unhandled rejection or uncaught exception while
 * a test runs is recorded, and {@link checkNoStrays} fails the test with it.
 */
import type { Test } from 'tape'

const strays: string[] = []
let installed = false

/** Installs the process handlers once per test file. */
export function installGuards(): void {
  if (installed) return
  installed = true
  process.on('unhandledRejection', (reason) => strays.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`))
  process.on('uncaughtException', (err) => strays.push(`uncaughtException: ${String(err?.stack ?? err)}`))
}

/** Fails `t` if anything went unhandled since the last check (after letting pending callbacks run). */
export async function checkNoStrays(t: Test): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20))
  const seen = strays.splice(0)
  t.deepEqual(seen, [], 'no unhandled rejection or uncaught exception')
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Counts of the active libuv resources by type (timers, sockets, servers). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

/** Resolves true when `promise` settles within `ms`, false otherwise; leaves no timer behind. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
