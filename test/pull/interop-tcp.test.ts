/** Interop with secret-handshake@1.1.21 both ways over TCP on 127.0.0.1 (stream-to-pull-stream sockets). */
import test from 'tape'
import { interopMatrix } from './interop.js'

interopMatrix(test, 'tcp')
