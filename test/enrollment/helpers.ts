/** Shared helpers for the enrollment tests: drive both sans-I/O machines against each other. */
import { EnrollmentClient, EnrollmentServer, type EnrollmentResult, type IssuedDevice, type ServerStep } from '../../lib/protocols/enrollment/index.js'
import { makeIssuedKey } from '../../lib/protocols/enrollment/issue.js'
import { SecretChannelError } from '../../lib/errors.js'

/** Rewrites a message in flight (index counts every message in either direction), null drops it. */
export type MessageTap = (message: Uint8Array, from: 'client' | 'server', index: number) => Uint8Array | null

/** What happened when both machines ran. */
export interface Outcome {
  result: EnrollmentResult | null
  issued: IssuedDevice | null
  clientError: SecretChannelError | null
  serverError: SecretChannelError | null
  /** Every message that was sent, after the tap, in order. */
  log: Array<{ from: 'client' | 'server', message: Uint8Array }>
}

/** Runs the machines to completion synchronously, delivering ABORT farewells as an adapter would. */
export function runMachines(client: EnrollmentClient, server: EnrollmentServer, tap?: MessageTap): Outcome {
  const out: Outcome = { result: null, issued: null, clientError: null, serverError: null, log: [] }
  const queue: Array<{ to: 'client' | 'server', message: Uint8Array }> = []
  let index = 0
  const post = (from: 'client' | 'server', messages: Uint8Array[]): void => {
    for (const m of messages) {
      const t = tap ? tap(m, from, index++) : m
      if (!t) continue
      out.log.push({ from, message: t })
      queue.push({ to: from === 'client' ? 'server' : 'client', message: t })
    }
  }
  post('client', client.start().send)
  while (queue.length > 0) {
    const { to, message } = queue.shift()!
    if (to === 'server') {
      if (out.serverError || server.state === 'done') continue
      try {
        const step = serverStep(server, message)
        for (const e of step.events) if (e.type === 'issued') out.issued = e.device
        post('server', step.send)
      } catch (err) {
        out.serverError = err as SecretChannelError
        if (server.farewell) post('server', [server.farewell])
      }
    } else {
      if (out.clientError || client.state === 'done') continue
      try {
        const step = client.receive(message)
        for (const e of step.events) if (e.type === 'enrolled') out.result = e.result
        post('client', step.send)
      } catch (err) {
        out.clientError = err as SecretChannelError
        if (client.farewell) post('client', [client.farewell])
      }
    }
  }
  return out
}

/** server.receive(), then (on `key-needed`) issue() with a key made synchronously: one server step as the adapter sees it. */
function serverStep(server: EnrollmentServer, message: Uint8Array): ServerStep {
  let step = server.receive(message)
  for (const e of step.events) if (e.type === 'key-needed') step = server.issue(makeIssuedKey(e.keyType, e.rsa))
  return step
}

/** Copies `bytes` and flips one bit at `offset`. */
export function flip(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = bytes.slice()
  copy[offset] = copy[offset]! ^ (1 << bit)
  return copy
}
