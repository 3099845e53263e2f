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
  const secretBase64 = honest.private.replace(/\.ed25519$/, '')
  const secretWindows = Array.from({ length: secretBase64.length - 7 }, (_, i) => secretBase64.slice(i, i + 8))
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
      // A quote around "private" lost: V8's error message then quotes the text that follows.
      { weight: 1, arbitrary: fc.nat(secretBase64.length).map((n) => text.replace(`"${honest.private}"`, honest.private.slice(n) + '"')) },
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
      // No 8 consecutive characters of the secret may reach a log through the message or any cause.
      let text = ''
      for (let e: unknown = err; e !== undefined && e !== null; e = (e as Error).cause) text += ` ${e instanceof Error ? e.message : String(e)}`
      const leaked = secretWindows.find((w) => text.includes(w))
      ensure(leaked === undefined, `the error repeats part of the secret key (${leaked}): ${text}`)
    }
  }
}
