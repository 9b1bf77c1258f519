import {
  AUTHORITY_CLASSES,
  CLAIM_CEILINGS,
  CLAIM_PROOF_STATES,
  POLICY_OUTCOMES,
  RUNTIME_CLAIM_KINDS,
  RUNTIME_MODES,
  compareRuntimeMode,
  type AuthorityClass,
  type ClaimCeiling,
  type ClaimProofState,
  type PolicyOutcome,
  type RuntimeClaimKind,
  type RuntimeMode,
} from "@cellos-cortex/cortex-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileRuntimeClaim,
  requireRuntimeClaim,
  requireRuntimeClaimWithPolicy,
  runtimeClaimPreflight,
  runtimeClaimPreflightWithPolicy,
  type RuntimeClaimPreflight,
  type RuntimeClaimRequest,
} from "./runtime-claim.js";
import { RuntimeError } from "./runtime-error.js";

/*
 * An independent oracle: the caps table of ARCHITECTURE.md ("Pinned details →
 * cortex-core") written out again, so these tests check the engine against the
 * contract rather than against itself. The lattices are small, so every
 * combination is enumerated (7 modes × 5 classes × 4 proof states × 5
 * requested ceilings × 8 kinds = 5 600; × 5 policy outcomes = 28 000).
 */
const RANK: Record<ClaimCeiling, number> = {
  dev_only: 0,
  local_unsigned: 1,
  signed_local_ledger: 2,
  externally_anchored: 3,
  authority_grade: 4,
};
const MODE_CAP: Record<RuntimeMode, ClaimCeiling> = {
  unknown: "dev_only",
  dev: "dev_only",
  remote_unsigned: "dev_only",
  local_unsigned: "local_unsigned",
  signed_local_ledger: "signed_local_ledger",
  externally_anchored: "externally_anchored",
  authority_grade: "authority_grade",
};
const CLASS_CAP: Record<AuthorityClass, ClaimCeiling> = {
  untrusted: "dev_only",
  derived: "local_unsigned",
  observed: "signed_local_ledger",
  verified: "externally_anchored",
  operator: "authority_grade",
};
const PROOF_CAP: Record<ClaimProofState, ClaimCeiling> = {
  unknown: "dev_only",
  broken: "dev_only",
  partial: "signed_local_ledger",
  full_chain_verified: "authority_grade",
};
const POLICY_CAP: Record<PolicyOutcome, ClaimCeiling> = {
  allow: "authority_grade",
  warn: "authority_grade",
  break_glass: "authority_grade",
  quarantine: "dev_only",
  reject: "dev_only",
};
const REQUIRED: Record<RuntimeClaimKind, ClaimCeiling> = {
  diagnostic: "dev_only",
  advisory: "dev_only",
  trusted_history: "signed_local_ledger",
  export: "externally_anchored",
  promotion: "authority_grade",
  release_readiness: "authority_grade",
  compliance_evidence: "authority_grade",
  cross_system_trust: "authority_grade",
};

const weakest = (...ceilings: ClaimCeiling[]): ClaimCeiling =>
  ceilings.reduce((a, b) => (RANK[b] < RANK[a] ? b : a), "authority_grade");
const atLeast = (ceiling: ClaimCeiling, floor: ClaimCeiling): boolean => RANK[ceiling] >= RANK[floor];

function* everyRequest(): Generator<RuntimeClaimRequest> {
  for (const runtimeMode of RUNTIME_MODES)
    for (const authorityClass of AUTHORITY_CLASSES)
      for (const proofState of CLAIM_PROOF_STATES)
        for (const requestedCeiling of CLAIM_CEILINGS)
          for (const kind of RUNTIME_CLAIM_KINDS)
            yield { claim: `${kind} claim`, kind, runtimeMode, authorityClass, proofState, requestedCeiling };
}

const allRequests = [...everyRequest()];
const signalCeiling = (r: RuntimeClaimRequest): ClaimCeiling =>
  weakest(MODE_CAP[r.runtimeMode], CLASS_CAP[r.authorityClass], PROOF_CAP[r.proofState]);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("compileRuntimeClaim over every lattice combination", () => {
  it("enumerates all 5 600 combinations", () => {
    expect(allRequests).toHaveLength(7 * 5 * 4 * 5 * 8);
  });

  it("computes the weakest-link ceiling, the kind's required ceiling and effective ≥ required", () => {
    for (const request of allRequests) {
      const compiled = compileRuntimeClaim(request);
      const expected = weakest(signalCeiling(request), request.requestedCeiling);
      expect(compiled.effectiveCeiling).toBe(expected);
      expect(compiled.requiredCeiling).toBe(REQUIRED[request.kind]);
      expect(compiled.allowed).toBe(atLeast(expected, REQUIRED[request.kind]));
      expect(compiled).toMatchObject(request);
    }
  });

  it("gives one downgrade reason per capping input and, when denied, one more naming required vs effective", () => {
    for (const request of allRequests) {
      const compiled = compileRuntimeClaim(request);
      const capping = [
        MODE_CAP[request.runtimeMode],
        CLASS_CAP[request.authorityClass],
        PROOF_CAP[request.proofState],
        request.requestedCeiling,
      ].filter((cap) => cap !== "authority_grade").length;
      expect(compiled.reasons).toHaveLength(capping + (compiled.allowed ? 0 : 1));
      if (!compiled.allowed) {
        const last = compiled.reasons.at(-1) ?? "";
        expect(last).toContain(`requires ${compiled.requiredCeiling}`);
        expect(last).toContain(`effective ceiling is ${compiled.effectiveCeiling}`);
      }
    }
  });

  it("words downgrade reasons with the Rust Debug form of the capping value", () => {
    const compiled = compileRuntimeClaim({
      claim: "c",
      kind: "trusted_history",
      runtimeMode: "remote_unsigned",
      authorityClass: "observed",
      proofState: "partial",
      requestedCeiling: "authority_grade",
    });
    expect(compiled.reasons).toEqual([
      "runtime mode RemoteUnsigned caps claims at dev_only",
      "authority class Observed caps claims at signed_local_ledger",
      "proof state Partial caps claims at signed_local_ledger",
      "claim kind TrustedHistory requires signed_local_ledger but the effective ceiling is dev_only",
    ]);
  });
});

describe("claims behaviours 1–8 (cortex-crates.md §8.5), every combination", () => {
  it("behaviour 1: diagnostic and advisory claims are allowed under any mode, class, proof state and requested ceiling", () => {
    let checked = 0;
    for (const request of allRequests) {
      if (request.kind !== "diagnostic" && request.kind !== "advisory") continue;
      const compiled = compileRuntimeClaim(request);
      expect(compiled.requiredCeiling).toBe("dev_only");
      expect(compiled.allowed).toBe(true);
      checked++;
    }
    expect(checked).toBe(7 * 5 * 4 * 5 * 2);
  });

  it("behaviour 2: trusted history is denied under dev, unknown, remote_unsigned and local_unsigned modes, and allowed exactly when every input reaches signed_local_ledger", () => {
    const weakModes = new Set<RuntimeMode>(["unknown", "dev", "remote_unsigned", "local_unsigned"]);
    for (const request of allRequests) {
      if (request.kind !== "trusted_history") continue;
      const compiled = compileRuntimeClaim(request);
      if (weakModes.has(request.runtimeMode)) expect(compiled.allowed).toBe(false);
      const everyAxis = [
        MODE_CAP[request.runtimeMode],
        CLASS_CAP[request.authorityClass],
        PROOF_CAP[request.proofState],
        request.requestedCeiling,
      ].every((cap) => atLeast(cap, "signed_local_ledger"));
      expect(compiled.allowed).toBe(everyAxis);
    }
  });

  it("behaviour 3: export needs externally_anchored on every axis; promotion, release readiness, compliance evidence and cross-system trust need authority_grade", () => {
    for (const request of allRequests) {
      const needed: ClaimCeiling | undefined =
        request.kind === "export"
          ? "externally_anchored"
          : ["promotion", "release_readiness", "compliance_evidence", "cross_system_trust"].includes(request.kind)
            ? "authority_grade"
            : undefined;
      if (needed === undefined) continue;
      const everyAxis = [
        MODE_CAP[request.runtimeMode],
        CLASS_CAP[request.authorityClass],
        PROOF_CAP[request.proofState],
        request.requestedCeiling,
      ].every((cap) => atLeast(cap, needed));
      expect(compileRuntimeClaim(request).allowed).toBe(everyAxis);
    }
  });

  it("behaviour 4: an unknown proof state never yields more than dev_only and blocks every non-diagnostic kind", () => {
    for (const request of allRequests) {
      if (request.proofState !== "unknown") continue;
      const compiled = compileRuntimeClaim(request);
      expect(compiled.effectiveCeiling).toBe("dev_only");
      expect(compiled.allowed).toBe(request.kind === "diagnostic" || request.kind === "advisory");
      expect(compiled.reasons).toContain("proof state Unknown caps claims at dev_only");
    }
  });

  it("behaviour 5: remote_unsigned is strictly weaker than local_unsigned", () => {
    expect(compareRuntimeMode("remote_unsigned", "local_unsigned")).toBeLessThan(0);
    let strictlyLower = 0;
    for (const request of allRequests) {
      if (request.runtimeMode !== "local_unsigned") continue;
      const local = compileRuntimeClaim(request);
      const remote = compileRuntimeClaim({ ...request, runtimeMode: "remote_unsigned" });
      expect(RANK[remote.effectiveCeiling]).toBeLessThanOrEqual(RANK[local.effectiveCeiling]);
      if (remote.allowed) expect(local.allowed).toBe(true);
      if (RANK[remote.effectiveCeiling] < RANK[local.effectiveCeiling]) strictlyLower++;
    }
    // Whenever the other inputs leave room above dev_only, remote is strictly lower.
    expect(strictlyLower).toBeGreaterThan(0);
    const strong = compileRuntimeClaim({
      claim: "c",
      kind: "diagnostic",
      runtimeMode: "local_unsigned",
      authorityClass: "operator",
      proofState: "full_chain_verified",
      requestedCeiling: "authority_grade",
    });
    const weak = compileRuntimeClaim({ ...strong, runtimeMode: "remote_unsigned" });
    expect([strong.effectiveCeiling, weak.effectiveCeiling]).toEqual(["local_unsigned", "dev_only"]);
  });

  it("behaviour 6: a low requested ceiling lowers the effective ceiling even with strong evidence; a high one never raises it above the weakest signal", () => {
    for (const request of allRequests) {
      const compiled = compileRuntimeClaim(request);
      expect(RANK[compiled.effectiveCeiling]).toBeLessThanOrEqual(RANK[request.requestedCeiling]);
      expect(RANK[compiled.effectiveCeiling]).toBeLessThanOrEqual(RANK[signalCeiling(request)]);
      if (request.requestedCeiling === "authority_grade") expect(compiled.effectiveCeiling).toBe(signalCeiling(request));
    }
    for (const requestedCeiling of CLAIM_CEILINGS) {
      const strongest = compileRuntimeClaim({
        claim: "c",
        kind: "diagnostic",
        runtimeMode: "authority_grade",
        authorityClass: "operator",
        proofState: "full_chain_verified",
        requestedCeiling,
      });
      expect(strongest.effectiveCeiling).toBe(requestedCeiling);
    }
  });

  it("behaviour 7: with policy, quarantine and reject cap at dev_only; allow, warn and break_glass do not cap", () => {
    // 28 000 preflights: mismatches are collected and asserted once, to keep the suite fast.
    const mismatches: string[] = [];
    for (const request of allRequests) {
      const without = compileRuntimeClaim(request);
      for (const policyOutcome of POLICY_OUTCOMES) {
        const withPolicy = runtimeClaimPreflightWithPolicy({ ...request, policyOutcome });
        const blocking = policyOutcome === "quarantine" || policyOutcome === "reject";
        const expectedCeiling = blocking ? "dev_only" : without.effectiveCeiling;
        const expectedAllowed = blocking ? request.kind === "diagnostic" || request.kind === "advisory" : without.allowed;
        const policyReason = withPolicy.reasons.some((reason) => reason.startsWith("policy outcome "));
        if (
          withPolicy.policyOutcome !== policyOutcome ||
          withPolicy.effectiveCeiling !== expectedCeiling ||
          withPolicy.allowed !== expectedAllowed ||
          policyReason !== blocking ||
          (!blocking && POLICY_CAP[policyOutcome] !== "authority_grade")
        ) {
          mismatches.push(`${JSON.stringify({ ...request, policyOutcome })} → ${withPolicy.effectiveCeiling}/${withPolicy.allowed}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("behaviour 8: require throws exactly when the corresponding preflight is not allowed, carrying that preflight", () => {
    const mismatches: string[] = [];
    const check = (preflight: RuntimeClaimPreflight, require: () => RuntimeClaimPreflight): void => {
      const error = thrown(require);
      const ok = preflight.allowed
        ? error === undefined && JSON.stringify(require()) === JSON.stringify(preflight)
        : error instanceof RuntimeError &&
          error.kind === "ClaimDenied" &&
          JSON.stringify(error.preflight) === JSON.stringify(preflight) &&
          error.message === `runtime claim denied: ${preflight.message}`;
      if (!ok) mismatches.push(`${preflight.message} (policy ${preflight.policyOutcome ?? "none"})`);
    };
    for (const request of allRequests) {
      check(runtimeClaimPreflight(request), () => requireRuntimeClaim(request));
      for (const policyOutcome of POLICY_OUTCOMES) {
        const withPolicy = { ...request, policyOutcome };
        check(runtimeClaimPreflightWithPolicy(withPolicy), () => requireRuntimeClaimWithPolicy(withPolicy));
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("preflight", () => {
  it("wraps the compiled claim with a null policy and an operator message", () => {
    const request: RuntimeClaimRequest = {
      claim: "ledger history is trusted",
      kind: "trusted_history",
      runtimeMode: "signed_local_ledger",
      authorityClass: "observed",
      proofState: "partial",
      requestedCeiling: "authority_grade",
    };
    const allowed = runtimeClaimPreflight(request);
    expect(allowed).toMatchObject({ ...compileRuntimeClaim(request), policyOutcome: null, allowed: true });
    expect(allowed.message).toBe(
      'runtime claim "ledger history is trusted" (trusted_history) allowed: effective ceiling signed_local_ledger meets required signed_local_ledger',
    );
    const denied = runtimeClaimPreflight({ ...request, runtimeMode: "local_unsigned" });
    expect(denied.allowed).toBe(false);
    expect(denied.message).toContain("denied: requires signed_local_ledger, effective ceiling is local_unsigned");
    expect(denied.message).toContain("runtime mode LocalUnsigned caps claims at local_unsigned");
  });
});

describe("fail closed", () => {
  const junk = fc.oneof(
    fc.string().filter((s) => ![...RUNTIME_MODES, ...CLAIM_PROOF_STATES, ...AUTHORITY_CLASSES, ...CLAIM_CEILINGS, ...POLICY_OUTCOMES].includes(s as never)),
    fc.constantFrom(undefined, null, 0, 1, true, {}, [], "Unknown", "LOCAL_UNSIGNED", "authority_grade "),
  );
  const strongest = {
    claim: "c",
    runtimeMode: "authority_grade",
    authorityClass: "operator",
    proofState: "full_chain_verified",
    requestedCeiling: "authority_grade",
  } as const;
  const aboveAdvisory = fc.constantFrom(...RUNTIME_CLAIM_KINDS.filter((k) => k !== "diagnostic" && k !== "advisory"));

  it("an unknown runtime mode never passes a kind above diagnostic or advisory", () => {
    fc.assert(
      fc.property(junk, aboveAdvisory, (runtimeMode, kind) => {
        const preflight = runtimeClaimPreflight({ ...strongest, kind, runtimeMode: runtimeMode as RuntimeMode });
        expect(preflight.allowed).toBe(false);
        expect(preflight.runtimeMode).toBe("unknown");
        expect(preflight.effectiveCeiling).toBe("dev_only");
        expect(preflight.reasons[0]).toMatch(/^unrecognized runtime mode .* treated as Unknown \(fail closed\)$/);
        expect(() => requireRuntimeClaim({ ...strongest, kind, runtimeMode: runtimeMode as RuntimeMode })).toThrow(RuntimeError);
      }),
      { numRuns: 200 },
    );
  });

  it("an unknown proof state never passes a kind above diagnostic or advisory", () => {
    fc.assert(
      fc.property(junk, aboveAdvisory, (proofState, kind) => {
        const preflight = runtimeClaimPreflight({ ...strongest, kind, proofState: proofState as ClaimProofState });
        expect(preflight.allowed).toBe(false);
        expect(preflight.proofState).toBe("unknown");
        expect(preflight.reasons[0]).toMatch(/^unrecognized proof state .* treated as Unknown \(fail closed\)$/);
      }),
      { numRuns: 200 },
    );
  });

  it("junk authority class, requested ceiling or policy outcome fall to the weakest value", () => {
    fc.assert(
      fc.property(junk, aboveAdvisory, (value, kind) => {
        const byClass = runtimeClaimPreflight({ ...strongest, kind, authorityClass: value as AuthorityClass });
        expect([byClass.authorityClass, byClass.allowed]).toEqual(["untrusted", false]);
        const byCeiling = runtimeClaimPreflight({ ...strongest, kind, requestedCeiling: value as ClaimCeiling });
        expect([byCeiling.requestedCeiling, byCeiling.allowed]).toEqual(["dev_only", false]);
        const byPolicy = runtimeClaimPreflightWithPolicy({ ...strongest, kind, policyOutcome: value as PolicyOutcome });
        expect([byPolicy.policyOutcome, byPolicy.allowed]).toEqual(["reject", false]);
      }),
      { numRuns: 200 },
    );
  });

  it("diagnostic claims stay allowed on junk evidence (they claim nothing durable)", () => {
    fc.assert(
      fc.property(junk, junk, (runtimeMode, proofState) => {
        const preflight = runtimeClaimPreflight({
          ...strongest,
          kind: "diagnostic",
          runtimeMode: runtimeMode as RuntimeMode,
          proofState: proofState as ClaimProofState,
        });
        expect(preflight.allowed).toBe(true);
        expect(preflight.effectiveCeiling).toBe("dev_only");
      }),
      { numRuns: 100 },
    );
  });

  it("a missing policy outcome in a WithPolicy call is treated as reject", () => {
    const preflight = runtimeClaimPreflightWithPolicy({ ...strongest, kind: "export" } as never);
    expect(preflight.policyOutcome).toBe("reject");
    expect(preflight.allowed).toBe(false);
    expect(preflight.reasons).toContain("policy outcome Reject caps claims at dev_only");
  });

  it("an unknown claim kind or non-string claim text is a Validation error, never a decision", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((k) => !RUNTIME_CLAIM_KINDS.includes(k as never)),
        (kind) => {
          const error = thrown(() => runtimeClaimPreflight({ ...strongest, kind: kind as RuntimeClaimKind }));
          expect(error).toBeInstanceOf(RuntimeError);
          expect((error as RuntimeError).kind).toBe("Validation");
          expect((error as RuntimeError).message).toContain("unrecognized runtime claim kind");
        },
      ),
      { numRuns: 100 },
    );
    for (const bad of [undefined, null, 42, ["c"]]) {
      const error = thrown(() => compileRuntimeClaim({ ...strongest, kind: "advisory", claim: bad as unknown as string }));
      expect((error as RuntimeError).kind).toBe("Validation");
    }
    for (const bad of [undefined, null, "request", 7]) {
      const error = thrown(() => requireRuntimeClaim(bad as unknown as RuntimeClaimRequest));
      expect((error as RuntimeError).kind).toBe("Validation");
    }
  });
});
