/**
 * Reads a shared test vector file as text (../shared/vectors beside the checkout, or test/vectors
 * if copied in). The browser suite (test/browser/suite.test.ts) swaps this module for one with the
 * files inlined at bundle time; everything else about vectors lives in vectors.ts.
 */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..') // dist/test/helpers -> repo root

/**
 * The folder holding the vector JSON files.
 * @example
 * ```ts
 * readdirSync(vectorsDir()) // ['box-stream-c.json', ...]
 * ```
 */
export function vectorsDir(): string {
  const candidates = [join(root, 'test', 'vectors'), join(root, '..', 'shared', 'vectors')]
  for (const c of candidates) if (existsSync(join(c, 'shs1-js-reference.json'))) return c
  throw new Error(`test vectors not found in ${candidates.join(' or ')}`)
}

/**
 * The text of one vector file.
 * @example
 * ```ts
 * JSON.parse(readVectorFile('box-stream-c.json'))
 * ```
 */
export function readVectorFile(name: string): string {
  return readFileSync(join(vectorsDir(), name), 'utf8')
}
