import { RuntimeModeSchema, runtimeModeCeiling, type RuntimeMode } from "@cellos-cortex/cortex-core";
import { RUN_CLAIM_TEXT } from "./constants.js";
import type { Run } from "./run.js";
import { compileRuntimeClaim, type CompiledRuntimeClaim } from "./runtime-claim.js";

/**
 * The claim every run report is bounded by: "development ledger run output",
 * kind advisory, authority class observed, proof state partial, requesting
 * the run's runtime mode ceiling. Its effective ceiling and downgrade reasons
 * become the report's `claimCeiling` and `downgradeReasons` (there is always a
 * `proof state Partial caps …` reason). A mode that is not a lattice value is
 * compiled as `unknown` (fail closed).
 */
export function compileRunClaim(run: Pick<Run, "runtimeMode"> | RuntimeMode): CompiledRuntimeClaim {
  const runtimeMode = typeof run === "string" ? run : run.runtimeMode;
  const known = RuntimeModeSchema.safeParse(runtimeMode);
  return compileRuntimeClaim({
    claim: RUN_CLAIM_TEXT,
    kind: "advisory",
    runtimeMode,
    authorityClass: "observed",
    proofState: "partial",
    requestedCeiling: known.success ? runtimeModeCeiling(known.data) : "dev_only",
  });
}
