/**
 * `stream` for tape's through-streams in the browser suite: the legacy `Stream` (an EventEmitter
 * with `pipe`), which is all @ljharb/through needs to carry tape's TAP lines to console.log.
 */
import { EventEmitter } from 'events'

interface Sink { write(chunk: unknown): unknown; end(): unknown }

/** Node's legacy Stream: data and end go to the piped destination. */
export class Stream extends EventEmitter {
  pipe<T extends Sink>(dest: T): T {
    this.on('data', (chunk: unknown) => { dest.write(chunk) })
    this.on('end', () => { dest.end() })
    return dest
  }
}

export default Stream

function noNodeStreams(): never {
  throw new Error('node:stream: Node streams are not in the browser suite (a test using them is Node only)')
}

/** Named for the imports of test files; a test that uses them is in the suite's skip list. */
export class Readable {
  static from(): never { return noNodeStreams() }
  constructor () { noNodeStreams() }
}

/** See {@link Readable}. */
export class Writable {
  constructor () { noNodeStreams() }
}

/** `node:stream/promises`' pipeline, see {@link Readable}. */
export const pipeline = noNodeStreams
