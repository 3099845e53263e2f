/** Loads the shared test vectors (the files are read by vector-files.ts). */
import { readVectorFile } from './vector-files.js'

/** An SHS1 transcript vector (shs1-js-reference.json, shs1-pysecrethandshake.json): hex strings by name. */
export interface Shs1Vector { inputs: Record<string, string>; expected: Record<string, string>; box_stream: BoxFrameVector }

/** A box-stream vector: key, starting nonce, the writes, and the frames and goodbye they make (hex). */
export interface BoxFrameVector { name: string; key: string; initial_nonce: string; writes: string[]; frames: string[]; goodbye: string }

/** One party of a recorded reference crypto.js state (hex). */
interface RecordedParty { kx_pk: string; kx_sk: string; app_mac: string; publicKey: string; secretKey: string }

/** A reference crypto.js state (or key pair) as test-secret-handshake.data.json records it (hex). */
export interface RecordedState { random: string; app_key: string; secret: string; shash: string; publicKey: string; local: RecordedParty; remote: RecordedParty }

/** One recorded call of the reference crypto.js: its name, arguments and result (false/null on a refusal). */
export interface RecordedCall { name: string; args: Array<RecordedState | string>; result: RecordedState | false | null }

/** Parses one vector file; the caller names its shape. */
export function loadVector<T>(name: string): T {
  return JSON.parse(readVectorFile(name)) as T
}

/** Hex to Buffer. */
export const hex = (s: string): Buffer => Buffer.from(s, 'hex')
