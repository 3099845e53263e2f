/**
 * A hand-driven SHS1 peer for adapter tests: runs the sans-I/O client or server machine over any
 * byte duplex (an in-memory pair end, a socket) with exact reads, then hands back a box-stream
 * encoder and decoder for the session, so a test can send any bytes it likes after the handshake
 * (good frames and a bad one in one write, a goodbye with a bad MAC, nothing at all).
 */
import { ClientHandshake } from '../../lib/handshake/index.js'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import type { KeyPair } from '../../lib/keys.js'

/** What a raw peer writes to and reads from. */
export interface ByteDuplex {
  write(data: Uint8Array): unknown
  on(event: 'data', listener: (chunk: unknown) => void): unknown
  removeListener(event: 'data', listener: (chunk: unknown) => void): unknown
}

/** Exact-length reads over 'data' events. */
function exactReader(raw: ByteDuplex): { read(n: number): Promise<Buffer>, rest(): Buffer, stop(): void } {
  let buffered = Buffer.alloc(0)
  let want: { n: number, resolve: (b: Buffer) => void } | null = null
  const check = (): void => {
    if (want && buffered.length >= want.n) {
      const out = buffered.subarray(0, want.n)
      buffered = buffered.subarray(want.n)
      const w = want
      want = null
      w.resolve(Buffer.from(out))
    }
  }
  const onData = (chunk: unknown): void => {
    buffered = Buffer.concat([buffered, chunk as Uint8Array]) // a byte duplex emits bytes
    check()
  }
  raw.on('data', onData)
  return {
    read: (n) => new Promise((resolve) => { want = { n, resolve }; check() }),
    rest: () => buffered,
    stop: () => raw.removeListener('data', onData)
  }
}

/** The session a raw peer ends up with. */
export interface RawSession {
  encoder: BoxEncoder
  decoder: BoxDecoder
  reader: ReturnType<typeof exactReader>
}

/** Runs the client side of SHS1 over `raw` by hand. */
export async function rawClient(raw: ByteDuplex, opts: { appKey: Uint8Array, keyPair: KeyPair, serverPublicKey: Uint8Array }): Promise<RawSession> {
  const reader = exactReader(raw)
  const hs = new ClientHandshake({ appKey: opts.appKey, keyPair: opts.keyPair, serverPublicKey: opts.serverPublicKey })
  raw.write(Buffer.from(hs.createHello()))
  hs.receiveHello(await reader.read(64))
  raw.write(Buffer.from(hs.createAuth()))
  const session = hs.receiveAccept(await reader.read(80))
  return { encoder: new BoxEncoder(session.encryptKey, session.encryptNonce), decoder: new BoxDecoder(session.decryptKey, session.decryptNonce), reader }
}
