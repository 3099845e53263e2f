/**
 * `tape` for test files in the browser suite: the real tape, except that a test named in the
 * suite's skip list (NODE_ONLY_TESTS in test/browser/suite.test.ts, handed to the page as
 * `globalThis.__suiteSkips`) is registered as skipped, with its reason in the name. Every name
 * used is recorded, so the suite can fail on a stale entry.
 */
import tape from 'tape'

interface SuiteGlobals { __suiteSkips?: Record<string, string>; __suiteSkipsUsed?: string[] }
const suite = globalThis as SuiteGlobals

function test(...args: unknown[]): unknown {
  const [name, ...rest] = args
  const reason = typeof name === 'string' && suite.__suiteSkips && Object.hasOwn(suite.__suiteSkips, name) ? suite.__suiteSkips[name] : undefined
  if (reason === undefined) return (tape as (...a: unknown[]) => unknown)(...args)
  ;(suite.__suiteSkipsUsed ??= []).push(name as string)
  return (tape.skip as (...a: unknown[]) => unknown)(`${name as string} [Node only: ${reason}]`, ...rest)
}

export default Object.assign(test, tape) as unknown as typeof tape
