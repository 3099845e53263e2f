/** Every fuzz target, in the order the runner reports them. */
import { fixture, type Fixture } from '../harness.js'
import { boxStreamTarget } from './boxstream.js'
import { handshakeTargets } from './handshake.js'
import { identityFileTarget } from './identity.js'
import { pullClientTarget, pullServerTarget } from './pull.js'
import { secretStreamTarget } from './streams.js'
import type { FuzzTarget } from './types.js'

export type { FuzzTarget } from './types.js'

/** Every target: the sans-I/O parsers and state machines, then the stream adapters. */
export function allTargets(f: Fixture = fixture()): FuzzTarget<unknown, void | Promise<void>>[] {
  return [...handshakeTargets(f), boxStreamTarget(f), identityFileTarget(f), secretStreamTarget(f, 'server'), secretStreamTarget(f, 'client'), pullServerTarget(f), pullClientTarget(f)]
}
