/**
 * Test helper: everything a `HandshakeDriver` decided, following `pending` steps (a backend with an
 * asynchronous curve answers later; a synchronous one never sets `pending`).
 */
import type { DriverOutput } from '../../lib/handshake/driver.js'

/** Everything `outputs` and the steps they wait for decided, in order, as one output. */
export async function collect(outputs: DriverOutput[]): Promise<DriverOutput> {
  const all: DriverOutput = { send: [], authorize: null, ready: null, rest: [], error: null, ended: false }
  for (const first of outputs) {
    for (let out: DriverOutput | undefined = first; out; out = out.pending ? await out.pending : undefined) {
      all.send.push(...out.send)
      all.authorize ??= out.authorize
      all.ready ??= out.ready
      all.rest.push(...out.rest)
      all.error ??= out.error
      all.ended ||= out.ended
    }
  }
  return all
}

/** Everything `first` and the steps it waits for decided. */
export function settle(first: DriverOutput): Promise<DriverOutput> {
  return collect([first])
}
