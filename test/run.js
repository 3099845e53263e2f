#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own process with tape, then prints
// one closing line "N passed, N failed" (assertions), which CI reads. A file that crashes or exits
// non-zero without a tape failure counts as one failure, so a crash can never pass silently.
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const testDir = join(root, 'dist', 'test')
const filter = process.argv.slice(2)
const parallel = Number(process.env.TEST_JOBS || 2)

function find(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...find(path))
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const files = find(testDir).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))
let passed = 0
let failed = 0
const failures = []

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tape', 'bin', 'tape'), file], { cwd: root, env: process.env })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => { out += '\n# runner: killed after 300 s\n'; child.kill('SIGKILL') }, 300_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      const pass = Number((out.match(/^# pass\s+(\d+)/m) || [])[1] || 0)
      const fail = Number((out.match(/^# fail\s+(\d+)/m) || [])[1] || 0)
      passed += pass
      failed += fail
      const name = relative(testDir, file)
      const crashed = code !== 0 && fail === 0
      if (crashed) failed += 1
      if (fail > 0 || crashed) {
        failures.push(name)
        process.stdout.write(out + '\n')
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`${fail > 0 || crashed ? 'FAIL' : 'ok  '} ${name}  (${pass} passed, ${fail} failed${crashed ? `, exit ${code}` : ''}, ${secs}s)`)
      resolve()
    })
  })
}

const queue = [...files]
await Promise.all(Array.from({ length: Math.max(1, parallel) }, async () => {
  while (queue.length) await runFile(queue.shift())
}))
if (failures.length) console.log(`failed files: ${failures.join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || files.length === 0 ? 1 : 0)
