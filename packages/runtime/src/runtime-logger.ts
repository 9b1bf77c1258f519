import type { CorrelationId, PolicyOutcome } from "@cellos-cortex/cortex-core";
import type { LlmErrorKind } from "@cellos-cortex/llm";

/**
 * The structured fields of a `runtime run` trace line (crtx-runtime's
 * `tracing` fields). Like `RunObservability`, identifiers and policy metadata
 * only: never the task, prompt, context pack or model text.
 */
export interface RunTraceFields {
  audit_schema_version: number;
  operation: string;
  correlation_id: CorrelationId;
  context_pack_id: string;
  adapter_id: string;
  model: string;
  status: "started" | "completed" | "failed";
  /** `failed`: always `adapter`. */
  error_kind?: "adapter";
  /** `failed`: the adapter's `LlmError` kind. */
  llm_error_kind?: LlmErrorKind;
  /** `completed`: the context pack's policy outcome. */
  context_policy_outcome?: PolicyOutcome;
  /** `completed`: hash of the adapter response. */
  response_hash?: string;
}

/** Where a run reports its progress (`console` fits). */
export interface RuntimeLogger {
  info(message: string, fields: RunTraceFields): void;
  warn(message: string, fields: RunTraceFields): void;
}

/** The default logger: says nothing. */
export const silentRuntimeLogger: RuntimeLogger = {
  info: () => undefined,
  warn: () => undefined,
};
