/**
 * Fuzz target for the identity-file parser (what the CLI reads from disk): garbage text, random
 * JSON, the honest file with byte edits, and the honest object with one field replaced by any JSON
 * value. The property: it returns the honest key pair or throws one `ERR_BAD_KEY`; nothing else.
 */
import fc from 'fast-check'
import { ErrorCodes } from '../../../lib/errors.js'
import { parseIdentityFile, toIdentityFile } from '../../../lib/keys.js'
import { attempt, ensure, ensureTyped, fixture, sameBytes, type Fixture } from '../harness.js'
import { applyMutations, mutationsArb } from '../mutate.js'
import type { FuzzTarget } from './types.js'

/** The identity-file target. */
export function identityFileTarget(f: Fixture = fixture()): FuzzTarget<string> {
  const honest = toIdentityFile(f.client)
  const text = `# this is your SECRET name.\n# do not show it to anyone\n${JSON.stringify(honest, null, 2)}\n# trailing comment\n`
  const bytes = Buffer.from(text, 'utf8')
  const field = fc.constantFrom('curve', 'public', 'private', 'id', '__proto__', 'constructor', 'extra')
  const replaced = fc.tuple(field, fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string())).map(([k, v]) => {
    const obj: Record<string, unknown> = { ...honest }
    if (v === undefined) delete obj[k]
    else Object.defineProperty(obj, k, { value: v, enumerable: true, configurable: true, writable: true })
    return JSON.stringify(obj)
  })
  return {
    name: 'identity-file',
    description: 'the identity-file parser (CLI key files)',
    arbitrary: fc.oneof(
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 2, arbitrary: fc.json() },
      { weight: 12, arbitrary: mutationsArb(3).map((m) => Buffer.from(applyMutations(bytes, m)).toString('utf8')) },
      { weight: 4, arbitrary: replaced },
      { weight: 1, arbitrary: fc.constant(text) }
    ),
    check(input) {
      const out = attempt(() => parseIdentityFile(input))
      if (out.ok) {
        // Nobody can forge a consistent file for another key by editing ours: success means our key.
        ensure(sameBytes(out.value.publicKey, f.client.publicKey) && sameBytes(out.value.secretKey, f.client.secretKey), 'parsed a key pair that is not the one in the file')
        return
      }
      const err = ensureTyped(out.error, [ErrorCodes.BAD_KEY], 'identity file')
      // The secret must not leak into logs through the message or the cause's message.
      const secret = honest.private.slice(0, 16)
      const causeText = err.cause instanceof Error ? err.cause.message : String(err.cause ?? '')
      ensure(!err.message.includes(secret) && !causeText.includes(secret), `the error repeats part of the secret key: ${err.message} / ${causeText}`)
    }
  }
}
