/**
 * One help style for every command (the usage line, a description, an Options: list naming every
 * option the command accepts, -h/--help last), one vocabulary (--keys, not --key), and no internal
 * document numbers in anything a user reads.
 */
import test from 'tape'
import { commands } from '../../lib/cli/commands.js'
import { main } from '../../lib/cli/main.js'
import { PassThrough } from 'node:stream'

test('every command\'s --help has the same shape and lists every option', (t) => {
  for (const command of commands) {
    const { usage, name } = command
    t.ok(usage.startsWith(`Usage: secret-channel ${name}`), `${name}: starts with "Usage: secret-channel ${name}"`)
    t.ok(/\n\nOptions:\n/.test(usage), `${name}: has an Options: list after a blank line`)
    t.ok(/\n {2}-h, --help +show this help$/.test(usage), `${name}: ends with "-h, --help  show this help"`)
    const listed = usage.slice(usage.indexOf('\nOptions:\n'))
    for (const [option, spec] of Object.entries(command.options)) {
      t.ok(new RegExp(`(^|[\\s,])--${option}\\b`).test(listed), `${name}: --${option} is described`)
      if (spec.short) t.ok(listed.includes(`-${spec.short}, --${option}`), `${name}: -${spec.short} is shown beside --${option}`)
    }
    t.notOk('key' in command.options, `${name}: the identity file is --keys (--key only as an alias)`)
  }
  t.end()
})

test('no internal document numbers in user-facing text', async (t) => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (d: Buffer) => { text += d })
  const io = { stdin: new PassThrough(), stdout: out, stderr: out, env: {}, stdinIsTTY: false, stderrIsTTY: false, stopped: new Promise<void>(() => {}) }
  await main(['--help'], io)
  for (const command of commands) text += command.summary + '\n' + command.usage + '\n'
  t.doesNotMatch(text, /\bseed \d{3}\b|\bdocument \d{3}\b/i, 'no "seed 001" nor "design document 002"')
  t.end()
})
