/** Raw TCP building blocks for reliability tests, all on 127.0.0.1 with port 0, built here on purpose (no dependency on lib/net). */
import net from 'node:net'

/** A listening server; `close()` destroys every connection it accepted and stops listening. */
export interface Listener {
  port: number
  sockets: Set<net.Socket>
  close(): Promise<void>
}

/** Listens on 127.0.0.1:0 with half-open sockets, calling `onSocket` for each connection. */
export async function listen(onSocket: (socket: net.Socket) => void, backlog = 511): Promise<Listener> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog }, resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** Connects a half-open socket to 127.0.0.1:`port` and resolves once connected. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** Resolves when the socket (or any emitter with 'close') has closed. */
export function closed(emitter: { once(event: string, fn: () => void): unknown; destroyed?: boolean; closed?: boolean }): Promise<void> {
  if ((emitter as { closed?: boolean }).closed) return Promise.resolve()
  return new Promise((resolve) => emitter.once('close', () => resolve()))
}

/** Resolves when the peer hung up: our socket saw 'end' or 'close' (a half-open socket sees only 'end'). */
export function hungUp(socket: net.Socket): Promise<void> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    socket.once('end', () => resolve())
    socket.once('close', () => resolve())
  })
}

/**
 * A connected pair of half-open sockets on 127.0.0.1: the one dialled and the one the server
 * accepted, both connected; `stop()` closes the listening server (the sockets stay the caller's).
 */
export async function socketPair(): Promise<{ dialled: net.Socket, accepted: net.Socket, stop: () => void }> {
  const server = net.createServer({ allowHalfOpen: true })
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve))
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const dialled = await connect((server.address() as net.AddressInfo).port)
  return { dialled, accepted: await accepted, stop: () => server.close() }
}
