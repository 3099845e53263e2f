// Byte plumbing for the shs1-test adapters: an exact-length reader over any byte emitter, the
// stdin/stdout I/O for running a role in the spawned process, and the frame format between a
// forwarding process and the daemon.

/** Exact-length reads over chunks pushed in with `push` and an end signalled with `end`. */
export function exactReader() {
  const waiting = []
  let buffered = Buffer.alloc(0)
  let ended = false
  const serve = () => {
    while (waiting.length > 0) {
      const { n, resolve, reject } = waiting[0]
      if (buffered.length >= n) {
        waiting.shift()
        const out = buffered.subarray(0, n)
        buffered = buffered.subarray(n)
        resolve(out)
      } else if (ended) {
        waiting.shift()
        reject(new Error(`input ended after ${buffered.length} of ${n} bytes`))
      } else return
    }
  }
  return {
    push(chunk) {
      buffered = Buffer.concat([buffered, chunk])
      serve()
    },
    end() {
      ended = true
      serve()
    },
    readExactly(n) {
      return new Promise((resolve, reject) => {
        waiting.push({ n, resolve, reject })
        serve()
      })
    }
  }
}

/** The role's I/O on this process's stdin/stdout; failure exits 1 at once. */
export function stdio(describe) {
  const reader = exactReader()
  process.stdin.on('data', (c) => reader.push(c))
  process.stdin.on('end', () => reader.end())
  return {
    readExactly: reader.readExactly,
    write: (bytes) => process.stdout.write(Buffer.from(bytes)),
    fail(err) {
      process.stderr.write(describe(err))
      process.exit(1)
    },
    succeed() {
      process.on('SIGTERM', () => process.exit(0))
      process.stdin.on('end', () => process.exit(0))
    }
  }
}

// Daemon → forwarder frames: kind (1 byte) ‖ length (u32be) ‖ payload.
//   kind 0: bytes for stdout    kind 1: bytes for stderr    kind 2: exit, payload[0] = code
export const FRAME = { STDOUT: 0, STDERR: 1, EXIT: 2 }

/** Encodes one daemon → forwarder frame. */
export function frame(kind, payload) {
  const head = Buffer.alloc(5)
  head[0] = kind
  head.writeUInt32BE(payload.length, 1)
  return Buffer.concat([head, payload])
}
