/**
 * Helpers the examples share (not an example itself).
 *
 * The examples use fixed, publicly known identities derived from their names, so a client example
 * knows the server's id without copying it by hand. Never do this for a real identity: use
 * `generateKeyPair()` or `secret-channel keygen`.
 * @module
 */
import { createHash } from 'node:crypto'
import { Duplex } from 'streamx'
import { generateKeyPair, type KeyPair } from '../lib/keys.js'

/** A deterministic demo identity: the key pair whose seed is sha256("secret-channel example: " + name). */
export function exampleKeyPair(name: string): KeyPair {
  return generateKeyPair(createHash('sha256').update(`secret-channel example: ${name}`).digest())
}

/** The port the client/server examples meet on, unless given as the first argument. */
export const EXAMPLE_PORT = 8008

/**
 * Two connected in-memory duplexes: bytes written to one are read from the other, and ending one
 * ends the other's readable side. Stands in for a socket pair.
 */
export function memoryPair(): [Duplex, Duplex] {
  const a: Duplex = new Duplex({
    write(data, cb) { b.push(data); cb(null) },
    final(cb) { b.push(null); cb(null) }
  })
  const b: Duplex = new Duplex({
    write(data, cb) { a.push(data); cb(null) },
    final(cb) { a.push(null); cb(null) }
  })
  return [a, b]
}
