import {
  AUTHORITY_CLASSES,
  CLAIM_CEILINGS,
  CLAIM_PROOF_STATES,
  POLICY_OUTCOMES,
  RUNTIME_MODES,
  AuthorityClassSchema,
  ClaimCeilingSchema,
  ClaimProofStateSchema,
  PolicyOutcomeSchema,
  RUNTIME_CLAIM_KINDS,
  RuntimeClaimKindSchema,
  RuntimeModeSchema,
  compareClaimCeiling,
  debugName,
  effectiveClaimCeiling,
  requiredCeiling,
  type AuthorityClass,
  type ClaimCeiling,
  type ClaimProofState,
  type PolicyOutcome,
  type RuntimeClaimKind,
  type RuntimeMode,
} from "@cellos-cortex/cortex-core";
import { z } from "zod";
import { describeValue } from "./describe-value.js";
import { RuntimeError } from "./runtime-error.js";

/*
 * The runtime claim compiler (`cortex_runtime::claims`, "truth-ceiling
 * enforcement"). The lattice itself — each signal's cap, the weakest-link
 * minimum, a kind's required ceiling, the downgrade reason wording — is
 * cortex-core's; this module only decides, and fails closed (ADR 0026).
 */

/** One claim a command wants to emit, with the evidence signals that bound it. */
export const RuntimeClaimRequestSchema = z.object({
  /** The claim text, e.g. `development ledger run output`. */
  claim: z.string(),
  kind: RuntimeClaimKindSchema,
  runtimeMode: RuntimeModeSchema,
  authorityClass: AuthorityClassSchema,
  proofState: ClaimProofStateSchema,
  /** The ceiling the caller asks for; the result never exceeds it. */
  requestedCeiling: ClaimCeilingSchema,
});
export type RuntimeClaimRequest = z.infer<typeof RuntimeClaimRequestSchema>;

/** A claim request plus the ADR 0026 composed policy outcome that also bounds it. */
export const RuntimeClaimRequestWithPolicySchema = RuntimeClaimRequestSchema.extend({
  policyOutcome: PolicyOutcomeSchema,
});
export type RuntimeClaimRequestWithPolicy = z.infer<typeof RuntimeClaimRequestWithPolicySchema>;

/** A claim with its weakest-link ceiling and allow/deny decision. */
export const CompiledRuntimeClaimSchema = z.object({
  claim: z.string(),
  kind: RuntimeClaimKindSchema,
  runtimeMode: RuntimeModeSchema,
  authorityClass: AuthorityClassSchema,
  proofState: ClaimProofStateSchema,
  requestedCeiling: ClaimCeilingSchema,
  /** The weakest link of every signal and the requested ceiling. */
  effectiveCeiling: ClaimCeilingSchema,
  /** The kind's minimum (`requiredCeiling(kind)`). */
  requiredCeiling: ClaimCeilingSchema,
  /** Whether the claim may be emitted affirmatively: effective ≥ required. */
  allowed: z.boolean(),
  /** Downgrade reasons, then (when denied) one reason naming required vs effective. */
  reasons: z.array(z.string()),
});
export type CompiledRuntimeClaim = z.infer<typeof CompiledRuntimeClaimSchema>;

/** Fail-closed decision for a proof-bearing claim surface: the compiled claim plus the policy and a message. */
export const RuntimeClaimPreflightSchema = CompiledRuntimeClaimSchema.extend({
  /** The policy outcome folded into the ceiling (`...WithPolicy`), or `null`. */
  policyOutcome: PolicyOutcomeSchema.nullable(),
  /** One line for an operator: allowed or denied, and why. */
  message: z.string(),
});
export type RuntimeClaimPreflight = z.infer<typeof RuntimeClaimPreflightSchema>;

interface NormalizedRequest {
  request: RuntimeClaimRequest;
  policyOutcome: PolicyOutcome | undefined;
  /** Reasons for inputs that were not lattice values and were replaced by the weakest value. */
  coercions: string[];
}

/**
 * An evidence signal that is not a lattice value is replaced by the weakest
 * value of its lattice, with a reason: junk evidence can only lower a claim.
 */
function weakestUnlessValid<T extends string>(
  members: readonly T[],
  value: unknown,
  weakest: T,
  label: string,
  coercions: string[],
): T {
  if (typeof value === "string" && (members as readonly string[]).includes(value)) return value as T;
  coercions.push(`unrecognized ${label} ${describeValue(value)} treated as ${debugName(weakest)} (fail closed)`);
  return weakest;
}

function normalize(input: unknown, withPolicy: boolean): NormalizedRequest {
  if (typeof input !== "object" || input === null) {
    throw RuntimeError.validation(`runtime claim request must be an object, got ${describeValue(input)}`);
  }
  const raw = input as Record<string, unknown>;
  if (typeof raw.claim !== "string") {
    throw RuntimeError.validation(`runtime claim text must be a string, got ${describeValue(raw.claim)}`);
  }
  const kind = raw.kind;
  if (typeof kind !== "string" || !(RUNTIME_CLAIM_KINDS as readonly string[]).includes(kind)) {
    throw RuntimeError.validation(
      `unrecognized runtime claim kind ${describeValue(raw.kind)} (expected one of ${RUNTIME_CLAIM_KINDS.join(", ")})`,
    );
  }
  const coercions: string[] = [];
  const runtimeMode: RuntimeMode = weakestUnlessValid(RUNTIME_MODES, raw.runtimeMode, "unknown", "runtime mode", coercions);
  const authorityClass: AuthorityClass = weakestUnlessValid(
    AUTHORITY_CLASSES,
    raw.authorityClass,
    "untrusted",
    "authority class",
    coercions,
  );
  const proofState: ClaimProofState = weakestUnlessValid(CLAIM_PROOF_STATES, raw.proofState, "unknown", "proof state", coercions);
  const requestedCeiling: ClaimCeiling = weakestUnlessValid(
    CLAIM_CEILINGS,
    raw.requestedCeiling,
    "dev_only",
    "requested ceiling",
    coercions,
  );
  const policyOutcome: PolicyOutcome | undefined = withPolicy
    ? weakestUnlessValid(POLICY_OUTCOMES, raw.policyOutcome, "reject", "policy outcome", coercions)
    : undefined;
  return {
    request: { claim: raw.claim, kind: kind as RuntimeClaimKind, runtimeMode, authorityClass, proofState, requestedCeiling },
    policyOutcome,
    coercions,
  };
}

function compile({ request, policyOutcome, coercions }: NormalizedRequest): CompiledRuntimeClaim {
  const effective = effectiveClaimCeiling({
    runtimeMode: request.runtimeMode,
    authorityClass: request.authorityClass,
    proofState: request.proofState,
    requestedCeiling: request.requestedCeiling,
    ...(policyOutcome === undefined ? {} : { policyOutcome }),
  });
  const required = requiredCeiling(request.kind);
  const allowed = compareClaimCeiling(effective.ceiling, required) >= 0;
  const reasons = [...coercions, ...effective.reasons];
  if (!allowed) {
    reasons.push(`claim kind ${debugName(request.kind)} requires ${required} but the effective ceiling is ${effective.ceiling}`);
  }
  return { ...request, effectiveCeiling: effective.ceiling, requiredCeiling: required, allowed, reasons };
}

function preflightOf(compiled: CompiledRuntimeClaim, policyOutcome: PolicyOutcome | undefined): RuntimeClaimPreflight {
  const subject = `runtime claim ${describeValue(compiled.claim)} (${compiled.kind})`;
  const message = compiled.allowed
    ? `${subject} allowed: effective ceiling ${compiled.effectiveCeiling} meets required ${compiled.requiredCeiling}`
    : `${subject} denied: requires ${compiled.requiredCeiling}, effective ceiling is ${compiled.effectiveCeiling} (${compiled.reasons.join("; ")})`;
  return { ...compiled, policyOutcome: policyOutcome ?? null, message };
}

/**
 * Compiles a claim: effective ceiling = weakest link of runtime mode, authority
 * class, proof state and requested ceiling; required = the kind's minimum;
 * allowed = effective ≥ required. Evidence that is not a lattice value is
 * treated as the weakest value (fail closed); a malformed claim text or kind
 * throws `RuntimeError` (`Validation`).
 */
export function compileRuntimeClaim(request: RuntimeClaimRequest): CompiledRuntimeClaim {
  return compile(normalize(request, false));
}

/** Preflights a proof-bearing claim before a command emits, exports or persists an authority-bearing result. */
export function runtimeClaimPreflight(request: RuntimeClaimRequest): RuntimeClaimPreflight {
  return preflightOf(compileRuntimeClaim(request), undefined);
}

/** `runtimeClaimPreflight` with an ADR 0026 policy outcome folded into the weakest link. */
export function runtimeClaimPreflightWithPolicy(request: RuntimeClaimRequestWithPolicy): RuntimeClaimPreflight {
  const normalized = normalize(request, true);
  return preflightOf(compile(normalized), normalized.policyOutcome);
}

/** Returns the preflight when the claim is allowed; throws `RuntimeError` (`ClaimDenied`, carrying it) otherwise. */
export function requireRuntimeClaim(request: RuntimeClaimRequest): RuntimeClaimPreflight {
  const preflight = runtimeClaimPreflight(request);
  if (!preflight.allowed) throw RuntimeError.claimDenied(preflight);
  return preflight;
}

/** `requireRuntimeClaim` with an ADR 0026 policy outcome folded into the weakest link. */
export function requireRuntimeClaimWithPolicy(request: RuntimeClaimRequestWithPolicy): RuntimeClaimPreflight {
  const preflight = runtimeClaimPreflightWithPolicy(request);
  if (!preflight.allowed) throw RuntimeError.claimDenied(preflight);
  return preflight;
}
