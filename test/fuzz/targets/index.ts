/** Every fuzz target, in the order the runner reports them. */
import { fixture, type Fixture } from '../harness.js'
import { boxStreamTarget } from './boxstream.js'
import { handshakeTargets } from './handshake.js'
import { identityFileTarget } from './identity.js'
import type { FuzzTarget } from './types.js'

export type { FuzzTarget } from './types.js'

/** All sans-I/O targets (the stream adapters add theirs in their own modules). */
export function allTargets(f: Fixture = fixture()): FuzzTarget<any>[] {
  return [...handshakeTargets(f), boxStreamTarget(f), identityFileTarget(f)]
}
