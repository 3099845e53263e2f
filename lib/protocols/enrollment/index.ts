/**
 * Enrollment (design document 000): a device and a server agree on a key over ephemeral secp256k1
 * ECDH, the device proves it can decrypt a challenge, and the server issues it a key pair (Ed25519 by
 * default, so it can then use the secret handshake) and records it. Optional one-time code and
 * server signature defeat a man in the middle. See docs/enrollment.md.
 * @module
 */
export { EnrollmentClient, type EnrollmentClientOptions, type EnrollmentResult, type ClientStep, type ClientEvent } from './client.js'
export { EnrollmentServer, type EnrollmentServerOptions, type IssuedDevice, type ServerStep, type ServerEvent } from './server.js'
export { EnrollmentCode, normalizeCode, type EnrollmentCodeOptions, type CodeSpentReason } from './code.js'
export { type ReceivedKey, type RsaOptions, type IssuedKeyMaterial, issuedKeyId, generateIssuedKey } from './issue.js'
export { saveReceivedKey, receivedKeyFileText, type SaveKeyOptions } from './identity.js'
export {
  type EnrollmentStore, type EnrolledDevice, MemoryEnrollmentStore, JsonFileEnrollmentStore, enrolledAuthorizer, toEnrolledDevice
} from './store.js'
export { FrameDecoder, encodeFrame, DEFAULT_MAX_FRAME_BYTES } from './framing.js'
export {
  enroll, acceptEnrollment, type DuplexLike, type EnrollOptions, type AcceptEnrollmentOptions, type EnrollmentStreamOptions,
  type EnrollmentLogEvent
} from './stream.js'
export { MessageType, RefusalReason, type IssuedKeyType } from './layout.js'
