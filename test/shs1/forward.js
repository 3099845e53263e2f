// Fast path for the shs1-test adapters: when SHS1_ADAPTER_SOCKET names a running daemon
// (daemon.js, started by shs1.test), the spawned process only relays bytes, so the suite's
// 45 processes per role do not each pay for loading and warming up the crypto.
// Forwarder → daemon: one JSON line {role, args}, then stdin as it comes.
import net from 'node:net'
import { FRAME } from './io.js'

export function forward(path, role, args) {
  const socket = net.connect(path)
  socket.write(JSON.stringify({ role, args }) + '\n')
  process.stdin.on('data', (c) => socket.write(c))
  process.stdin.on('end', () => socket.end())
  process.on('SIGTERM', () => process.exit(0))
  let pending = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1)
      if (pending.length < 5 + length) return
      const kind = pending[0]
      const payload = pending.subarray(5, 5 + length)
      pending = pending.subarray(5 + length)
      if (kind === FRAME.STDOUT) process.stdout.write(payload)
      else if (kind === FRAME.STDERR) process.stderr.write(payload)
      else if (kind === FRAME.EXIT) process.exit(payload[0])
    }
  })
  socket.on('error', (err) => {
    process.stderr.write(`forwarder: ${err.message}\n`)
    process.exit(2)
  })
}
