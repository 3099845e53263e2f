/**
 * One run of phase 3 — the first agreement or a re-key — as a small object: our sealed and
 * signed part, the peer's part, K = partI XOR partR, the confirmation MACs and the directional
 * box-stream keys (derivation in `kdf.ts`). It holds the secrets of the round and wipes them.
 * @module
 */
import type { CryptoBackend } from '../../crypto/backend.js'
import { constantTimeEqual, wipe } from '../../crypto/policy.js'
import type { KeyPair } from '../../keys.js'
import { deriveSessionSecrets, partStatement, transcriptHash, wipeSessionSecrets, type SessionSecrets } from './kdf.js'
import { encodeConfirm, encodePart } from './messages.js'
import { PART_BYTES, openPart, sealPart } from './seal.js'

/** Who runs the round: our keys and the peer's, by fingerprint too. */
export interface RoundParty {
  crypto: CryptoBackend
  /** True for the initiator of the first agreement (fixes the order in the transcript). */
  initiator: boolean
  keyPair: KeyPair
  myFingerprint: Uint8Array
  peerKey: Uint8Array
  peerFingerprint: Uint8Array
}

/** Box-stream keys and starting nonces for both directions, seen from our side. */
export interface DirectionalKeys {
  sendKey: Uint8Array
  sendNonce: Uint8Array
  receiveKey: Uint8Array
  receiveNonce: Uint8Array
}

/** Phase 3 for one session id. */
export class AgreementRound {
  /** The session id this round is bound to. */
  readonly sid: Uint8Array
  /** True for a re-key of an open session. */
  readonly rekey: boolean
  /** Our PART message, ready to send. */
  readonly partMessage: Uint8Array
  /** True once the peer's CONFIRM verified. */
  peerConfirmed = false
  private readonly party: RoundParty
  private readonly myPart: Uint8Array
  private readonly mySealed: Uint8Array
  private peerSealed: Uint8Array | null = null
  private secrets: SessionSecrets | null = null

  /** Draws our part, seals it to the peer and signs it (bound to `sid` and both fingerprints). */
  constructor(party: RoundParty, sid: Uint8Array, rekey: boolean) {
    this.party = party
    this.sid = sid
    this.rekey = rekey
    this.myPart = party.crypto.randomBytes(PART_BYTES)
    this.mySealed = sealPart(party.crypto, this.myPart, party.peerKey)
    const signature = party.crypto.sign(partStatement(sid, party.myFingerprint, party.peerFingerprint, this.mySealed), party.keyPair.secretKey)
    this.partMessage = encodePart(this.mySealed, signature)
  }

  /** True once the peer's part arrived. */
  get hasPeerPart(): boolean {
    return this.peerSealed !== null
  }

  /** True once K is derived (our CONFIRM went out) and the peer's CONFIRM can be checked. */
  get derived(): boolean {
    return this.secrets !== null
  }

  /**
   * Takes the peer's PART: checks its signature, opens it, derives K and the keys.
   * @returns our CONFIRM message, or why the part was refused
   */
  acceptPart(sealed: Uint8Array, signature: Uint8Array): Uint8Array | 'bad-signature' | 'not-for-us' {
    const { crypto, initiator } = this.party
    const statement = partStatement(this.sid, this.party.peerFingerprint, this.party.myFingerprint, sealed)
    if (!crypto.verify(signature, statement, this.party.peerKey)) return 'bad-signature'
    const peerPart = openPart(crypto, sealed, this.party.keyPair.secretKey)
    if (!peerPart) return 'not-for-us'
    const peerSealed = sealed.slice()
    this.peerSealed = peerSealed
    const agreed = new Uint8Array(PART_BYTES)
    for (let i = 0; i < PART_BYTES; i++) agreed[i] = this.myPart[i]! ^ peerPart[i]!
    wipe(peerPart, this.myPart)
    const [fpI, fpR] = initiator ? [this.party.myFingerprint, this.party.peerFingerprint] : [this.party.peerFingerprint, this.party.myFingerprint]
    const [sealedI, sealedR] = initiator ? [this.mySealed, peerSealed] : [peerSealed, this.mySealed]
    this.secrets = deriveSessionSecrets(crypto, agreed, transcriptHash(crypto, this.sid, fpI, fpR, sealedI, sealedR))
    wipe(agreed)
    return encodeConfirm(initiator ? this.secrets.confirmI : this.secrets.confirmR)
  }

  /** Checks the peer's CONFIRM in constant time; true marks it confirmed. */
  acceptConfirm(mac: Uint8Array): boolean {
    if (!this.secrets) return false
    const expected = this.party.initiator ? this.secrets.confirmR : this.secrets.confirmI
    this.peerConfirmed = constantTimeEqual(mac, expected)
    return this.peerConfirmed
  }

  /** The directional keys (copies); the caller wipes them after handing them to box-stream. */
  keys(): DirectionalKeys {
    const s = this.secrets!
    const i = this.party.initiator
    return {
      sendKey: (i ? s.i2rKey : s.r2iKey).slice(),
      sendNonce: (i ? s.i2rNonce : s.r2iNonce).slice(),
      receiveKey: (i ? s.r2iKey : s.i2rKey).slice(),
      receiveNonce: (i ? s.r2iNonce : s.i2rNonce).slice()
    }
  }

  /** Zeroes our part and everything derived. */
  wipe(): void {
    wipe(this.myPart)
    wipeSessionSecrets(this.secrets)
  }
}
