/**
 * Helpers the examples share (not an example itself).
 *
 * The examples use fixed, publicly known identities derived from their names, so a client example
 * knows the server's id without copying it by hand. Never do this for a real identity: use
 * `generateKeyPair()` or `secret-channel keygen`.
 * @module
 */
import { createHash } from 'node:crypto'
import { generateKeyPair, type KeyPair } from '../lib/keys.js'

/** A deterministic demo identity: the key pair whose seed is sha256("secret-channel example: " + name). */
export function exampleKeyPair(name: string): KeyPair {
  return generateKeyPair(createHash('sha256').update(`secret-channel example: ${name}`).digest())
}

/** The port the client/server examples meet on, unless given as the first argument. */
export const EXAMPLE_PORT = 8008

