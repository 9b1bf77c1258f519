import { z } from "zod";
import { CortexCoreError } from "./errors.js";
import {
  AuthorityClassSchema,
  ClaimCeilingSchema,
  ClaimProofStateSchema,
  PolicyOutcomeSchema,
  RuntimeModeSchema,
  compareClaimCeiling,
  debugName,
  type AuthorityClass,
  type ClaimCeiling,
  type ClaimProofState,
  type PolicyOutcome,
  type RuntimeClaimKind,
  type RuntimeMode,
} from "./lattice.js";

/*
 * Each signal's cap, as pinned in ARCHITECTURE.md ("Pinned details →
 * cortex-core"); ADR 0007 records where the mapping is a project decision.
 */

const RUNTIME_MODE_CAPS: Readonly<Record<RuntimeMode, ClaimCeiling>> = {
  unknown: "dev_only",
  dev: "dev_only",
  remote_unsigned: "dev_only",
  local_unsigned: "local_unsigned",
  signed_local_ledger: "signed_local_ledger",
  externally_anchored: "externally_anchored",
  authority_grade: "authority_grade",
};

const AUTHORITY_CLASS_CAPS: Readonly<Record<AuthorityClass, ClaimCeiling>> = {
  untrusted: "dev_only",
  derived: "local_unsigned",
  observed: "signed_local_ledger",
  verified: "externally_anchored",
  operator: "authority_grade",
};

const PROOF_STATE_CAPS: Readonly<Record<ClaimProofState, ClaimCeiling>> = {
  unknown: "dev_only",
  broken: "dev_only",
  partial: "signed_local_ledger",
  full_chain_verified: "authority_grade",
};

const POLICY_OUTCOME_CAPS: Readonly<Record<PolicyOutcome, ClaimCeiling>> = {
  allow: "authority_grade",
  warn: "authority_grade",
  break_glass: "authority_grade",
  quarantine: "dev_only",
  reject: "dev_only",
};

const REQUIRED_CEILINGS: Readonly<Record<RuntimeClaimKind, ClaimCeiling>> = {
  diagnostic: "dev_only",
  advisory: "dev_only",
  trusted_history: "signed_local_ledger",
  export: "externally_anchored",
  promotion: "authority_grade",
  release_readiness: "authority_grade",
  compliance_evidence: "authority_grade",
  cross_system_trust: "authority_grade",
};

function lookup<K extends string>(table: Readonly<Record<K, ClaimCeiling>>, typeName: string, value: K): ClaimCeiling {
  const cap = Object.hasOwn(table, value) ? table[value] : undefined;
  if (cap === undefined) {
    throw new CortexCoreError(
      "InvalidLatticeValue",
      `${JSON.stringify(value) ?? String(value)} is not a ${typeName} (expected one of ${Object.keys(table).join(", ")})`,
    );
  }
  return cap;
}

/** Highest claim ceiling a runtime mode supports. */
export function runtimeModeCeiling(mode: RuntimeMode): ClaimCeiling {
  return lookup(RUNTIME_MODE_CAPS, "RuntimeMode", mode);
}

/** Highest claim ceiling an authority class supports. */
export function authorityClassCeiling(authorityClass: AuthorityClass): ClaimCeiling {
  return lookup(AUTHORITY_CLASS_CAPS, "AuthorityClass", authorityClass);
}

/** Highest claim ceiling a proof state supports (`unknown` never counts as proof, ADR 0037). */
export function claimProofStateCeiling(proofState: ClaimProofState): ClaimCeiling {
  return lookup(PROOF_STATE_CAPS, "ClaimProofState", proofState);
}

/** Same as `claimProofStateCeiling`. */
export const proofStateCeiling = claimProofStateCeiling;

/** Highest claim ceiling a composed policy outcome allows (quarantine/reject → dev_only). */
export function policyOutcomeCeiling(outcome: PolicyOutcome): ClaimCeiling {
  return lookup(POLICY_OUTCOME_CAPS, "PolicyOutcome", outcome);
}

/** Minimum effective ceiling needed to emit a claim of this kind affirmatively. */
export function requiredCeiling(kind: RuntimeClaimKind): ClaimCeiling {
  return lookup(REQUIRED_CEILINGS, "RuntimeClaimKind", kind);
}

export const ClaimCeilingInputsSchema = z.strictObject({
  runtimeMode: RuntimeModeSchema,
  authorityClass: AuthorityClassSchema,
  proofState: ClaimProofStateSchema,
  policyOutcome: PolicyOutcomeSchema.optional(),
  requestedCeiling: ClaimCeilingSchema.optional(),
});

/** The signals a claim's ceiling is computed from. `policyOutcome` and `requestedCeiling` are optional. */
export type ClaimCeilingInputs = z.infer<typeof ClaimCeilingInputsSchema>;

export interface EffectiveClaimCeiling {
  /** The weakest link: the minimum of every input's cap. */
  ceiling: ClaimCeiling;
  /**
   * One reason for every input whose cap is below `authority_grade`, in the
   * order runtime mode, authority class, proof state, policy outcome,
   * requested ceiling, e.g. `proof state Partial caps claims at signed_local_ledger`.
   */
  reasons: string[];
}

/**
 * The effective ceiling of a claim: the minimum of what each input allows
 * (and of the requested ceiling when given). Throws `CortexCoreError`
 * (`InvalidLatticeValue`) when an input is missing or not a lattice value.
 */
export function effectiveClaimCeiling(inputs: ClaimCeilingInputs): EffectiveClaimCeiling {
  const parsed = ClaimCeilingInputsSchema.safeParse(inputs);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(inputs)"}: ${issue.message}`);
    throw new CortexCoreError("InvalidLatticeValue", `invalid claim ceiling inputs: ${problems.join("; ")}`);
  }
  const { runtimeMode, authorityClass, proofState, policyOutcome, requestedCeiling } = parsed.data;
  const caps: [label: string, value: string, cap: ClaimCeiling][] = [
    ["runtime mode", runtimeMode, runtimeModeCeiling(runtimeMode)],
    ["authority class", authorityClass, authorityClassCeiling(authorityClass)],
    ["proof state", proofState, claimProofStateCeiling(proofState)],
  ];
  if (policyOutcome !== undefined) caps.push(["policy outcome", policyOutcome, policyOutcomeCeiling(policyOutcome)]);
  if (requestedCeiling !== undefined) caps.push(["requested ceiling", requestedCeiling, requestedCeiling]);

  let ceiling: ClaimCeiling = "authority_grade";
  const reasons: string[] = [];
  for (const [label, value, cap] of caps) {
    if (compareClaimCeiling(cap, ceiling) < 0) ceiling = cap;
    if (cap !== "authority_grade") reasons.push(`${label} ${debugName(value)} caps claims at ${cap}`);
  }
  return { ceiling, reasons };
}
