import { CortexEventType, createCortexEvent, type CortexEvent, type JsonObject } from "@cellos-cortex/cortex-core";
import type { LlmResponse } from "@cellos-cortex/llm";
import { DEVELOPMENT_LEDGER_FORBIDDEN_USES } from "./development-ledger-use.js";
import type { Run } from "./run.js";

export interface AgentResponseEventOptions {
  /** Id of the adapter that answered, recorded as `adapter_id` (`null` when not given). */
  adapterId?: string;
  /** Runtime mode recorded on the event; defaults to the run's (`executeRun` passes the effective mode). */
  runtimeMode?: Run["runtimeMode"];
  /** `observed_at` / `recorded_at` (RFC 3339); defaults to now. */
  observedAt?: string;
}

/**
 * The run's agent response as a Cortex event, constructed but unsealed
 * (empty hashes, no previous hash): sealing is the ledger's job. Source
 * `child_agent` with the answering model, type `cortex.event.agent_response.v1`,
 * and a development-ledger payload that forbids `audit_export`,
 * `compliance_evidence`, `cross_system_trust_decision` and `external_reporting`
 * — plus `remote_unsigned` when the runtime mode is remote unsigned (ADR 0048
 * acceptance item 7), so a remote API answer is never promoted as
 * locally-verified evidence.
 */
export function agentResponseEvent(run: Run, response: LlmResponse, options: AgentResponseEventOptions = {}): CortexEvent {
  const runtimeMode = options.runtimeMode ?? run.runtimeMode;
  const forbiddenUses: string[] = [...DEVELOPMENT_LEDGER_FORBIDDEN_USES];
  if (runtimeMode === "remote_unsigned") forbiddenUses.push("remote_unsigned");

  const payload: JsonObject = {
    task: run.task,
    correlation_id: run.correlationId,
    context_pack_id: run.pack.contextPackId,
    adapter_id: options.adapterId ?? null,
    model: response.model,
    text: response.text,
    parsed_json: response.parsedJson ?? null,
    raw_hash: response.rawHash,
    usage: { prompt_tokens: response.usage.inputTokens, completion_tokens: response.usage.outputTokens },
    runtime_mode: runtimeMode,
    ledger_authority: "development",
    signed_ledger_authority: false,
    trusted_run_history: false,
    forbidden_uses: forbiddenUses,
  };

  return createCortexEvent({
    eventType: CortexEventType.agentResponse,
    source: { type: "child_agent", model: response.model },
    payload,
    sessionId: run.sessionId,
    domainTags: [...run.domainTags],
    ...(options.observedAt === undefined ? {} : { observedAt: options.observedAt }),
  });
}
