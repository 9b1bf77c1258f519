import { contextPackFromWire, effectiveClaimCeiling, compareClaimCeiling, requiredCeiling } from "@cellos-cortex/cortex-core";
import { StaticAdapter } from "@cellos-cortex/llm";
import { compileRuntimeClaim, createRun, executeRun, llmRequestFor } from "@cellos-cortex/runtime";
import { compare } from "./harness.js";

/**
 * Runtime overheads (no speed target in issue 9; the numbers are recorded):
 * - the claims engine's fail-closed input checks and decision, against calling
 *   cortex-core's lattice functions directly on already-valid inputs;
 * - `executeRun` (validation, prompt hash, unsealed event, claim, report)
 *   against the bare `StaticAdapter.complete` of the same request.
 */
export default async function (): Promise<void> {
  const signals = {
    runtimeMode: "signed_local_ledger",
    authorityClass: "observed",
    proofState: "partial",
    requestedCeiling: "authority_grade",
  } as const;
  const request = { claim: "ledger history is trusted", kind: "trusted_history", ...signals } as const;
  await compare({
    name: "compileRuntimeClaim vs cortex-core effectiveClaimCeiling + requiredCeiling",
    ours: () => compileRuntimeClaim(request),
    baseline: () => {
      const effective = effectiveClaimCeiling(signals);
      return compareClaimCeiling(effective.ceiling, requiredCeiling(request.kind)) >= 0;
    },
  });

  const task = "summarize the declared context for the operator";
  const pack = contextPackFromWire({
    context_pack_id: "ctx_01JCKX7Q4M8Z3R5T9V2W6Y0B1D",
    task,
    max_tokens: 1024,
    pack_mode: "external",
    redaction_policy: { policy_id: "external_default", policy_version: 1, content: "abstracted", raw_event_payloads: "excluded" },
    selected_refs: Array.from({ length: 12 }, (_, i) => ({
      ref_id: { kind: "memory", memory_id: `mem_01JCKX7Q4M8Z3R5T9V2W6Y0B${String(i).padStart(2, "0")}` },
      summary: `declared memory number ${i} with a short abstracted summary of what it says`,
    })),
    active_doctrine_ids: [],
    conflicts: [],
    exclusions: [],
    selection_audit: { included: [], excluded: [] },
  });
  const run = createRun({ task, pack });
  const adapter = new StaticAdapter(() => ({ text: "runtime response" }));
  const bare = new StaticAdapter(() => ({ text: "runtime response" }));
  const llmRequest = llmRequestFor(run);
  await compare({
    name: `executeRun (${llmRequest.messages[0]?.content.length ?? 0} B prompt) vs bare StaticAdapter.complete`,
    ours: async () => {
      await executeRun(run, adapter);
      adapter.calls.length = 0;
    },
    baseline: async () => {
      await bare.complete(llmRequest);
      bare.calls.length = 0;
    },
  });
}
