/**
 * Errors never carry key material: identity-file errors (V8 quotes the input around a bad JSON
 * token, which can be the secret key) and handshake errors.
 */
import test from 'tape'
import { generateKeyPair, parseIdentityFile, toIdentityFile } from '../../lib/keys.js'

/** Every message in the error's cause chain, joined. */
function allText(err: unknown): string {
  let text = ''
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as Error).cause) text += ` ${e instanceof Error ? e.message : String(e)}`
  return text
}

test('regression: an identity file with a broken "private" value fails without quoting the secret', (t) => {
  const file = toIdentityFile(generateKeyPair())
  const secret = file.private.replace(/\.ed25519$/, '')
  const windows = Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6))
  const text = JSON.stringify(file, null, 2)
  const broken = [
    text.replace(`"${file.private}"`, `${file.private}"`), // opening quote lost: V8 quotes what follows
    text.replace(`"${file.private}"`, `"${file.private}`), // closing quote lost
    text.replace(`"${file.private}"`, `"${file.private.slice(0, 30)}" x "${file.private.slice(30)}"`),
    text.replace('{', '')
  ]
  for (const input of broken) {
    try {
      parseIdentityFile(input)
      t.fail('parsed a broken file')
    } catch (err) {
      const leaked = windows.find((w) => allText(err).includes(w))
      t.equal(leaked, undefined, `no 6 consecutive characters of the secret in: ${allText(err).trim()}`)
      t.equal((err as { code?: string }).code, 'ERR_BAD_KEY', 'ERR_BAD_KEY')
    }
  }
  t.end()
})
