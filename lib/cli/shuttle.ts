/**
 * Moves bytes both ways between a local pair of streams (stdin/stdout, or a child's stdio) and an
 * open secret channel, the way netcat does, and settles when the session is over.
 *
 * ```
 * input  --data-->  channel.write   input ends        -> channel.end() (sends the goodbye)
 * output <--data--  channel 'data'  channel 'end'     =  the peer said goodbye
 * ```
 * The session is over once both directions are finished. When the peer says goodbye first and our
 * input is an interactive terminal, waiting for the user to press Ctrl-D would look like a hang, so
 * we say goodbye too; piped input is always sent in full.
 * @module
 */
import type { Readable, Writable } from 'node:stream'
import type { TransferCounters } from './transfer.js'

/**
 * What {@link shuttle} needs of the channel: any Node or streamx duplex.
 * @example
 * ```ts
 * const channel: Channel = await connect({ host, port, keyPair, appKey, remotePublicKey })
 * ```
 */
export interface Channel {
  write(chunk: Buffer): boolean
  end(data?: undefined): unknown
  destroy(err?: Error): unknown
  pause(): unknown
  resume(): unknown
  on(event: string, listener: (...args: any[]) => void): unknown
  once(event: string, listener: (...args: any[]) => void): unknown
}

/**
 * How {@link shuttle} treats its input.
 * @example
 * ```ts
 * const options: ShuttleOptions = { interactive: true, counters: startCounters() }
 * ```
 */
export interface ShuttleOptions {
  /** True for an interactive terminal: stop reading it once the peer has said goodbye. */
  interactive?: boolean
  /** Incremented with the bytes passed each way (for `-v` and `--progress`). */
  counters?: TransferCounters
}

/**
 * Runs a session. Resolves when both directions finished cleanly (our goodbye sent and theirs
 * received); rejects with the channel's error otherwise.
 * @example
 * ```ts
 * const stream = await connect({ host, port, keyPair, appKey, remotePublicKey })
 * await shuttle(stream, process.stdin, process.stdout, { interactive: process.stdin.isTTY })
 * ```
 */
export function shuttle(channel: Channel, input: Readable, output: Writable, options: ShuttleOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    let peerDone = false
    let weDone = false
    let finished = false
    const settle = (err?: unknown): void => {
      if (finished) return
      finished = true
      input.off('data', onInput)
      input.off('end', onInputEnd)
      input.pause()
      if (err) reject(err)
      else resolve()
    }
    const maybeDone = (): void => { if (peerDone && weDone) settle() }

    const counters = options.counters
    const onInput = (chunk: Buffer): void => {
      if (counters) counters.sent += chunk.length
      if (!channel.write(chunk)) {
        input.pause()
        channel.once('drain', () => { if (!finished) input.resume() })
      }
    }
    const onInputEnd = (): void => { channel.end() }
    input.on('data', onInput)
    input.once('end', onInputEnd)
    input.on('error', (err: Error) => { channel.destroy(err); settle(err) })

    // If the output goes away (a command that exits without reading), the rest is dropped rather
    // than left paused forever: the peer's goodbye must still be read to finish the session.
    let outputGone = false
    const dropOutput = (): void => {
      outputGone = true
      channel.resume()
    }
    output.once('close', dropOutput)
    output.on('error', dropOutput)
    channel.on('data', (chunk: Buffer) => {
      if (counters) counters.received += chunk.length
      if (outputGone) return
      if (!output.write(chunk)) {
        channel.pause()
        output.once('drain', () => channel.resume())
      }
    })
    channel.once('end', () => {
      peerDone = true
      if (options.interactive && !weDone) {
        input.off('data', onInput)
        input.pause()
        channel.end()
      }
      maybeDone()
    })
    channel.once('finish', () => { weDone = true; maybeDone() })
    channel.once('error', (err: unknown) => settle(err))
    channel.once('close', () => {
      // A close without both halves finished and without an error (e.g. destroy() with no reason).
      if (!finished) settle(peerDone && weDone ? undefined : new Error('the channel closed before the session finished'))
    })
    input.resume()
  })
}
