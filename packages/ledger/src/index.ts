export { Ledger, type LedgerOpenOptions, type LedgerReadOptions, type TornTailReport } from "./ledger.js";
export {
  verifyLedger,
  DEFAULT_MAX_ROW_BYTES,
  type LedgerHead,
  type LedgerVerifyOptions,
  type LedgerVerifyReport,
} from "./ledger-verify.js";
export { LedgerError, type LedgerErrorKind } from "./ledger-error.js";
export { consoleLedgerLogger, type LedgerLogger } from "./ledger-logger.js";
export { LedgerLock, LockOwnerSchema, lockPathFor, isLockOwnerAlive, type LockOwner } from "./ledger-lock.js";
export { RowCodec, rowSignatureProblem, ROW_HASH_DOMAIN_TAG, type LedgerRow, type RowDecoding, type RowSigner } from "./ledger-row.js";
export type { IndexedLedgerRow } from "./ledger-read.js";
export {
  generateSigningKey,
  assertEd25519Key,
  publicKeyOf,
  rawPublicKey,
  keyId,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  exportPrivateKeyJwk,
  exportPublicKeyJwk,
  importPrivateKeyPem,
  importPublicKeyPem,
  importPrivateKeyJwk,
  importPublicKeyJwk,
  Ed25519PublicJwkSchema,
  Ed25519PrivateJwkSchema,
  type SigningKeyPair,
  type Ed25519PublicJwk,
  type Ed25519PrivateJwk,
} from "./signing-key.js";
