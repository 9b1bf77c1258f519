export {
  RUNTIME_TRACE_SCHEMA_VERSION,
  RUNTIME_RUN_OPERATION,
  DEFAULT_RUNTIME_MODEL,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_SYSTEM_PROMPT,
  DEFAULT_DOMAIN_TAGS,
  RUN_CLAIM_TEXT,
} from "./constants.js";
export { RuntimeError, isRuntimeError, type RuntimeErrorKind } from "./runtime-error.js";
export { RunSchema, createRun, validateRun, llmRequestFor, type Run, type CreateRunInput } from "./run.js";
export {
  RunTraceStatusSchema,
  RunObservabilitySchema,
  RunReportSchema,
  runObservabilityFor,
  refreshObservability,
  runObservabilityToWire,
  runObservabilityFromWire,
  runReportToWire,
  runReportFromWire,
  type RunTraceStatus,
  type RunObservability,
  type RunObservabilityWire,
  type RunReport,
  type RunReportWire,
} from "./run-report.js";
export { agentResponseEvent, type AgentResponseEventOptions } from "./agent-response-event.js";
export { contextPolicyOutcome } from "./context-policy.js";
export { compileRunClaim } from "./run-claim.js";
export {
  executeRun,
  runTask,
  effectiveRuntimeMode,
  type ExecuteRunOptions,
  type RunExecution,
} from "./execute-run.js";
export { silentRuntimeLogger, type RuntimeLogger, type RunTraceFields } from "./runtime-logger.js";
export {
  RuntimeClaimRequestSchema,
  RuntimeClaimRequestWithPolicySchema,
  CompiledRuntimeClaimSchema,
  RuntimeClaimPreflightSchema,
  compileRuntimeClaim,
  runtimeClaimPreflight,
  runtimeClaimPreflightWithPolicy,
  requireRuntimeClaim,
  requireRuntimeClaimWithPolicy,
  type RuntimeClaimRequest,
  type RuntimeClaimRequestWithPolicy,
  type CompiledRuntimeClaim,
  type RuntimeClaimPreflight,
} from "./runtime-claim.js";
export {
  DEVELOPMENT_LEDGER_USES,
  DEVELOPMENT_LEDGER_FORBIDDEN_USES,
  DevelopmentLedgerUseSchema,
  developmentLedgerUseDecision,
  type DevelopmentLedgerUse,
  type DevelopmentLedgerUseDecision,
} from "./development-ledger-use.js";
export type { RuntimeClaimKind } from "@cellos-cortex/cortex-core";
