#!/usr/bin/env node
// The `secret-channel` command. All the code is in lib/cli/ (compiled to dist/lib/cli/ by `npm run build`).
import('../dist/lib/cli/main.js').then(
  (cli) => cli.run(),
  (err) => {
    process.stderr.write(`secret-channel: cannot load the compiled code (${err.code || err.message}); run "npm run build" first\n`)
    process.exit(1)
  }
)
