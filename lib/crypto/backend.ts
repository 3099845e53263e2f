/**
 * The narrow crypto interface every protocol step goes through.
 *
 * Protocol code (handshake, box-stream, the other protocols) never imports @noble or sodium-native
 * directly: it calls a {@link CryptoBackend}. Every backend must produce byte-identical output and
 * apply the same strictness (see `policy.ts`), so which one is loaded is invisible on the wire.
 *
 * Sizes follow libsodium: Ed25519 public keys 32 bytes, secret keys 64 bytes (seed ‖ public key),
 * X25519 keys 32 bytes, secretbox keys 32 bytes, nonces 24 bytes, Poly1305 tags 16 bytes.
 * @module
 */

/** An Ed25519 key pair in libsodium's layout. */
export interface SignKeyPair {
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** 64-byte libsodium secret key: 32-byte seed ‖ 32-byte public key. */
  secretKey: Uint8Array
}

/**
 * The primitives SHS1, box-stream and the other protocols need, nothing more.
 * @example
 * ```ts
 * const crypto: CryptoBackend = getCryptoBackend()
 * const digest = crypto.sha256(Buffer.from('hello'))
 * ```
 */
export interface CryptoBackend {
  /** A short name for logs and benchmarks: `"noble"`, `"sodium-native"`, `"node"`. */
  readonly name: string

  /** `length` bytes from a cryptographically secure source. */
  randomBytes(length: number): Uint8Array

  /** SHA-256 (`crypto_hash_sha256`). */
  sha256(data: Uint8Array): Uint8Array

  /** SHA-512 (`crypto_hash_sha512`). */
  sha512(data: Uint8Array): Uint8Array

  /** HMAC-SHA-512 truncated to 32 bytes (`crypto_auth`). Not SHA-512/256. */
  auth(data: Uint8Array, key: Uint8Array): Uint8Array

  /** Constant-time check that `tag` is `auth(data, key)` (`crypto_auth_verify`). */
  authVerify(tag: Uint8Array, data: Uint8Array, key: Uint8Array): boolean

  /** The Ed25519 key pair for a 32-byte seed (`crypto_sign_seed_keypair`). */
  signKeyPairFromSeed(seed: Uint8Array): SignKeyPair

  /** A detached 64-byte Ed25519 signature (`crypto_sign_detached`) with a 64-byte secret key. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array

  /**
   * Ed25519 verification exactly as strict as libsodium 1.0.18's `crypto_sign_verify_detached`:
   * canonical S, canonical public key, no small-order public key or R, cofactorless equation.
   * Returns false (never throws) on any bad input.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean

  /**
   * `crypto_sign_ed25519_pk_to_curve25519`: the X25519 form of an Ed25519 public key, or `null` when
   * the key is not canonical, not on the curve, of small order or outside the main subgroup.
   */
  signPublicKeyToCurve(publicKey: Uint8Array): Uint8Array | null

  /** `crypto_sign_ed25519_sk_to_curve25519`: the clamped X25519 scalar of a 64-byte Ed25519 secret key. */
  signSecretKeyToCurve(secretKey: Uint8Array): Uint8Array

  /** X25519 public key for a 32-byte scalar (`crypto_scalarmult_base`, clamps internally). */
  scalarMultBase(secretKey: Uint8Array): Uint8Array

  /**
   * X25519 (`crypto_scalarmult`). Returns `null` instead of an all-zero shared secret, which is
   * what a low-order or otherwise degenerate public key produces.
   */
  scalarMult(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null

  /**
   * `crypto_secretbox_detached`, in place: XSalsa20-encrypts `data` where it lies and writes the
   * 16-byte Poly1305 tag into `tag`. `tag` must not overlap `data`.
   */
  secretboxSealDetached(data: Uint8Array, tag: Uint8Array, nonce: Uint8Array, key: Uint8Array): void

  /**
   * `crypto_secretbox_open_detached`: checks `tag` over `cipher` in constant time and, only if it
   * is valid, decrypts into `out` (which may be `cipher` itself, or a buffer of the same length).
   * Returns false and writes nothing when the tag is wrong.
   */
  secretboxOpenDetached(out: Uint8Array, cipher: Uint8Array, tag: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean

  /** HMAC-SHA-256 (RFC 2104), 32 bytes. Any key length. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array

  /** HKDF-SHA-256 (RFC 5869) extract-and-expand; `length` ≤ 8160. An empty salt means 32 zero bytes. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array

  /**
   * scrypt (RFC 7914) with N = 2^logN, r, p, off the event loop where the backend can (a worker
   * thread or an async JS loop that yields). Callers bound the memory (128 · N · r) themselves.
   */
  scrypt(password: Uint8Array, salt: Uint8Array, cost: ScryptCost, length: number): Promise<Uint8Array>

  /**
   * Optional fast path for a stream of secretboxes under one key (one box-stream direction): the
   * same results as {@link secretboxSealDetached} / {@link secretboxOpenDetached} with `key`, but
   * free to keep per-key state, e.g. the XSalsa20 subkey for the nonce's first 16 bytes, which a
   * box-stream counter changes only when a carry reaches byte 15. The caller wipes it when done.
   * An implementation may use `key` in place rather than copy it: the caller keeps it private and
   * unchanged until it calls {@link KeyedSecretbox.wipe}, which may zero it.
   */
  keyedSecretbox?(key: Uint8Array): KeyedSecretbox

  /**
   * Present on a backend whose public-key operations are asynchronous (WebCrypto): the handshake
   * driver then asks it for X25519, signatures and verifications instead of calling the
   * synchronous methods above, which stay available (and give the same bytes) for everything
   * else, including the machines' own synchronous step methods.
   */
  readonly asyncCurve?: AsyncCurveBackend
}

/**
 * Public-key operations that only come as promises (WebCrypto's Ed25519 and X25519), one
 * {@link AsyncCurveSession} per handshake. Same bytes and same accept/reject decisions as the
 * synchronous methods of {@link CryptoBackend}.
 * @example
 * ```ts
 * const session = backend.asyncCurve!.session(keyPair)
 * const ap = await session.ephemeralPublic()
 * ```
 */
export interface AsyncCurveBackend {
  /** A short name for logs: `"webcrypto"`. */
  readonly name: string
  /**
   * The operations of one handshake with `keyPair` (libsodium layout). Starts its ephemeral key
   * generation at once; `ephemeralSecretKey` (test vectors only) fixes it instead.
   */
  session(keyPair: SignKeyPair, ephemeralSecretKey?: Uint8Array): AsyncCurveSession
}

/**
 * One handshake's asynchronous public-key operations; secrets stay inside the implementation
 * (non-extractable keys where it can). Promises reject only on a failure of the implementation
 * itself, never on hostile input (which gives null or false).
 * @example
 * ```ts
 * const shared = await session.x25519('ephemeral', peerEphemeral) // null for a low-order point
 * session.destroy()
 * ```
 */
export interface AsyncCurveSession {
  /** Our ephemeral X25519 public key. */
  ephemeralPublic(): Promise<Uint8Array>
  /** X25519 of our ephemeral or long-term (X25519 form) secret with `peer`; null when degenerate. */
  x25519(secret: 'ephemeral' | 'long-term', peer: Uint8Array): Promise<Uint8Array | null>
  /** A detached Ed25519 signature with our long-term key. */
  sign(message: Uint8Array): Promise<Uint8Array>
  /** Ed25519 verification as strict as libsodium 1.0.18's; false (never a rejection) for bad input. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>
  /** Drops the session's secrets; later results are the caller's to ignore. */
  destroy(): void
}

/** scrypt cost parameters as {@link CryptoBackend.scrypt} takes them. */
export interface ScryptCost {
  /** log2 of N. */
  logN: number
  /** Block size. */
  r: number
  /** Parallelism. */
  p: number
}

/** A secretbox bound to one key; see {@link CryptoBackend.keyedSecretbox}. */
export interface KeyedSecretbox {
  /** As {@link CryptoBackend.secretboxSealDetached}, with the bound key. */
  seal(data: Uint8Array, tag: Uint8Array, nonce: Uint8Array): void
  /**
   * Optional: seals `message` into `out` (same length, a different place), so a sender can encrypt
   * straight from the caller's bytes into a wire buffer without copying them there first.
   */
  sealFrom?(out: Uint8Array, tag: Uint8Array, message: Uint8Array, nonce: Uint8Array): void
  /** As {@link CryptoBackend.secretboxOpenDetached}, with the bound key. */
  open(out: Uint8Array, cipher: Uint8Array, tag: Uint8Array, nonce: Uint8Array): boolean
  /**
   * Optional: box-stream's frames for a whole write in one call (the native addon). Writes the
   * frames of `source` into `out` at `offset` exactly as box-stream's encoder does, advancing `nonce`
   * by two per frame.
   * @returns the bytes written, or -1 (nothing written, nonce unchanged) when it cannot, e.g. `out`
   *   lacks room or overlaps `source`: the caller then seals frame by frame
   */
  sealFrames?(source: Uint8Array, out: Uint8Array, offset: number, nonce: Uint8Array): number
  /**
   * Optional: opens every whole frame of `chunk` from `at` (a frame boundary) and writes the bodies'
   * plaintext back to back into `out` from `to`, advancing `nonce` by two per frame. `out` is either
   * `chunk` itself with `to` ≤ `at` (opened in place, plaintext moved down) or shares no byte with it
   * (`chunk` only read; stops before a body `out` has no room for). Stops before the first frame it
   * does not finish, which it leaves untouched.
   * @param result - receives [next at, next to, frames opened, status]
   * @returns why it stopped ({@link OpenFramesStatus}), or -1 for arguments it refuses (nothing done)
   */
  openFrames?(chunk: Uint8Array, at: number, out: Uint8Array, to: number, nonce: Uint8Array, result: Uint32Array): OpenFramesStatus
  /** Zeroes the key material it holds; later calls fail closed. */
  wipe(): void
}

/**
 * What {@link KeyedSecretbox.openFrames} returns: 0 stopped at a frame that is not whole in the
 * chunk (or at its end), 1 the next header did not authenticate, 2 the next body did not, 3 the
 * next header is the goodbye or claims more than 4096 bytes (for the caller to handle); -1 it
 * refused its arguments and did nothing. (Plain numbers, not an enum object: the decoder is part
 * of the browser bundle, where no backend has the call.)
 * @example
 * ```ts
 * const status: OpenFramesStatus = box.openFrames!(chunk, at, chunk, to, nonce, result)
 * if (status === 2) throw new Error(`body of frame ${result[2]} failed authentication`)
 * ```
 */
export type OpenFramesStatus = -1 | 0 | 1 | 2 | 3
