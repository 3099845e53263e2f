/** The enrollment example runs with one command and prints every step. */
import test from 'tape'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

test('examples/enrollment.js enrolls, admits the device and refuses a stranger', (t) => {
  const script = fileURLToPath(new URL('../../examples/enrollment.js', import.meta.url))
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 })
  for (const step of ['-> CLIENT_HELLO', '-> SERVER_HELLO', '-> CHALLENGE', '-> RESPONSE', '-> ISSUED_KEY']) t.ok(out.includes(step), `prints ${step}`)
  t.match(out, /server authenticated by: code \+ server-key/, 'both safeguards')
  t.match(out, /server says "welcome, device"/, 'enrolled device admitted')
  t.match(out, /stranger .*refused: ERR_UNAUTHORIZED/, 'stranger refused')
  t.end()
})
