/** Loads the shared test vectors (../shared/vectors beside the checkout, or test/vectors if copied in). */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..') // dist/test/helpers -> repo root

/** Folder holding the vector JSON files. */
export function vectorsDir(): string {
  const candidates = [join(root, 'test', 'vectors'), join(root, '..', 'shared', 'vectors')]
  for (const c of candidates) if (existsSync(join(c, 'shs1-js-reference.json'))) return c
  throw new Error(`test vectors not found in ${candidates.join(' or ')}`)
}

/** Parses one vector file. */
export function loadVector<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(vectorsDir(), name), 'utf8')) as T
}

/** Hex to Buffer. */
export const hex = (s: string): Buffer => Buffer.from(s, 'hex')
