import { RuntimeModeSchema, minRuntimeMode, type ContextPack, type RuntimeMode } from "@cellos-cortex/cortex-core";
import { LlmError, promptHash, type LlmAdapter } from "@cellos-cortex/llm";
import { completeWithin } from "./adapter-call.js";
import { agentResponseEvent } from "./agent-response-event.js";
import { RUNTIME_RUN_OPERATION, RUNTIME_TRACE_SCHEMA_VERSION } from "./constants.js";
import { contextPolicyOutcome } from "./context-policy.js";
import { createRun, llmRequestFor, validateRun, type Run } from "./run.js";
import { compileRunClaim } from "./run-claim.js";
import { refreshObservability, type RunObservability, type RunReport } from "./run-report.js";
import { RuntimeError } from "./runtime-error.js";
import { silentRuntimeLogger, type RunTraceFields, type RuntimeLogger } from "./runtime-logger.js";

export interface ExecuteRunOptions {
  /** Aborting stops the run and the adapter call (`RuntimeError` `Adapter`, `LlmError` `Transport` with `aborted`). */
  signal?: AbortSignal;
  /** Receives the run's `started` / `completed` / `failed` trace lines. Default: silent. */
  logger?: RuntimeLogger;
  /** Clock for the event's `observed_at` (RFC 3339); default `new Date().toISOString()`. */
  now?: () => string;
}

/** What a completed run returns: the report and, separately, its observability record. */
export interface RunExecution {
  report: RunReport;
  /** The same record as `report.runObservability`: safe to log or ship anywhere. */
  observability: RunObservability;
}

/**
 * The mode that bounds a run: the weaker of the run's declared mode and the
 * adapter's own (ADR 0025). An adapter without a valid mode counts as
 * `unknown` (fail closed).
 */
export function effectiveRuntimeMode(run: Pick<Run, "runtimeMode">, adapter: Pick<LlmAdapter, "runtimeMode">): RuntimeMode {
  const adapterMode = RuntimeModeSchema.safeParse(adapter.runtimeMode);
  return minRuntimeMode(run.runtimeMode, adapterMode.success ? adapterMode.data : "unknown");
}

/**
 * Runs a fully configured run through an adapter (`run_configured`): checks
 * the run, sends `llmRequestFor(run)` with the caller's signal and the run's
 * `timeoutMs`, builds the unsealed agent response event and bounds the report
 * by `compileRunClaim`. Throws `RuntimeError`: `Validation` before anything is
 * sent, `Adapter` (wrapping the `LlmError`, kind kept) when the call fails,
 * times out or is aborted.
 */
export async function executeRun(run: Run, adapter: LlmAdapter, options: ExecuteRunOptions = {}): Promise<RunExecution> {
  const valid = validateRun(run);
  const logger = options.logger ?? silentRuntimeLogger;
  const adapterId = String(adapter.adapterId);
  const trace = (status: RunTraceFields["status"], model: string): RunTraceFields => ({
    audit_schema_version: RUNTIME_TRACE_SCHEMA_VERSION,
    operation: RUNTIME_RUN_OPERATION,
    correlation_id: valid.correlationId,
    context_pack_id: valid.pack.contextPackId,
    adapter_id: adapterId,
    model,
    status,
  });
  logger.info("runtime run", trace("started", valid.model));

  const request = llmRequestFor(valid);
  let response;
  let requestPromptHash: string;
  try {
    requestPromptHash = await promptHash(request);
    response = await completeWithin(adapter, request, valid.timeoutMs, options.signal);
  } catch (error) {
    const llmError =
      error instanceof LlmError
        ? error
        : new LlmError("Upstream", `runtime run failed: ${error instanceof Error ? error.message : String(error)}`, {
            adapterId,
            cause: error,
          });
    logger.warn("runtime run", { ...trace("failed", valid.model), error_kind: "adapter", llm_error_kind: llmError.kind });
    throw RuntimeError.adapter(llmError);
  }

  const runtimeMode = effectiveRuntimeMode(valid, adapter);
  const event = agentResponseEvent(valid, response, {
    adapterId,
    runtimeMode,
    ...(options.now === undefined ? {} : { observedAt: options.now() }),
  });
  const policyOutcome = contextPolicyOutcome(valid.pack);
  const claim = compileRunClaim(runtimeMode);
  logger.info("runtime run", {
    ...trace("completed", response.model),
    context_policy_outcome: policyOutcome,
    response_hash: response.rawHash,
  });

  const report = refreshObservability({
    correlationId: valid.correlationId,
    task: valid.task,
    contextPackId: valid.pack.contextPackId,
    adapterId,
    model: response.model,
    rawHash: response.rawHash,
    usage: response.usage,
    promptHash: requestPromptHash,
    runtimeMode: claim.runtimeMode,
    proofState: claim.proofState,
    claimCeiling: claim.effectiveCeiling,
    trustedRunHistory: false,
    downgradeReasons: claim.reasons,
    contextPolicyOutcome: policyOutcome,
    agentResponseEvent: event,
  });
  return { report, observability: report.runObservability };
}

/** Runs a task through an adapter with an already-built pack and every default (`cortex_runtime::run`). */
export async function runTask(task: string, adapter: LlmAdapter, pack: ContextPack, options: ExecuteRunOptions = {}): Promise<RunExecution> {
  return executeRun(createRun({ task, pack }), adapter, options);
}
