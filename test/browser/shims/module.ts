/**
 * `node:module`'s createRequire in the browser suite: test files `require()` a few CommonJS
 * packages; the page gets them bundled. Anything else fails loudly.
 */
import pullStream from 'pull-stream'
import streamToPullStream from 'stream-to-pull-stream'

const modules: Record<string, unknown> = { 'pull-stream': pullStream, 'stream-to-pull-stream': streamToPullStream }

/**
 * A `require` that knows the bundled packages.
 * @example
 * ```ts
 * const pull = createRequire(import.meta.url)('pull-stream')
 * ```
 */
export function createRequire(_from: string | URL): (name: string) => unknown {
  return (name) => {
    if (!Object.hasOwn(modules, name)) throw new Error(`require('${name}') is not bundled for the browser suite`)
    return modules[name]
  }
}
