import { RUNTIME_MODES } from "@cellos-cortex/cortex-core";
import { describe, expect, it } from "vitest";
import { packFor } from "./__fixtures__/context-packs.js";
import { compileRunClaim } from "./run-claim.js";
import { createRun } from "./run.js";

describe("compileRunClaim", () => {
  it("is the advisory 'development ledger run output' claim, observed and partially proven, bounded by the run's mode", () => {
    const claim = compileRunClaim(createRun({ task: "t", pack: packFor("t") }));
    expect(claim).toEqual({
      claim: "development ledger run output",
      kind: "advisory",
      runtimeMode: "local_unsigned",
      authorityClass: "observed",
      proofState: "partial",
      requestedCeiling: "local_unsigned",
      effectiveCeiling: "local_unsigned",
      requiredCeiling: "dev_only",
      allowed: true,
      reasons: [
        "runtime mode LocalUnsigned caps claims at local_unsigned",
        "authority class Observed caps claims at signed_local_ledger",
        "proof state Partial caps claims at signed_local_ledger",
        "requested ceiling LocalUnsigned caps claims at local_unsigned",
      ],
    });
  });

  it("gives every runtime mode its ceiling, capped by proof state partial, with a proof state Partial reason", () => {
    const expected = {
      unknown: "dev_only",
      dev: "dev_only",
      remote_unsigned: "dev_only",
      local_unsigned: "local_unsigned",
      signed_local_ledger: "signed_local_ledger",
      externally_anchored: "signed_local_ledger",
      authority_grade: "signed_local_ledger",
    } as const;
    for (const mode of RUNTIME_MODES) {
      const claim = compileRunClaim(mode);
      expect(claim.effectiveCeiling, mode).toBe(expected[mode]);
      expect(claim.allowed).toBe(true);
      expect(claim.reasons.some((reason) => reason.includes("proof state Partial"))).toBe(true);
    }
  });

  it("compiles an unrecognized mode as unknown (fail closed)", () => {
    const claim = compileRunClaim("turbo" as never);
    expect(claim.runtimeMode).toBe("unknown");
    expect(claim.effectiveCeiling).toBe("dev_only");
    expect(claim.reasons[0]).toBe('unrecognized runtime mode "turbo" treated as Unknown (fail closed)');
  });
});
