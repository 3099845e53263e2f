/**
 * `npm run fuzz`: the long fuzz run. Every target gets FUZZ_RUNS cases (default 1,000,000) in
 * seeded batches, each target in its own worker process so a crash or a hang names its target.
 *
 * ```
 * FUZZ_SEED=123 npm run fuzz                    same seed, same cases, same result
 * FUZZ_RUNS=20000 FUZZ_TARGET=msg3,box npm run fuzz   fewer cases, some targets (substring match)
 * FUZZ_REPLAY='<batch seed>:<path>' FUZZ_TARGET=<name> npm run fuzz   replay one reported counterexample
 * FUZZ_JOBS=2  FUZZ_BATCH=10000  FUZZ_HANG_MS=60000   workers, batch size, watchdog
 * ```
 * A worker that reports no progress for FUZZ_HANG_MS is killed and reported as a hang, with the
 * seed of the batch it was in.
 */
import { fork } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { getCryptoBackend, useCryptoBackend } from '../../lib/crypto/index.js'
import type { FuzzTarget } from './targets/types.js'

interface Message {
  type: 'batch' | 'progress' | 'fail' | 'done'
  target: string
  done?: number
  seed?: number
  text?: string
}

const env = process.env
const runs = Number(env.FUZZ_RUNS || 1_000_000)
const batchSize = Math.max(1, Math.min(runs, Number(env.FUZZ_BATCH || 10_000)))
const hangMs = Number(env.FUZZ_HANG_MS || 60_000)

/** A 32-bit FNV-1a hash, to give each target its own seed stream. */
function fnv(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** The fast-check seed of batch `i` of `target`. */
function batchSeed(seed: number, target: string, i: number): number {
  return (seed ^ fnv(target) ^ Math.imul(i + 1, 0x9e3779b1)) | 0
}

async function loadTargets(): Promise<FuzzTarget<unknown, void | Promise<void>>[]> {
  // Workers memoise the pure, slow curve operations so replaying a handshake to the phase under
  // test costs microseconds; see harness.ts for why that is sound.
  const { memoisingBackend, fixture } = await import('./harness.js')
  useCryptoBackend(memoisingBackend(getCryptoBackend()))
  const { allTargets } = await import('./targets/index.js')
  const targets = allTargets(fixture(getCryptoBackend()))
  return targets
}

async function worker(name: string, seed: number): Promise<void> {
  const send = (m: Omit<Message, 'target'>): Promise<void> =>
    new Promise((resolve) => void process.send!({ ...m, target: name }, undefined, {}, () => resolve()))
  const target = (await loadTargets()).find((t) => t.name === name)
  if (!target) throw new Error(`no fuzz target ${name}`)
  const property = (target as { async?: boolean }).async
    ? fc.asyncProperty(target.arbitrary, async (input) => { await target.check(input) })
    : fc.property(target.arbitrary, (input) => {
      if (target.check(input) instanceof Promise) throw new Error(`fuzz target ${target.name} returned a promise but is not marked async`)
    })
  if (env.FUZZ_REPLAY) {
    const [s, path] = env.FUZZ_REPLAY.split(':')
    const details = await fc.check(property as fc.IAsyncProperty<unknown>, { seed: Number(s), path, numRuns: 1 })
    await send(details.failed ? { type: 'fail', seed: Number(s), text: fc.defaultReportMessage(details) } : { type: 'done', done: 1 })
    return
  }
  let done = 0
  for (let i = 0; done < runs; i++) {
    const numRuns = Math.min(batchSize, runs - done)
    const s = batchSeed(seed, name, i)
    void send({ type: 'batch', seed: s })
    const details = await fc.check(property as fc.IAsyncProperty<unknown>, { seed: s, numRuns, endOnFailure: false })
    if (details.failed) {
      await send({ type: 'fail', seed: s, done: done + details.numRuns, text: fc.defaultReportMessage(details) ?? String(details.errorInstance) })
      return
    }
    done += numRuns
    void send({ type: 'progress', done })
  }
  await send({ type: 'done', done })
}

async function main(): Promise<void> {
  const seed = env.FUZZ_SEED !== undefined ? Number(env.FUZZ_SEED) | 0 : (Date.now() ^ (process.pid << 16)) | 0
  const filter = (env.FUZZ_TARGET || '').split(',').filter(Boolean)
  const names = (await loadTargets()).map((t) => t.name).filter((n) => filter.length === 0 || filter.some((f) => n.includes(f)))
  const jobs = Math.max(1, Number(env.FUZZ_JOBS || Math.min(2, cpus().length)))
  console.log(`fuzz: seed ${seed}, ${runs} cases per target, ${names.length} targets, ${jobs} workers, crypto ${getCryptoBackend().name}`)
  console.log(`fuzz: reproduce with FUZZ_SEED=${seed} FUZZ_RUNS=${runs}${filter.length ? ` FUZZ_TARGET=${filter.join(',')}` : ''} npm run fuzz`)
  const results: Array<{ name: string; cases: number; ms: number; ok: boolean; note: string }> = []
  const queue = [...names]
  const self = fileURLToPath(import.meta.url)

  async function runOne(name: string): Promise<void> {
    const started = Date.now()
    let cases = 0
    let currentSeed = 0
    let failure = ''
    let finished = false
    await new Promise<void>((resolve) => {
      const child = fork(self, [], { env: { ...env, FUZZ_WORKER: name, FUZZ_SEED: String(seed) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      let last = Date.now()
      const watchdog = setInterval(() => {
        if (Date.now() - last > hangMs) {
          failure = `HANG: no progress for ${hangMs} ms in the batch with fast-check seed ${currentSeed}`
          child.kill('SIGKILL')
        }
      }, 1000)
      let lastPrint = Date.now()
      child.on('message', (m: Message) => {
        last = Date.now()
        if (m.type === 'batch') currentSeed = m.seed!
        if (m.type === 'progress' || m.type === 'done') cases = m.done!
        if (m.type === 'done') finished = true
        if (m.type === 'fail') {
          cases = m.done ?? cases
          failure = `FAIL in the batch with fast-check seed ${m.seed}; replay with FUZZ_TARGET=${name} FUZZ_REPLAY='${m.seed}:<path below>'\n${m.text}`
        }
        if (m.type === 'progress' && Date.now() - lastPrint > 30_000) {
          lastPrint = Date.now()
          console.log(`  ${name}: ${cases} cases, ${Math.round(cases / ((Date.now() - started) / 1000))}/s`)
        }
      })
      child.on('exit', (code, signal) => {
        clearInterval(watchdog)
        if (!finished && !failure) failure = `CRASH: worker exited with ${signal ?? code} in the batch with fast-check seed ${currentSeed}`
        resolve()
      })
    })
    const ms = Date.now() - started
    results.push({ name, cases, ms, ok: !failure, note: failure })
    console.log(`${failure ? 'FAIL' : 'ok  '} ${name}: ${cases} cases in ${(ms / 1000).toFixed(1)} s (${Math.round(cases / (ms / 1000))}/s)`)
    if (failure) console.log(failure)
  }

  const started = Date.now()
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (queue.length) await runOne(queue.shift()!)
  }))
  const total = results.reduce((n, r) => n + r.cases, 0)
  const failed = results.filter((r) => !r.ok)
  console.log(`fuzz: ${total} cases over ${results.length} targets in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failed.length} failed (seed ${seed})`)
  process.exit(failed.length ? 1 : 0)
}

if (env.FUZZ_WORKER) {
  worker(env.FUZZ_WORKER, Number(env.FUZZ_SEED) | 0).then(
    () => process.disconnect(),
    (err) => {
      console.error(err)
      process.exit(2)
    }
  )
} else {
  await main()
}
