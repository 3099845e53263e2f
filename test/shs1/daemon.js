// Hosts the shs1-test roles for forwarders (forward.js) on a Unix socket, one handshake per
// connection, with the crypto already loaded and warm. Started and closed by shs1.test.
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FRAME, exactReader, frame } from './io.js'
import { describe, runClient, runServer } from './roles.js'

/** Starts the daemon; resolves with its socket path and a close function. */
export async function startDaemon() {
  const path = join(tmpdir(), `shs1-adapter-${process.pid}-${Date.now()}.sock`)
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const reader = exactReader()
    let header = Buffer.alloc(0)
    let started = false
    socket.on('data', (chunk) => {
      if (started) return reader.push(chunk)
      header = Buffer.concat([header, chunk])
      const nl = header.indexOf(10)
      if (nl < 0) return
      started = true
      const { role, args } = JSON.parse(header.subarray(0, nl).toString())
      reader.push(header.subarray(nl + 1))
      const io = {
        readExactly: reader.readExactly,
        write: (bytes) => socket.write(frame(FRAME.STDOUT, Buffer.from(bytes))),
        fail(err) {
          socket.write(frame(FRAME.STDERR, Buffer.from(describe(err))))
          socket.end(frame(FRAME.EXIT, Buffer.from([1])))
        },
        succeed() {}
      }
      ;(role === 'server' ? runServer : runClient)(args, io)
    })
    socket.on('end', () => reader.end())
  })
  await new Promise((resolve) => server.listen(path, resolve))
  return {
    path,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
