import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  authorityClassCeiling,
  claimProofStateCeiling,
  effectiveClaimCeiling,
  policyOutcomeCeiling,
  proofStateCeiling,
  requiredCeiling,
  runtimeModeCeiling,
  type ClaimCeilingInputs,
} from "./claim-ceiling.js";
import { CortexCoreError } from "./errors.js";
import {
  AUTHORITY_CLASSES,
  CLAIM_CEILINGS,
  CLAIM_PROOF_STATES,
  POLICY_OUTCOMES,
  RUNTIME_MODES,
  compareClaimCeiling,
  type ClaimCeiling,
  type RuntimeClaimKind,
} from "./lattice.js";

describe("per-input caps (ARCHITECTURE caps table)", () => {
  it("runtime mode", () => {
    expect(RUNTIME_MODES.map(runtimeModeCeiling)).toEqual([
      "dev_only",
      "dev_only",
      "dev_only",
      "local_unsigned",
      "signed_local_ledger",
      "externally_anchored",
      "authority_grade",
    ]);
  });

  it("authority class", () => {
    expect(AUTHORITY_CLASSES.map(authorityClassCeiling)).toEqual([
      "dev_only",
      "local_unsigned",
      "signed_local_ledger",
      "externally_anchored",
      "authority_grade",
    ]);
  });

  it("proof state (unknown is never treated as local authority, ADR 0037)", () => {
    expect(CLAIM_PROOF_STATES.map(claimProofStateCeiling)).toEqual([
      "dev_only",
      "dev_only",
      "signed_local_ledger",
      "authority_grade",
    ]);
    expect(proofStateCeiling("partial")).toBe("signed_local_ledger");
  });

  it("policy outcome", () => {
    expect(POLICY_OUTCOMES.map(policyOutcomeCeiling)).toEqual([
      "authority_grade",
      "authority_grade",
      "authority_grade",
      "dev_only",
      "dev_only",
    ]);
  });

  it("claim kind required ceiling", () => {
    const table: Record<RuntimeClaimKind, ClaimCeiling> = {
      diagnostic: "dev_only",
      advisory: "dev_only",
      trusted_history: "signed_local_ledger",
      export: "externally_anchored",
      promotion: "authority_grade",
      release_readiness: "authority_grade",
      compliance_evidence: "authority_grade",
      cross_system_trust: "authority_grade",
    };
    for (const [kind, ceiling] of Object.entries(table)) expect(requiredCeiling(kind as RuntimeClaimKind)).toBe(ceiling);
  });

  it("caps never map a stronger input to a weaker ceiling (each table is monotone)", () => {
    const monotone = (values: readonly string[], cap: (v: never) => ClaimCeiling) => {
      for (let i = 1; i < values.length; i++) {
        expect(compareClaimCeiling(cap(values[i - 1] as never), cap(values[i] as never))).toBeLessThanOrEqual(0);
      }
    };
    monotone(RUNTIME_MODES, runtimeModeCeiling);
    monotone(AUTHORITY_CLASSES, authorityClassCeiling);
    monotone(CLAIM_PROOF_STATES, claimProofStateCeiling);
  });

  it("rejects values outside the unions with InvalidLatticeValue", () => {
    expect(() => runtimeModeCeiling("prod" as never)).toThrow(CortexCoreError);
    expect(() => requiredCeiling("toString" as never)).toThrow(/is not a RuntimeClaimKind/);
  });
});

describe("effectiveClaimCeiling", () => {
  it("runtime seed: local unsigned, observed, partial proof, requested local unsigned → local_unsigned", () => {
    const result = effectiveClaimCeiling({
      runtimeMode: "local_unsigned",
      authorityClass: "observed",
      proofState: "partial",
      requestedCeiling: "local_unsigned",
    });
    expect(result.ceiling).toBe("local_unsigned");
    expect(result.reasons.some((reason) => reason.includes("proof state Partial"))).toBe(true);
  });

  it("words each reason with the Rust Debug form of the value and the snake_case cap", () => {
    const result = effectiveClaimCeiling({
      runtimeMode: "remote_unsigned",
      authorityClass: "observed",
      proofState: "partial",
      policyOutcome: "reject",
    });
    expect(result).toEqual({
      ceiling: "dev_only",
      reasons: [
        "runtime mode RemoteUnsigned caps claims at dev_only",
        "authority class Observed caps claims at signed_local_ledger",
        "proof state Partial caps claims at signed_local_ledger",
        "policy outcome Reject caps claims at dev_only",
      ],
    });
  });

  it("all-strong inputs give authority_grade and no reasons", () => {
    expect(
      effectiveClaimCeiling({
        runtimeMode: "authority_grade",
        authorityClass: "operator",
        proofState: "full_chain_verified",
        policyOutcome: "break_glass",
      }),
    ).toEqual({ ceiling: "authority_grade", reasons: [] });
  });

  it("requesting a low ceiling lowers the result even with strong evidence, and says so", () => {
    const result = effectiveClaimCeiling({
      runtimeMode: "authority_grade",
      authorityClass: "operator",
      proofState: "full_chain_verified",
      requestedCeiling: "signed_local_ledger",
    });
    expect(result).toEqual({
      ceiling: "signed_local_ledger",
      reasons: ["requested ceiling SignedLocalLedger caps claims at signed_local_ledger"],
    });
  });

  it("unknown proof state never yields more than dev_only", () => {
    const result = effectiveClaimCeiling({ runtimeMode: "authority_grade", authorityClass: "operator", proofState: "unknown" });
    expect(result.ceiling).toBe("dev_only");
    expect(result.reasons).toEqual(["proof state Unknown caps claims at dev_only"]);
  });

  it("quarantine and reject policies cap at dev_only; allow, warn, break_glass do not cap", () => {
    const base = { runtimeMode: "authority_grade", authorityClass: "operator", proofState: "full_chain_verified" } as const;
    expect(effectiveClaimCeiling({ ...base, policyOutcome: "quarantine" }).ceiling).toBe("dev_only");
    expect(effectiveClaimCeiling({ ...base, policyOutcome: "reject" }).ceiling).toBe("dev_only");
    for (const outcome of ["allow", "warn", "break_glass"] as const) {
      expect(effectiveClaimCeiling({ ...base, policyOutcome: outcome }).ceiling).toBe("authority_grade");
    }
  });

  it("trusted history needs signed_local_ledger on every axis", () => {
    const allowed = (inputs: ClaimCeilingInputs) =>
      compareClaimCeiling(effectiveClaimCeiling(inputs).ceiling, requiredCeiling("trusted_history")) >= 0;
    const strong = { runtimeMode: "signed_local_ledger", authorityClass: "observed", proofState: "partial" } as const;
    expect(allowed(strong)).toBe(true);
    for (const mode of ["unknown", "dev", "remote_unsigned", "local_unsigned"] as const) {
      expect(allowed({ ...strong, runtimeMode: mode })).toBe(false);
    }
    expect(allowed({ ...strong, authorityClass: "derived" })).toBe(false);
    expect(allowed({ ...strong, proofState: "broken" })).toBe(false);
  });

  it("rejects missing or unknown inputs with InvalidLatticeValue naming the field", () => {
    const bad = { runtimeMode: "prod", authorityClass: "observed", proofState: "partial" } as unknown as ClaimCeilingInputs;
    expect(() => effectiveClaimCeiling(bad)).toThrow(/runtimeMode/);
    try {
      effectiveClaimCeiling({} as ClaimCeilingInputs);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CortexCoreError);
      expect((error as CortexCoreError).kind).toBe("InvalidLatticeValue");
    }
  });

  const inputsArb = fc.record(
    {
      runtimeMode: fc.constantFrom(...RUNTIME_MODES),
      authorityClass: fc.constantFrom(...AUTHORITY_CLASSES),
      proofState: fc.constantFrom(...CLAIM_PROOF_STATES),
      policyOutcome: fc.constantFrom(...POLICY_OUTCOMES),
      requestedCeiling: fc.constantFrom(...CLAIM_CEILINGS),
    },
    { requiredKeys: ["runtimeMode", "authorityClass", "proofState"] },
  );

  function inputCaps(inputs: ClaimCeilingInputs): ClaimCeiling[] {
    const caps = [
      runtimeModeCeiling(inputs.runtimeMode),
      authorityClassCeiling(inputs.authorityClass),
      claimProofStateCeiling(inputs.proofState),
    ];
    if (inputs.policyOutcome !== undefined) caps.push(policyOutcomeCeiling(inputs.policyOutcome));
    if (inputs.requestedCeiling !== undefined) caps.push(inputs.requestedCeiling);
    return caps;
  }

  it("property: the effective ceiling never exceeds any single input's ceiling, and equals the lowest", () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const { ceiling } = effectiveClaimCeiling(inputs);
        const caps = inputCaps(inputs);
        for (const cap of caps) expect(compareClaimCeiling(ceiling, cap)).toBeLessThanOrEqual(0);
        expect(caps).toContain(ceiling);
      }),
      { numRuns: 300 },
    );
  });

  it("property: one reason per input capped below authority_grade", () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const { reasons } = effectiveClaimCeiling(inputs);
        expect(reasons).toHaveLength(inputCaps(inputs).filter((cap) => cap !== "authority_grade").length);
        for (const reason of reasons) expect(reason).toMatch(/^(runtime mode|authority class|proof state|policy outcome|requested ceiling) [A-Z][A-Za-z]* caps claims at [a-z_]+$/);
      }),
      { numRuns: 200 },
    );
  });

  it("property: raising any one input never lowers the result", () => {
    const orders = {
      runtimeMode: RUNTIME_MODES,
      authorityClass: AUTHORITY_CLASSES,
      proofState: CLAIM_PROOF_STATES,
      requestedCeiling: CLAIM_CEILINGS,
    } as const;
    // Policy outcomes are ordered by strictness: a *lower* outcome (towards allow) is the more permissive one.
    const fields = ["runtimeMode", "authorityClass", "proofState", "requestedCeiling", "policyOutcome"] as const;
    fc.assert(
      fc.property(inputsArb, fc.constantFrom(...fields), fc.nat(), (inputs, field, pick) => {
        const before = effectiveClaimCeiling(inputs).ceiling;
        const raised: ClaimCeilingInputs = { ...inputs };
        if (field === "policyOutcome") {
          // An absent policy caps nothing, like `allow`: there is nothing to raise.
          const current = inputs.policyOutcome;
          const index = current === undefined ? 0 : POLICY_OUTCOMES.indexOf(current);
          if (index === 0) return;
          raised.policyOutcome = POLICY_OUTCOMES[pick % index] ?? "allow";
        } else {
          const order = orders[field] as readonly string[];
          // An absent requested ceiling caps nothing, like `authority_grade`.
          const current = inputs[field];
          const index = current === undefined ? order.length - 1 : order.indexOf(current);
          if (index === order.length - 1) return;
          const next = order[index + 1 + (pick % (order.length - index - 1))];
          (raised as Record<string, unknown>)[field] = next;
        }
        const after = effectiveClaimCeiling(raised).ceiling;
        expect(compareClaimCeiling(after, before)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });
});
