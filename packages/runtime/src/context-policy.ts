import type { ContextPack, PolicyOutcome } from "@cellos-cortex/cortex-core";

/**
 * The ADR 0026 policy outcome of a built context pack
 * (`ContextPack::policy_decision().final_outcome`, whose body is NOT FOUND
 * upstream). Decision (ADR 0025): a pack without conflicts is `allow`; a pack
 * that surfaces conflicts is `warn` — the conflicts are declared to the agent,
 * not hidden, so the pack is usable but flagged. Nothing here can reach
 * `quarantine` or `reject`: a pack that bad is refused when it is built.
 */
export function contextPolicyOutcome(pack: ContextPack): PolicyOutcome {
  return pack.conflicts.length > 0 ? "warn" : "allow";
}
