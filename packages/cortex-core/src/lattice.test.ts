import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CortexCoreError } from "./errors.js";
import {
  AUTHORITY_CLASSES,
  CLAIM_CEILINGS,
  CLAIM_PROOF_STATES,
  POLICY_OUTCOMES,
  RUNTIME_CLAIM_KINDS,
  RUNTIME_MODES,
  AuthorityClassSchema,
  ClaimCeilingSchema,
  RuntimeModeSchema,
  compareAuthorityClass,
  compareClaimCeiling,
  compareClaimProofState,
  comparePolicyOutcome,
  compareRuntimeClaimKind,
  compareRuntimeMode,
  debugName,
  maxClaimCeiling,
  maxPolicyOutcome,
  minAuthorityClass,
  minClaimCeiling,
  minClaimProofState,
  minPolicyOutcome,
  minRuntimeClaimKind,
  minRuntimeMode,
  type ClaimCeiling,
} from "./lattice.js";

describe("lattice orders", () => {
  it("lists the wire values in upstream declaration order", () => {
    expect(RUNTIME_MODES).toEqual([
      "unknown",
      "dev",
      "remote_unsigned",
      "local_unsigned",
      "signed_local_ledger",
      "externally_anchored",
      "authority_grade",
    ]);
    expect(CLAIM_CEILINGS).toEqual(["dev_only", "local_unsigned", "signed_local_ledger", "externally_anchored", "authority_grade"]);
    expect(AUTHORITY_CLASSES).toEqual(["untrusted", "derived", "observed", "verified", "operator"]);
    expect(CLAIM_PROOF_STATES).toEqual(["unknown", "broken", "partial", "full_chain_verified"]);
    expect(POLICY_OUTCOMES).toEqual(["allow", "warn", "break_glass", "quarantine", "reject"]);
    expect(RUNTIME_CLAIM_KINDS).toEqual([
      "diagnostic",
      "advisory",
      "trusted_history",
      "export",
      "promotion",
      "release_readiness",
      "compliance_evidence",
      "cross_system_trust",
    ]);
  });

  const cases = [
    ["RuntimeMode", RUNTIME_MODES, compareRuntimeMode],
    ["ClaimCeiling", CLAIM_CEILINGS, compareClaimCeiling],
    ["AuthorityClass", AUTHORITY_CLASSES, compareAuthorityClass],
    ["ClaimProofState", CLAIM_PROOF_STATES, compareClaimProofState],
    ["PolicyOutcome", POLICY_OUTCOMES, comparePolicyOutcome],
    ["RuntimeClaimKind", RUNTIME_CLAIM_KINDS, compareRuntimeClaimKind],
  ] as const;

  for (const [name, order, compare] of cases) {
    it(`compare${name} is negative, zero, positive in declaration order`, () => {
      const cmp = compare as (a: string, b: string) => number;
      for (let i = 0; i < order.length; i++) {
        for (let j = 0; j < order.length; j++) {
          expect(Math.sign(cmp(order[i] as string, order[j] as string))).toBe(Math.sign(i - j));
        }
      }
      expect(() => cmp("nope", order[0] as string)).toThrow(CortexCoreError);
    });
  }

  it("remote unsigned sits strictly below local unsigned", () => {
    expect(compareRuntimeMode("remote_unsigned", "local_unsigned")).toBeLessThan(0);
  });

  it("min helpers return the lowest value (Rust weakest)", () => {
    expect(minRuntimeMode("authority_grade", "remote_unsigned", "local_unsigned")).toBe("remote_unsigned");
    expect(minClaimCeiling("authority_grade", "signed_local_ledger")).toBe("signed_local_ledger");
    expect(minAuthorityClass("operator", "derived", "observed")).toBe("derived");
    expect(minClaimProofState("full_chain_verified", "partial")).toBe("partial");
    expect(minPolicyOutcome("reject", "warn")).toBe("warn");
    expect(minRuntimeClaimKind("export", "advisory")).toBe("advisory");
    expect(minClaimCeiling()).toBeUndefined();
    expect(maxClaimCeiling("dev_only", "externally_anchored")).toBe("externally_anchored");
    expect(maxPolicyOutcome("allow", "quarantine", "warn")).toBe("quarantine");
  });

  it("min helpers reject values outside the union", () => {
    expect(() => minClaimCeiling("dev_only", "gold" as ClaimCeiling)).toThrow(/"gold" is not a ClaimCeiling/);
  });

  it("min is the greatest lower bound: below every argument and equal to one of them", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CLAIM_CEILINGS), { minLength: 1, maxLength: 8 }), (values) => {
        const m: ClaimCeiling | undefined = minClaimCeiling(...values);
        if (m === undefined) throw new Error("min of a non-empty list is defined");
        expect(values).toContain(m);
        for (const v of values) expect(compareClaimCeiling(m, v)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it("zod schemas accept exactly the wire values", () => {
    expect(RuntimeModeSchema.safeParse("remote_unsigned").success).toBe(true);
    expect(RuntimeModeSchema.safeParse("RemoteUnsigned").success).toBe(false);
    expect(ClaimCeilingSchema.safeParse("dev_only").success).toBe(true);
    expect(AuthorityClassSchema.safeParse("root").success).toBe(false);
  });

  it("debugName gives the Rust Debug spelling", () => {
    expect(debugName("remote_unsigned")).toBe("RemoteUnsigned");
    expect(debugName("full_chain_verified")).toBe("FullChainVerified");
    expect(debugName("partial")).toBe("Partial");
  });
});
