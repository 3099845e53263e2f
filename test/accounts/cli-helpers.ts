/** Running the CLI's account commands in-process, for the accounts CLI tests. */
import { PassThrough } from 'node:stream'
import './helpers.js'
import { main } from '../../lib/cli/main.js'

/**
 * In-process stdio for `main(argv, io)`: output captured as text, `stop()` plays the first signal.
 * `input` undefined leaves stdin open; a string is written and stdin ended.
 */
export function cliIO(env: Record<string, string> = {}, input?: string) {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += d })
  stderr.on('data', (d) => { err += d })
  if (input !== undefined) stdin.end(input)
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => { stop = resolve })
  return { io: { stdin, stdout, stderr, env: { ...process.env, ...env } as NodeJS.ProcessEnv, stopped, stdinIsTTY: false, stderrIsTTY: false }, out: () => out, err: () => err, stop }
}

/** Starts a server subcommand in-process; resolves with its HOST:PORT and a stop function (waits `attempts` × 10 ms for it to listen). */
export async function startCliServer(argv: string[], attempts = 200) {
  const h = cliIO()
  const done = main(argv, h.io)
  for (let i = 0; i < attempts && !/listening on/.test(h.out()); i++) await new Promise((r) => setTimeout(r, 10))
  const address = /listening on (\S+)/.exec(h.out())?.[1]
  if (!address) throw new Error(`server did not start: ${h.err()}`)
  return { address, stop: async () => { h.stop(); return done } }
}
