/**
 * Every crypto backend that loads here produces the same bytes on the shared vectors and makes the
 * same accept/reject decision on hostile inputs: low-order points (the 8-torsion list),
 * non-canonical encodings, S >= L, mixed-order keys, all-zero Diffie-Hellman results.
 * noble is the yardstick; where libsodium 1.0.18's answer is known, it is asserted too.
 */
import test from 'tape'
import { randomBytes } from 'node:crypto'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { availableCryptoBackends, cryptoReady, createCryptoBackend, getCryptoBackend, useCryptoBackend, type CryptoBackend } from '../../lib/crypto/index.js'
import { ClientHandshake, ServerHandshake } from '../../lib/handshake/index.js'
import { BoxDecoder, BoxEncoder } from '../../lib/boxstream/index.js'
import { mixedOrderCase } from '../helpers/curve-agreement.js'
import { hex, loadVector, type BoxFrameVector, type RecordedCall, type RecordedState, type Shs1Vector } from '../helpers/vectors.js'

await cryptoReady() // the wasm backend joins once loaded
const names = availableCryptoBackends()
const backends: CryptoBackend[] = names.map((n) => createCryptoBackend(n))
const noble = createCryptoBackend('noble')
const h = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'))

const P = (1n << 255n) - 19n
const L = ed25519.Point.Fn.ORDER
/** `n` as 32 little-endian bytes. */
const le = (n: bigint): Uint8Array => numberToBytesLE(n, 32)

test('backends: sodium-native, wasm (after cryptoReady), node and noble all load here, fastest first', (t) => {
  t.deepEqual(names, ['sodium-native', 'wasm', 'node', 'noble'], 'preference order')
  const forced = process.env.SECRET_CHANNEL_CRYPTO
  t.equal(getCryptoBackend().name, forced ?? 'sodium-native', 'the process-wide backend is the forced one, else the fastest')
  t.throws(() => createCryptoBackend('nope'), /unknown crypto backend/, 'an unknown name is refused')
  const before = getCryptoBackend()
  t.equal(useCryptoBackend('noble').name, 'noble', 'useCryptoBackend forces one')
  t.equal(getCryptoBackend().name, 'noble')
  useCryptoBackend(before)
  t.end()
})

for (const crypto of backends) {
  for (const file of ['shs1-js-reference.json', 'shs1-pysecrethandshake.json']) {
    test(`${crypto.name}: SHS1 vector ${file} reproduces byte for byte`, (t) => {
      const { inputs, expected: e } = loadVector<Shs1Vector>(file)
      const appKey = hex(inputs.app_key)
      const clientKeys = crypto.signKeyPairFromSeed(hex(inputs.client_longterm_seed))
      const serverKeys = crypto.signKeyPairFromSeed(hex(inputs.server_longterm_seed))
      t.equal(h(clientKeys.secretKey), e.client_longterm_sk, 'client key pair')
      const client = new ClientHandshake({ crypto, appKey, keyPair: clientKeys, serverPublicKey: serverKeys.publicKey, ephemeralSecretKey: hex(inputs.client_ephemeral_sk) })
      const server = new ServerHandshake({ crypto, appKey, keyPair: serverKeys, ephemeralSecretKey: hex(inputs.server_ephemeral_sk) })
      const m1 = client.createHello()
      server.receiveHello(m1)
      const m2 = server.createHello()
      client.receiveHello(m2)
      const m3 = client.createAuth()
      server.receiveAuth(m3)
      const { message: m4, session } = server.createAccept()
      const keys = client.receiveAccept(m4)
      t.deepEqual([h(m1), h(m2), h(m3), h(m4)], [e.msg1, e.msg2, e.msg3, e.msg4], 'msg1..msg4')
      t.deepEqual([h(keys.encryptKey), h(keys.decryptKey), h(session.encryptKey), h(session.decryptKey)],
        [e.client_encrypt_key, e.client_decrypt_key, e.server_encrypt_key, e.server_decrypt_key], 'session keys')
      t.end()
    })
  }

  test(`${crypto.name}: box-stream vectors reproduce and decode`, (t) => {
    const cases = [loadVector<BoxFrameVector>('box-stream-c.json'), loadVector<Shs1Vector>('shs1-pysecrethandshake.json').box_stream,
      ...loadVector<{ cases: BoxFrameVector[] }>('box-stream-edge.json').cases.filter((c) => c.writes)]
    for (const c of cases) {
      const enc = new BoxEncoder(hex(c.key), hex(c.initial_nonce), crypto)
      const frames = c.writes.map((w: string) => enc.encode(hex(w)).toString('hex'))
      t.deepEqual(frames, c.frames, 'frames')
      t.equal(enc.goodbye().toString('hex'), c.goodbye, 'goodbye')
      const dec = new BoxDecoder(hex(c.key), hex(c.initial_nonce), crypto)
      const out: string[] = []
      for (const f of [...frames, c.goodbye]) dec.push(hex(f), (p) => out.push(p.toString('hex')))
      t.deepEqual(out, c.writes, 'decodes back')
    }
    t.end()
  })

  test(`${crypto.name}: the reference's recorded crypto.js states reproduce`, (t) => {
    const records: RecordedCall[] = loadVector('test-secret-handshake.data.json')
    let checked = 0
    let wrong = 0
    for (const { name, args: recordedArgs, result: recorded } of records) {
      const [args, result] = [recordedArgs as [RecordedState], recorded as RecordedState] // each call's shape is known by its name
      if (name === 'initialize') {
        const kxSk = crypto.signSecretKeyToCurve(crypto.signKeyPairFromSeed(hex(args[0].random)).secretKey)
        if (h(kxSk) !== result.local.kx_sk || h(crypto.scalarMultBase(kxSk)) !== result.local.kx_pk) wrong++
        if (h(crypto.auth(hex(result.local.kx_pk), hex(result.app_key))) !== result.local.app_mac) wrong++
        checked++
      } else if (name === 'verifyChallenge' && result) {
        const ab = crypto.scalarMult(hex(result.local.kx_sk), hex(result.remote.kx_pk))
        if (h(ab) !== result.secret || h(crypto.sha256(ab!)) !== result.shash) wrong++
        checked++
      }
    }
    t.ok(checked > 20, `checked ${checked} records`)
    t.equal(wrong, 0, 'no record differs')
    t.end()
  })
}

test('all backends: identical bytes for every primitive on random inputs', (t) => {
  let differences = 0
  for (let i = 0; i < 12; i++) {
    const seed = randomBytes(32)
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const data = randomBytes([0, 1, 17, 18, 31, 32, 33, 63, 64, 65, 4096, 5000][i]!)
    const u = randomBytes(32)
    const ref = noble.signKeyPairFromSeed(seed)
    const expected = {
      pair: h(ref.secretKey), sig: h(noble.sign(data, ref.secretKey)), sha256: h(noble.sha256(data)), sha512: h(noble.sha512(data)),
      auth: h(noble.auth(data, key)), skCurve: h(noble.signSecretKeyToCurve(ref.secretKey)), base: h(noble.scalarMultBase(key)),
      dh: h(noble.scalarMult(key, u)), pkCurve: h(noble.signPublicKeyToCurve(ref.publicKey))
    }
    const sealed = Uint8Array.from(data)
    const tag = new Uint8Array(16)
    noble.secretboxSealDetached(sealed, tag, nonce, key)
    for (const crypto of backends) {
      const pair = crypto.signKeyPairFromSeed(seed)
      const got = {
        pair: h(pair.secretKey), sig: h(crypto.sign(data, pair.secretKey)), sha256: h(crypto.sha256(data)), sha512: h(crypto.sha512(data)),
        auth: h(crypto.auth(data, key)), skCurve: h(crypto.signSecretKeyToCurve(pair.secretKey)), base: h(crypto.scalarMultBase(key)),
        dh: h(crypto.scalarMult(key, u)), pkCurve: h(crypto.signPublicKeyToCurve(pair.publicKey))
      }
      for (const k of Object.keys(expected) as Array<keyof typeof expected>) {
        if (got[k] !== expected[k]) {
          differences++
          t.fail(`${crypto.name} ${k} differs for input ${i}`)
        }
      }
      const box = Uint8Array.from(data)
      const boxTag = new Uint8Array(16)
      crypto.secretboxSealDetached(box, boxTag, nonce, key)
      if (h(box) !== h(sealed) || h(boxTag) !== h(tag)) differences++
      const opened = new Uint8Array(data.length)
      if (!crypto.secretboxOpenDetached(opened, sealed, tag, nonce, key) || h(opened) !== h(data)) differences++
      if (!crypto.verify(noble.sign(data, ref.secretKey), data, ref.publicKey)) differences++
      if (!crypto.authVerify(noble.auth(data, key), data, key)) differences++
    }
  }
  t.equal(differences, 0, `no difference across ${backends.map((b) => b.name).join(', ')}`)
  t.end()
})

test('all backends: a tampered box is refused and nothing is written', (t) => {
  const key = randomBytes(32)
  const nonce = randomBytes(24)
  for (const size of [0, 18, 100]) {
    const cipher = randomBytes(size)
    const tag = new Uint8Array(16)
    noble.secretboxSealDetached(cipher, tag, nonce, key)
    for (const crypto of backends) {
      const badTag = Uint8Array.from(tag)
      badTag[3]! ^= 1
      const out = new Uint8Array(size).fill(0xaa)
      t.notOk(crypto.secretboxOpenDetached(out, cipher, badTag, nonce, key), `${crypto.name}: bad tag, ${size} bytes`)
      t.ok(out.every((b) => b === 0xaa), `${crypto.name}: output untouched`)
      if (size > 0) {
        const flipped = Uint8Array.from(cipher)
        flipped[size - 1]! ^= 0x80
        t.notOk(crypto.secretboxOpenDetached(out, flipped, tag, nonce, key), `${crypto.name}: flipped ciphertext bit`)
      }
      t.notOk(crypto.authVerify(new Uint8Array(31), cipher, key), `${crypto.name}: short hmac tag refused`)
    }
  }
  t.end()
})

/** Points of small order, non-canonical encodings of y = p..p+18 (both signs), and junk. */
function hostileEdwardsEncodings(): Array<{ label: string; bytes: Uint8Array }> {
  const out = ED25519_TORSION_SUBGROUP.map((x, i) => ({ label: `torsion point ${i}`, bytes: hex(x) as Uint8Array }))
  for (let y = 0n; y <= 18n; y++) {
    const enc = le(P + y)
    out.push({ label: `y = p+${y}`, bytes: enc })
    const neg = Uint8Array.from(enc)
    neg[31]! |= 0x80
    out.push({ label: `y = p+${y}, sign bit`, bytes: neg })
  }
  out.push({ label: 'all 0xff', bytes: new Uint8Array(32).fill(0xff) })
  out.push({ label: 'y = 2 (not on the curve)', bytes: le(2n) })
  return out
}

test('all backends: identical Ed25519 verify decisions on hostile signatures and keys', (t) => {
  const pair = noble.signKeyPairFromSeed(new Uint8Array(32).fill(5))
  const msg = new TextEncoder().encode('hello')
  const sig = noble.sign(msg, pair.secretKey)
  const sPlusL = Uint8Array.from(sig)
  sPlusL.set(le(bytesToNumberLE(sig.subarray(32)) + L), 32)
  const sEqualsL = Uint8Array.from(sig)
  sEqualsL.set(le(L), 32)
  const sMax = Uint8Array.from(sig)
  sMax.fill(0xff, 32)
  const mixed = mixedOrderCase()

  const cases: Array<{ label: string; sig: Uint8Array; msg: Uint8Array; pk: Uint8Array; libsodium?: boolean }> = [
    { label: 'valid', sig, msg, pk: pair.publicKey, libsodium: true },
    { label: 'S + L (non-canonical S)', sig: sPlusL, msg, pk: pair.publicKey, libsodium: false },
    { label: 'S = L', sig: sEqualsL, msg, pk: pair.publicKey, libsodium: false },
    { label: 'S = 2^256 - 1', sig: sMax, msg, pk: pair.publicKey, libsodium: false },
    { label: 'short signature', sig: sig.subarray(0, 63), msg, pk: pair.publicKey, libsodium: false },
    { label: 'mixed-order key, k ≡ 0 (mod 8): cofactorless equation holds', sig: mixed.accepted[0], msg: mixed.accepted[1], pk: mixed.publicKey, libsodium: true },
    { label: 'mixed-order key, k ≢ 0 (mod 8)', sig: mixed.rejected[0], msg: mixed.rejected[1], pk: mixed.publicKey, libsodium: false }
  ]
  for (const { label, bytes } of hostileEdwardsEncodings()) {
    cases.push({ label: `public key ${label}`, sig, msg, pk: bytes, libsodium: false })
    const badR = Uint8Array.from(sig)
    badR.set(bytes, 0)
    cases.push({ label: `R = ${label}`, sig: badR, msg, pk: pair.publicKey, libsodium: false })
  }
  // A small-order R and a small-order key together satisfy the equation for S = 0: the classic forgery.
  cases.push({ label: 'identity R and key, S = 0', sig: Uint8Array.from([...hex(ED25519_TORSION_SUBGROUP[0]!), ...new Uint8Array(32)]), msg, pk: hex(ED25519_TORSION_SUBGROUP[0]!), libsodium: false })

  for (const c of cases) {
    const decisions = backends.map((b) => b.verify(c.sig, c.msg, c.pk))
    t.ok(decisions.every((d) => d === decisions[0]), `${c.label}: all backends agree (${decisions.join('/')})`)
    if (c.libsodium !== undefined) t.equal(decisions[0], c.libsodium, `${c.label}: ${c.libsodium ? 'accepted' : 'rejected'} as by libsodium 1.0.18`)
  }
  t.end()
})

test('all backends: identical Ed25519 → Curve25519 decisions (low order, non-canonical, mixed order)', (t) => {
  const mixed = mixedOrderCase()
  const valid = noble.signKeyPairFromSeed(new Uint8Array(32).fill(6)).publicKey
  const cases = [...hostileEdwardsEncodings(), { label: 'mixed-order key', bytes: mixed.publicKey }, { label: 'valid key', bytes: valid }]
  for (const { label, bytes } of cases) {
    const results = backends.map((b) => h(b.signPublicKeyToCurve(bytes)))
    t.ok(results.every((r) => r === results[0]), `${label}: all backends agree (${results[0] === null ? 'rejected' : 'accepted'})`)
    t.equal(results[0] !== null, label === 'valid key', `${label}: ${label === 'valid key' ? 'accepted' : 'rejected'}`)
  }
  t.end()
})

test('all backends: identical X25519 results, null exactly for all-zero (low-order) outputs', (t) => {
  const blacklist = [
    0n, 1n,
    bytesToNumberLE(hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')),
    bytesToNumberLE(hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157')),
    P - 1n, P, P + 1n
  ]
  const cases: Array<{ label: string; u: Uint8Array; lowOrder: boolean }> = []
  for (const u of blacklist) {
    cases.push({ label: `low-order u = ${u < 2n ? u : '…' + u.toString(16).slice(-6)}`, u: le(u), lowOrder: true })
    const high = le(u)
    high[31]! |= 0x80
    cases.push({ label: `low-order u with bit 255 set`, u: high, lowOrder: true })
  }
  cases.push({ label: 'u = p + 9 (non-canonical 9)', u: le(P + 9n), lowOrder: false })
  cases.push({ label: 'u = 9 with bit 255 set', u: Uint8Array.from([9, ...new Uint8Array(30), 0x80]), lowOrder: false })
  for (let i = 0; i < 4; i++) cases.push({ label: `random u ${i}`, u: randomBytes(32), lowOrder: false })
  const scalar = randomBytes(32)
  for (const c of cases) {
    const results = backends.map((b) => h(b.scalarMult(scalar, c.u)))
    t.ok(results.every((r) => r === results[0]), `${c.label}: all backends agree`)
    t.equal(results[0] === null, c.lowOrder, `${c.label}: ${c.lowOrder ? 'refused (all-zero DH)' : 'computed'}`)
  }
  t.end()
})
