/**
 * `node:net` in the browser suite: a page has no TCP. Test helpers import it next to their
 * in-memory channels; a test that really opens a socket is in the suite's skip list, and any
 * other call fails loudly here instead of passing.
 */
function noTcp(): never {
  throw new Error('node:net: a browser page has no TCP sockets')
}

/** Stands in for net.Socket (type positions and instanceof checks only). */
export class Socket {
  constructor () { noTcp() }
}

export const createServer = noTcp
export const connect = noTcp
export const createConnection = noTcp
export default { Socket, createServer, connect, createConnection }
