import { z } from "zod";
import { CortexCoreError, describeValue } from "./errors.js";

/*
 * The ordered unions of Cortex's claims and policy lattices. Each array lists
 * the snake_case wire values in Rust declaration order, which is their `Ord`
 * order (weakest / lowest first).
 */

export const RUNTIME_MODES = [
  "unknown",
  "dev",
  "remote_unsigned",
  "local_unsigned",
  "signed_local_ledger",
  "externally_anchored",
  "authority_grade",
] as const;

export const CLAIM_CEILINGS = [
  "dev_only",
  "local_unsigned",
  "signed_local_ledger",
  "externally_anchored",
  "authority_grade",
] as const;

export const AUTHORITY_CLASSES = ["untrusted", "derived", "observed", "verified", "operator"] as const;

export const CLAIM_PROOF_STATES = ["unknown", "broken", "partial", "full_chain_verified"] as const;

/** ADR 0026 order: allow < warn < break_glass < quarantine < reject (the composed outcome is the maximum). */
export const POLICY_OUTCOMES = ["allow", "warn", "break_glass", "quarantine", "reject"] as const;

/** Declaration order of `RuntimeClaimKind` (no `Ord` upstream; the order is used for `compare`/`min` only). */
export const RUNTIME_CLAIM_KINDS = [
  "diagnostic",
  "advisory",
  "trusted_history",
  "export",
  "promotion",
  "release_readiness",
  "compliance_evidence",
  "cross_system_trust",
] as const;

export const RuntimeModeSchema = z.enum(RUNTIME_MODES);
export const ClaimCeilingSchema = z.enum(CLAIM_CEILINGS);
export const AuthorityClassSchema = z.enum(AUTHORITY_CLASSES);
export const ClaimProofStateSchema = z.enum(CLAIM_PROOF_STATES);
export const PolicyOutcomeSchema = z.enum(POLICY_OUTCOMES);
export const RuntimeClaimKindSchema = z.enum(RUNTIME_CLAIM_KINDS);

export type RuntimeMode = z.infer<typeof RuntimeModeSchema>;
export type ClaimCeiling = z.infer<typeof ClaimCeilingSchema>;
export type AuthorityClass = z.infer<typeof AuthorityClassSchema>;
export type ClaimProofState = z.infer<typeof ClaimProofStateSchema>;
export type PolicyOutcome = z.infer<typeof PolicyOutcomeSchema>;
export type RuntimeClaimKind = z.infer<typeof RuntimeClaimKindSchema>;

interface Lattice<T extends string> {
  rank(value: T): number;
  compare(a: T, b: T): number;
  min(values: readonly T[]): T | undefined;
  max(values: readonly T[]): T | undefined;
}

function lattice<T extends string>(typeName: string, order: readonly T[]): Lattice<T> {
  const ranks = new Map<string, number>(order.map((value, index) => [value, index]));
  const rank = (value: T): number => {
    const r = typeof value === "string" ? ranks.get(value) : undefined;
    if (r === undefined) {
      throw new CortexCoreError(
        "InvalidLatticeValue",
        `${describeValue(value)} is not a ${typeName} (expected one of ${order.join(", ")})`,
      );
    }
    return r;
  };
  const pick = (values: readonly T[], better: (candidate: number, best: number) => boolean): T | undefined => {
    let best: T | undefined;
    let bestRank = 0;
    for (const value of values) {
      const r = rank(value);
      if (best === undefined || better(r, bestRank)) {
        best = value;
        bestRank = r;
      }
    }
    return best;
  };
  return {
    rank,
    compare: (a, b) => rank(a) - rank(b),
    min: (values) => pick(values, (c, b) => c < b),
    max: (values) => pick(values, (c, b) => c > b),
  };
}

const runtimeModes = lattice<RuntimeMode>("RuntimeMode", RUNTIME_MODES);
const claimCeilings = lattice<ClaimCeiling>("ClaimCeiling", CLAIM_CEILINGS);
const authorityClasses = lattice<AuthorityClass>("AuthorityClass", AUTHORITY_CLASSES);
const proofStates = lattice<ClaimProofState>("ClaimProofState", CLAIM_PROOF_STATES);
const policyOutcomes = lattice<PolicyOutcome>("PolicyOutcome", POLICY_OUTCOMES);
const claimKinds = lattice<RuntimeClaimKind>("RuntimeClaimKind", RUNTIME_CLAIM_KINDS);

/** Negative, zero or positive as `a` is below, equal to or above `b` in the order above; throws on a non-member. */
export function compareRuntimeMode(a: RuntimeMode, b: RuntimeMode): number {
  return runtimeModes.compare(a, b);
}
export function compareClaimCeiling(a: ClaimCeiling, b: ClaimCeiling): number {
  return claimCeilings.compare(a, b);
}
export function compareAuthorityClass(a: AuthorityClass, b: AuthorityClass): number {
  return authorityClasses.compare(a, b);
}
export function compareClaimProofState(a: ClaimProofState, b: ClaimProofState): number {
  return proofStates.compare(a, b);
}
export function comparePolicyOutcome(a: PolicyOutcome, b: PolicyOutcome): number {
  return policyOutcomes.compare(a, b);
}
export function compareRuntimeClaimKind(a: RuntimeClaimKind, b: RuntimeClaimKind): number {
  return claimKinds.compare(a, b);
}

/* `min*`: the lowest value in the order (Rust `weakest`); `undefined` only when called with no values. */
export function minRuntimeMode(first: RuntimeMode, ...rest: RuntimeMode[]): RuntimeMode;
export function minRuntimeMode(...values: RuntimeMode[]): RuntimeMode | undefined;
export function minRuntimeMode(...values: RuntimeMode[]): RuntimeMode | undefined {
  return runtimeModes.min(values);
}
export function minClaimCeiling(first: ClaimCeiling, ...rest: ClaimCeiling[]): ClaimCeiling;
export function minClaimCeiling(...values: ClaimCeiling[]): ClaimCeiling | undefined;
export function minClaimCeiling(...values: ClaimCeiling[]): ClaimCeiling | undefined {
  return claimCeilings.min(values);
}
export function minAuthorityClass(first: AuthorityClass, ...rest: AuthorityClass[]): AuthorityClass;
export function minAuthorityClass(...values: AuthorityClass[]): AuthorityClass | undefined;
export function minAuthorityClass(...values: AuthorityClass[]): AuthorityClass | undefined {
  return authorityClasses.min(values);
}
export function minClaimProofState(first: ClaimProofState, ...rest: ClaimProofState[]): ClaimProofState;
export function minClaimProofState(...values: ClaimProofState[]): ClaimProofState | undefined;
export function minClaimProofState(...values: ClaimProofState[]): ClaimProofState | undefined {
  return proofStates.min(values);
}
export function minPolicyOutcome(first: PolicyOutcome, ...rest: PolicyOutcome[]): PolicyOutcome;
export function minPolicyOutcome(...values: PolicyOutcome[]): PolicyOutcome | undefined;
export function minPolicyOutcome(...values: PolicyOutcome[]): PolicyOutcome | undefined {
  return policyOutcomes.min(values);
}
export function minRuntimeClaimKind(first: RuntimeClaimKind, ...rest: RuntimeClaimKind[]): RuntimeClaimKind;
export function minRuntimeClaimKind(...values: RuntimeClaimKind[]): RuntimeClaimKind | undefined;
export function minRuntimeClaimKind(...values: RuntimeClaimKind[]): RuntimeClaimKind | undefined {
  return claimKinds.min(values);
}

/* `max*`: the highest value in the order; policy composition uses `maxPolicyOutcome` (the strictest wins). */
export function maxClaimCeiling(first: ClaimCeiling, ...rest: ClaimCeiling[]): ClaimCeiling;
export function maxClaimCeiling(...values: ClaimCeiling[]): ClaimCeiling | undefined;
export function maxClaimCeiling(...values: ClaimCeiling[]): ClaimCeiling | undefined {
  return claimCeilings.max(values);
}
export function maxPolicyOutcome(first: PolicyOutcome, ...rest: PolicyOutcome[]): PolicyOutcome;
export function maxPolicyOutcome(...values: PolicyOutcome[]): PolicyOutcome | undefined;
export function maxPolicyOutcome(...values: PolicyOutcome[]): PolicyOutcome | undefined {
  return policyOutcomes.max(values);
}

/**
 * The Rust `Debug` spelling of a snake_case wire value (`remote_unsigned` →
 * `RemoteUnsigned`), used in downgrade reasons.
 */
export function debugName(wireValue: string): string {
  return wireValue
    .split("_")
    .map((part) => (part.length === 0 ? "" : part.charAt(0).toUpperCase() + part.slice(1)))
    .join("");
}
