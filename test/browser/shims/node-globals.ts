/**
 * The Node globals test files and tape use (`process`, `Buffer`, `setImmediate`), for the browser
 * suite (test/browser/suite.test.ts). The bundler imports them into test files and their npm
 * dependencies only, never into lib/: the library runs in the page exactly as a web app gets it,
 * with no `Buffer` and no `process` global.
 */
import { Buffer } from 'buffer'

type Listener = (...args: unknown[]) => void

// Node's buf.equals and Buffer.compare take any Uint8Array (lib hands out plain Uint8Arrays in a
// page); the buffer package's take Buffers only.
const asBuffer = (b: Uint8Array): Buffer => Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
const equals = Buffer.prototype.equals
Buffer.prototype.equals = function (this: Buffer, other: Uint8Array): boolean { return equals.call(this, asBuffer(other)) }
const compare = Buffer.compare
Buffer.compare = (a: Uint8Array, b: Uint8Array) => compare(asBuffer(a), asBuffer(b))

/** What the page gives for `process.on('unhandledRejection' | 'uncaughtException')`. */
const pageEvents: Record<string, string> = { unhandledRejection: 'unhandledrejection', uncaughtException: 'error' }
const wrapped = new Map<Listener, (event: unknown) => void>()

interface PageTarget {
  addEventListener(type: string, listener: (event: unknown) => void): void
  removeEventListener(type: string, listener: (event: unknown) => void): void
}
const page = globalThis as unknown as PageTarget

function unsupported(what: string): never {
  throw new Error(`process.${what} is not available in the browser suite`)
}

/** The part of Node's `process` the test files and tape use. */
interface PageProcess {
  env: Record<string, string | undefined>
  platform: string
  argv: string[]
  cwd(): string
  nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void
  on(name: string, listener: Listener): PageProcess
  off(name: string, listener: Listener): PageProcess
  getActiveResourcesInfo(): string[]
}

/** A page-sized `process`: empty env, nextTick on the microtask queue, the two error events. */
const process: PageProcess = {
  env: {},
  platform: 'browser',
  argv: [],
  cwd: () => '/',
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  on(name, listener) {
    const type = pageEvents[name]
    if (!type) return unsupported(`on('${name}')`)
    const handler = (event: unknown): void => {
      const e = event as { reason?: unknown; error?: unknown; preventDefault(): void }
      e.preventDefault()
      listener(name === 'unhandledRejection' ? e.reason : e.error)
    }
    wrapped.set(listener, handler)
    page.addEventListener(type, handler)
    return process
  },
  off(name, listener) {
    const handler = wrapped.get(listener)
    if (handler) page.removeEventListener(pageEvents[name]!, handler)
    wrapped.delete(listener)
    return process
  },
  getActiveResourcesInfo: () => unsupported('getActiveResourcesInfo()')
}

/** `setImmediate` as a macrotask (after pending I/O callbacks, like Node's). */
function setImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]): ReturnType<typeof setTimeout> {
  return setTimeout(fn, 0, ...args)
}

export { Buffer, process, setImmediate }
