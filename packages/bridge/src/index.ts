export { BridgeError, BRIDGE_ERROR_KINDS, isBridgeError } from "./bridge-error.js";
export type { BridgeErrorKind, BridgeErrorOptions } from "./bridge-error.js";
export { consoleLogger } from "./logger.js";
export type { BridgeLogger } from "./logger.js";
export {
  ContextPackSchema,
  ContextPackWireSchema,
  contextPackFromCortex,
  createContextPack,
  parseContextPack,
  slimContextPackFromWire,
  slimContextPackToWire,
} from "./context-pack.js";
export type { ContextPack, ContextPackFromCortexOptions, ContextPackWire, ContextPackWireInput } from "./context-pack.js";
export { packToCellId } from "./cell-id.js";
export { ttlSecondsFor } from "./ttl.js";
export { CellSubmissionOutcomeSchema, parseCellSubmissionOutcome } from "./cell-submitter.js";
export type { CellSubmissionOutcome, CellSubmitter, SubmitOptions } from "./cell-submitter.js";
export { CELL_OS_JSONL_EVENTS_ENV, CORTEX_EVENT_SOURCE, CortexCellRunner, DEFAULT_TTL_SECONDS, RESULT_GRACE_MS } from "./cortex-cell-runner.js";
export type { ContextPackTranslation, CortexCellRunnerOptions, Dispatched, DispatchOptions, RunOptions, WaitForResultOptions } from "./cortex-cell-runner.js";
export { waitForResultFromJsonl } from "./wait-for-result.js";
export type { WaitForResultFromJsonlOptions } from "./wait-for-result.js";
export { MemorySubmitter } from "./memory-submitter.js";
export type { MemoryLifecycleMode, MemorySubmitterOptions } from "./memory-submitter.js";
export { CellAcceptedResponseSchema, HttpCellSubmitter, parseRetryAfter } from "./http-cell-submitter.js";
export type { CellAcceptedResponse, HttpCellSubmitterOptions } from "./http-cell-submitter.js";
export { AUTHORITY_AXES, DEFAULT_CELL_PATH, LocalCellHost } from "./local-cell-host.js";
export type { AuthorityAxis, EnforcedAuthority, IsolationMode, LocalCellHostOptions, LocalCellOutcome, LocalCellReport } from "./local-cell-host.js";
export { BUBBLEWRAP_INSTALL_HINT, bubblewrapArgs, detectBubblewrap, findOnPath } from "./bubblewrap.js";
export type { BubblewrapPlan, BubblewrapStatus } from "./bubblewrap.js";
export { CellExportSpecSchema, parseCellExports } from "./cell-exports.js";
export type { CellExportArtifact, CellExportSpec } from "./cell-exports.js";
export type { CapturedStream } from "./output-capture.js";
export { EnvSecretSource, MemorySecretSource, secretEnvName } from "./secret-source.js";
export type { EnvSecretSourceOptions, SecretRequest, SecretSource } from "./secret-source.js";
export { CellosLedgerEmitter } from "./cellos-ledger-emitter.js";
export type { CellosLedgerEmitterOptions, CellosLedgerEmitterStats, ConsumeOptions, LedgerAppender } from "./cellos-ledger-emitter.js";
export {
  CELLOS_EVENT_TYPE_PREFIX,
  CELLOS_UNCLASSIFIED_EVENT_TYPE,
  cellosEventFamily,
  cortexEventTypeForCellos,
  cortexSourceForCellos,
  domainTagsForCellos,
} from "./cellos-ledger-mapping.js";
