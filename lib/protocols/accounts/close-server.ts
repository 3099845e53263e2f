/**
 * `net.Server#close` waits for every open connection to end; a server that is being stopped must
 * not wait on a client. These helpers track connections so {@link closeServer} can drop them.
 * @module
 */
import type net from 'node:net'

const open = new WeakMap<net.Server, Set<net.Socket>>()

/** Starts tracking `server`'s connections. Returns the server. */
export function trackConnections(server: net.Server): net.Server {
  const sockets = new Set<net.Socket>()
  open.set(server, sockets)
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return server
}

/** Stops listening, destroys open connections, resolves once closed. */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    for (const socket of open.get(server) ?? []) socket.destroy()
  })
}
