/** Interop with secret-handshake@1.1.21 both ways over an in-memory pull pipe. */
import test from 'tape'
import { interopMatrix } from './interop.js'

interopMatrix(test, 'memory')
