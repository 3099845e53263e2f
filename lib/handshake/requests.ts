/**
 * The public-key operations a handshake machine asks for, as data.
 *
 * A machine step is a generator: it yields a {@link CurveRequest} where it needs X25519, a
 * signature, a verification or its ephemeral public key, and resumes with the answer. Everything
 * else (HMAC, SHA-256, secretbox, the Ed25519 → X25519 conversion of a peer's key) it does itself
 * on its synchronous `CryptoBackend`. Who answers decides how the step runs:
 * ```
 * machine.createHello()      the machine itself, synchronously        (the documented sync API)
 * HandshakeDriver, sync      machine.answer(request), inline          (same call stack, today's speed)
 * HandshakeDriver, async     an AsyncCurveSession (WebCrypto): a promise; the driver returns
 *                            `pending` and resumes the step with the answer when it settles
 * ```
 * The machine never sees a promise and never holds a secret it does not own: requests name the
 * secret (`'ephemeral'` or `'long-term'`), the answerer holds it. Operations that do not depend
 * on each other go out together as one `'batch'` (answered in order), so an asynchronous
 * answerer runs them concurrently: two X25519 on the server's hello, X25519 and the signature
 * in msg3 and msg4.
 * @module
 */
import type { AsyncCurveSession } from '../crypto/backend.js'

/**
 * One public-key operation a machine needs answered.
 * @example
 * ```ts
 * const request: CurveRequest = { op: 'x25519', secret: 'ephemeral', peer: serverEphemeral }
 * const shared = machine.answer(request) // synchronous backend
 * ```
 */
export type CurveRequest =
  /** Our ephemeral X25519 public key. */
  | { op: 'ephemeral-public' }
  /** X25519 of our ephemeral secret, or our long-term key's X25519 scalar, with `peer`; null for a degenerate result. */
  | { op: 'x25519', secret: 'ephemeral' | 'long-term', peer: Uint8Array }
  /** A detached Ed25519 signature of `message` with our long-term key. */
  | { op: 'sign', message: Uint8Array }
  /** Ed25519 verification, as strict as libsodium 1.0.18. */
  | { op: 'verify', signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array }
  /** Independent requests, answered in the same order (an array of answers). */
  | { op: 'batch', requests: CurveRequest[] }

/**
 * The answer to a {@link CurveRequest}: bytes (a key, a shared secret, a signature), null (a
 * degenerate X25519 result), a verdict, or a batch's answers.
 * @example
 * ```ts
 * const answer: CurveAnswer = await session.verify(signature, message, publicKey)
 * ```
 */
export type CurveAnswer = Uint8Array | boolean | null | CurveAnswer[]

/**
 * A machine step that yields requests and returns `R`.
 * @example
 * ```ts
 * function * hello (): CurveSteps<Uint8Array> { return (yield { op: 'ephemeral-public' }) as Uint8Array }
 * ```
 */
export type CurveSteps<R> = Generator<CurveRequest, R, CurveAnswer>

/**
 * Hands a request to an asynchronous session (the driver's path with a WebCrypto backend).
 * @example
 * ```ts
 * const answer = await askSession(session, { op: 'sign', message })
 * ```
 */
export function askSession(session: AsyncCurveSession, request: CurveRequest): Promise<CurveAnswer> {
  switch (request.op) {
    case 'ephemeral-public': return session.ephemeralPublic()
    case 'x25519': return session.x25519(request.secret, request.peer)
    case 'sign': return session.sign(request.message)
    case 'verify': return session.verify(request.signature, request.message, request.publicKey)
    case 'batch': return Promise.all(request.requests.map((each) => askSession(session, each)))
  }
}
