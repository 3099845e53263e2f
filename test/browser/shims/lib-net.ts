/**
 * lib/net (connect/createServer over TCP) as a test file in the browser suite sees it: a page has
 * no TCP, so both throw. A test that calls them is in the suite's skip list; the rest of such a
 * file (in-memory channels) runs.
 */
function noTcp(): never {
  throw new Error('lib/net: a browser page has no TCP sockets')
}

export const connect = noTcp
export const createServer = noTcp
