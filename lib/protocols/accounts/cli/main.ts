#!/usr/bin/env node
/**
 * Runs the accounts subcommands as a program until the `secret-channel` tool registers them:
 * `node dist/lib/protocols/accounts/cli/main.js accounts-identity-server --key … --db …`.
 * The only file here that touches `process`.
 * @module
 */
import { runAccountsCli } from './index.js'

const stopped = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve())
  process.once('SIGTERM', () => resolve())
})
process.stdin.pause()
const status = await runAccountsCli(process.argv.slice(2), {
  stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, stopped
})
process.exitCode = status
// Servers have closed and clients have finished; nothing should keep the loop alive.
process.stdin.destroy()
