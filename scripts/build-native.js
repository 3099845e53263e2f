#!/usr/bin/env node
// Builds the optional native box-stream accelerator (native/box-stream.c) with node-gyp.
//
// The addon is optional, and installing the package compiles nothing (no install or prepare
// script: npm warns about those, and a plain install must stay quiet). It is built by this
// checkout's `npm run build` (so `npm start`, `npm test` and `npm run bench` have it), and by
// `npm run build:native`, which an application can run in the installed package:
// `npm explore secret-channel -- npm run build:native`. Without a C compiler or libsodium's
// headers (Debian: libsodium-dev) the build fails; under `npm run build` that is one notice and
// the build goes on, and the library seals and opens frames through sodium-native's calls.
//
//   node scripts/build-native.js            build unless up to date; a failure is a notice, exit code 0
//   node scripts/build-native.js --require  build; a failure exits 1 (`npm run build:native`)
//   SECRET_CHANNEL_NATIVE=0                 skip the build (and, at run time, the addon)
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
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
// Up to date: the addon is newer than its source and build file (a rebuild costs seconds).
const addon = nativeDir + 'build/Release/box_stream.node'
const mtime = (path) => statSync(path).mtimeMs
if (!required && existsSync(addon) && ['box-stream.c', 'binding.gyp'].every((f) => mtime(nativeDir + f) <= mtime(addon))) process.exit(0)

// npm hands its own node-gyp to scripts as npm_config_node_gyp; run directly, look for the one
// bundled with the npm beside this node; else PATH's.
const bundledGyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
const nodeGyp = [process.env.npm_config_node_gyp, bundledGyp].find((path) => path && existsSync(path))
// Build against this node's own headers where they are installed, so node-gyp downloads nothing
// (npm passes its nodedir setting to scripts itself).
const prefix = join(dirname(process.execPath), '..')
const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : []
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild', ...nodedir]] : ['node-gyp', ['rebuild', ...nodedir]]
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
