#!/usr/bin/env node
// Builds the optional native box-stream accelerator (native/box-stream.c) with node-gyp.
//
// Runs as the package's `install` script. The addon is optional: without a C compiler or
// libsodium's headers (Debian: libsodium-dev) the build fails, this prints one notice, and the
// install still succeeds; the library then seals and opens frames through sodium-native's calls.
//
//   node scripts/build-native.js            build; a failure is a notice, exit code 0
//   node scripts/build-native.js --require  build; a failure exits 1 (CI, and `npm run build:native`)
//   SECRET_CHANNEL_NATIVE=0                 skip the build (and, at run time, the addon)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const required = process.argv.includes('--require')
const nativeDir = fileURLToPath(new URL('../native/', import.meta.url))

function notice(message) {
  console.error(`secret-channel: ${message}`)
}

if (/^(0|false|off|no)$/i.test(process.env.SECRET_CHANNEL_NATIVE ?? '')) {
  notice('SECRET_CHANNEL_NATIVE is off: the native box-stream addon was not built')
  process.exit(0)
}
if (!existsSync(nativeDir + 'binding.gyp')) process.exit(0)

// npm hands its own node-gyp to lifecycle scripts as npm_config_node_gyp; otherwise use PATH's.
const nodeGyp = process.env.npm_config_node_gyp
const [command, args] = nodeGyp && existsSync(nodeGyp)
  ? [process.execPath, [nodeGyp, 'rebuild']]
  : ['node-gyp', ['rebuild']]
const run = spawnSync(command, args, { cwd: nativeDir, encoding: 'utf8', shell: process.platform === 'win32' })
if (run.status === 0) process.exit(0)

const why = run.error
  ? `node-gyp could not be started (${run.error.message})`
  : /sodium\.h/.test(run.stderr + run.stdout)
    ? "libsodium's headers were not found (Debian/Ubuntu: apt-get install libsodium-dev; macOS: brew install libsodium)"
    : `node-gyp exited with ${run.status}`
if (required) {
  process.stderr.write(run.stdout ?? '')
  process.stderr.write(run.stderr ?? '')
  notice(`the native box-stream addon failed to build: ${why}`)
  process.exit(1)
}
notice(`the optional native box-stream addon was not built: ${why}. Everything works without it: box-stream frames are then sealed and opened through sodium-native's calls, at some more CPU per byte (docs/perf.md).`)
