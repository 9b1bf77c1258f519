import {
  ClaimCeilingSchema,
  CortexEventSchema,
  ClaimProofStateSchema,
  CorrelationIdSchema,
  PolicyOutcomeSchema,
  PrefixedIdSchema,
  RuntimeModeSchema,
  cortexEventFromWire,
  cortexEventToWire,
  type CortexEvent,
  type CortexEventWire,
} from "@cellos-cortex/cortex-core";
import { TokenUsageSchema } from "@cellos-cortex/llm";
import { z } from "zod";
import { RUNTIME_RUN_OPERATION, RUNTIME_TRACE_SCHEMA_VERSION } from "./constants.js";
import { describeValue } from "./describe-value.js";
import { RuntimeError } from "./runtime-error.js";

/** Status of a runtime observability record: the adapter call completed and produced a report. */
export const RunTraceStatusSchema = z.enum(["completed"]);
export type RunTraceStatus = z.infer<typeof RunTraceStatusSchema>;

/**
 * The minimal structured observability record of a run: identifiers and
 * policy/proof metadata only (13 fields). It must never carry the task, the
 * system prompt or messages, the prompt hash, the raw context pack, selected
 * refs, raw event payloads or the model's text.
 */
export const RunObservabilitySchema = z.strictObject({
  auditSchemaVersion: z.literal(RUNTIME_TRACE_SCHEMA_VERSION),
  operation: z.literal(RUNTIME_RUN_OPERATION),
  status: RunTraceStatusSchema,
  correlationId: CorrelationIdSchema,
  contextPackId: PrefixedIdSchema,
  adapterId: z.string(),
  model: z.string(),
  runtimeMode: RuntimeModeSchema,
  proofState: ClaimProofStateSchema,
  claimCeiling: ClaimCeilingSchema,
  trustedRunHistory: z.boolean(),
  contextPolicyOutcome: PolicyOutcomeSchema,
  /** BLAKE3 of the adapter's raw response, never the response itself. */
  responseHash: z.string(),
});
export type RunObservability = z.infer<typeof RunObservabilitySchema>;

/** The non-throwing result of a run (16 fields). */
export const RunReportSchema = z.strictObject({
  correlationId: CorrelationIdSchema,
  task: z.string(),
  contextPackId: PrefixedIdSchema,
  runObservability: RunObservabilitySchema,
  adapterId: z.string(),
  /** Model echoed by the adapter response. */
  model: z.string(),
  /** Hash of the raw adapter response. */
  rawHash: z.string(),
  usage: TokenUsageSchema,
  /** Stable prompt hash of the request sent to the adapter. */
  promptHash: z.string(),
  runtimeMode: RuntimeModeSchema,
  proofState: ClaimProofStateSchema,
  /** Effective claim ceiling of the report. */
  claimCeiling: ClaimCeilingSchema,
  /** Whether the report has verified signed-local trusted run-history authority (never, for a development run). */
  trustedRunHistory: z.boolean(),
  /** Why stronger claims are unavailable. */
  downgradeReasons: z.array(z.string()),
  /** ADR 0026 policy outcome of the context pack used by the run. */
  contextPolicyOutcome: PolicyOutcomeSchema,
  /** The constructed, unsealed agent response event (sealing is the ledger's job). */
  agentResponseEvent: z.custom<CortexEvent>((value) => CortexEventSchema.safeParse(value).success, {
    error: "agentResponseEvent is not a valid Cortex event",
  }),
});
export type RunReport = z.infer<typeof RunReportSchema>;

/** The observability record of a report (`RunObservability::completed`). */
export function runObservabilityFor(report: Omit<RunReport, "runObservability">): RunObservability {
  return {
    auditSchemaVersion: RUNTIME_TRACE_SCHEMA_VERSION,
    operation: RUNTIME_RUN_OPERATION,
    status: "completed",
    correlationId: report.correlationId,
    contextPackId: report.contextPackId,
    adapterId: report.adapterId,
    model: report.model,
    runtimeMode: report.runtimeMode,
    proofState: report.proofState,
    claimCeiling: report.claimCeiling,
    trustedRunHistory: report.trustedRunHistory,
    contextPolicyOutcome: report.contextPolicyOutcome,
    responseHash: report.rawHash,
  };
}

/**
 * The report with its observability record (re)built from its other fields,
 * e.g. after authority metadata changed (`refresh_observability`).
 */
export function refreshObservability(report: Omit<RunReport, "runObservability">): RunReport {
  return { ...report, runObservability: runObservabilityFor(report) };
}

/** snake_case wire form of `RunObservability` (crtx-runtime's serde field names). */
export interface RunObservabilityWire {
  audit_schema_version: number;
  operation: string;
  status: RunTraceStatus;
  correlation_id: string;
  context_pack_id: string;
  adapter_id: string;
  model: string;
  runtime_mode: string;
  proof_state: string;
  claim_ceiling: string;
  trusted_run_history: boolean;
  context_policy_outcome: string;
  response_hash: string;
}

export function runObservabilityToWire(record: RunObservability): RunObservabilityWire {
  return {
    audit_schema_version: record.auditSchemaVersion,
    operation: record.operation,
    status: record.status,
    correlation_id: record.correlationId,
    context_pack_id: record.contextPackId,
    adapter_id: record.adapterId,
    model: record.model,
    runtime_mode: record.runtimeMode,
    proof_state: record.proofState,
    claim_ceiling: record.claimCeiling,
    trusted_run_history: record.trustedRunHistory,
    context_policy_outcome: record.contextPolicyOutcome,
    response_hash: record.responseHash,
  };
}

function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw RuntimeError.validation(`${what} must be a JSON object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`);
    throw RuntimeError.validation(`invalid ${what}: ${problems.join("; ")}`, parsed.error);
  }
  return parsed.data;
}

const OBSERVABILITY_WIRE_KEYS: ReadonlySet<string> = new Set<keyof RunObservabilityWire>([
  "audit_schema_version",
  "operation",
  "status",
  "correlation_id",
  "context_pack_id",
  "adapter_id",
  "model",
  "runtime_mode",
  "proof_state",
  "claim_ceiling",
  "trusted_run_history",
  "context_policy_outcome",
  "response_hash",
]);

/** Reads a wire-form observability record; throws `RuntimeError` (`Validation`) listing every problem. */
export function runObservabilityFromWire(json: unknown): RunObservability {
  const wire = expectObject(json, "run observability record");
  const unknownKeys = Object.keys(wire).filter((key) => !OBSERVABILITY_WIRE_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw RuntimeError.validation(`invalid run observability record: unexpected fields ${unknownKeys.join(", ")}`);
  }
  return parseWith(
    RunObservabilitySchema,
    {
      auditSchemaVersion: wire.audit_schema_version,
      operation: wire.operation,
      status: wire.status,
      correlationId: wire.correlation_id,
      contextPackId: wire.context_pack_id,
      adapterId: wire.adapter_id,
      model: wire.model,
      runtimeMode: wire.runtime_mode,
      proofState: wire.proof_state,
      claimCeiling: wire.claim_ceiling,
      trustedRunHistory: wire.trusted_run_history,
      contextPolicyOutcome: wire.context_policy_outcome,
      responseHash: wire.response_hash,
    },
    "run observability record",
  );
}


/** snake_case wire form of `RunReport`; the event in its Cortex wire form. */
export interface RunReportWire {
  correlation_id: string;
  task: string;
  context_pack_id: string;
  run_observability: RunObservabilityWire;
  adapter_id: string;
  model: string;
  raw_hash: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  prompt_hash: string;
  runtime_mode: string;
  proof_state: string;
  claim_ceiling: string;
  trusted_run_history: boolean;
  downgrade_reasons: string[];
  context_policy_outcome: string;
  agent_response_event: CortexEventWire;
}

export function runReportToWire(report: RunReport): RunReportWire {
  return {
    correlation_id: report.correlationId,
    task: report.task,
    context_pack_id: report.contextPackId,
    run_observability: runObservabilityToWire(report.runObservability),
    adapter_id: report.adapterId,
    model: report.model,
    raw_hash: report.rawHash,
    usage: { prompt_tokens: report.usage.inputTokens, completion_tokens: report.usage.outputTokens },
    prompt_hash: report.promptHash,
    runtime_mode: report.runtimeMode,
    proof_state: report.proofState,
    claim_ceiling: report.claimCeiling,
    trusted_run_history: report.trustedRunHistory,
    downgrade_reasons: report.downgradeReasons,
    context_policy_outcome: report.contextPolicyOutcome,
    agent_response_event: cortexEventToWire(report.agentResponseEvent),
  };
}

/** Reads a wire-form run report; throws `RuntimeError` (`Validation`) listing every problem. */
export function runReportFromWire(json: unknown): RunReport {
  const wire = expectObject(json, "run report");
  const usage = expectObject(wire.usage, "run report usage");
  let agentResponseEvent: CortexEvent;
  try {
    agentResponseEvent = cortexEventFromWire(wire.agent_response_event);
  } catch (error) {
    throw RuntimeError.validation(`invalid run report agent_response_event: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  return parseWith(
    RunReportSchema,
    {
      correlationId: wire.correlation_id,
      task: wire.task,
      contextPackId: wire.context_pack_id,
      runObservability: runObservabilityFromWire(wire.run_observability),
      adapterId: wire.adapter_id,
      model: wire.model,
      rawHash: wire.raw_hash,
      usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens },
      promptHash: wire.prompt_hash,
      runtimeMode: wire.runtime_mode,
      proofState: wire.proof_state,
      claimCeiling: wire.claim_ceiling,
      trustedRunHistory: wire.trusted_run_history,
      downgradeReasons: wire.downgrade_reasons,
      contextPolicyOutcome: wire.context_policy_outcome,
      agentResponseEvent,
    },
    "run report",
  );
}
