import { z } from "zod";
import { describeValue } from "./describe-value.js";

/*
 * What development-ledger data (the payload of a run's agent response event)
 * may be used for (`cortex_runtime::claims::DevelopmentLedgerUse`). The
 * development ledger is unsigned local evidence: it supports operator-local
 * inspection only. A payload cannot raise its own authority — a
 * `signed_ledger_authority: true` written inside the payload is not proof of
 * anything — so every use but `local_diagnostic` is denied (ADR 0026).
 */

/** Wire strings of the uses, in declaration order. */
export const DEVELOPMENT_LEDGER_USES = [
  "local_diagnostic",
  "audit_export",
  "compliance_evidence",
  "cross_system_trust_decision",
  "external_reporting",
] as const;

export const DevelopmentLedgerUseSchema = z.enum(DEVELOPMENT_LEDGER_USES);
/** A use requested for development-ledger data; the string is its stable payload (wire) form. */
export type DevelopmentLedgerUse = z.infer<typeof DevelopmentLedgerUseSchema>;

/** The uses an agent response event forbids, always (ADR 0048 acceptance item 7 adds `remote_unsigned`). */
export const DEVELOPMENT_LEDGER_FORBIDDEN_USES: readonly DevelopmentLedgerUse[] = Object.freeze([
  "audit_export",
  "compliance_evidence",
  "cross_system_trust_decision",
  "external_reporting",
]);

/** Decision for using one event payload in a requested authority surface. */
export interface DevelopmentLedgerUseDecision {
  allowed: boolean;
  /** The requested use: a `DevelopmentLedgerUse`, or the value as given when it was not one (always denied). */
  use: string;
  reason: string;
}

function forbiddenUsesOf(payload: Record<string, unknown>): string[] | string {
  if (!Object.hasOwn(payload, "forbidden_uses")) return [];
  const value = payload.forbidden_uses;
  if (!Array.isArray(value) || !value.every((entry): entry is string => typeof entry === "string")) {
    return `payload forbidden_uses is malformed (${describeValue(value)}); no use is allowed (fail closed)`;
  }
  return value;
}

/**
 * Decides whether a run-event payload may be used for `use`. Only
 * `local_diagnostic` is ever allowed, and not even that when the payload is not
 * a JSON object, its `forbidden_uses` is malformed, or lists it. A use listed
 * in `forbidden_uses` is denied with a reason naming it.
 */
export function developmentLedgerUseDecision(payload: unknown, use: DevelopmentLedgerUse): DevelopmentLedgerUseDecision {
  const requested: unknown = use;
  if (typeof requested !== "string" || !DevelopmentLedgerUseSchema.safeParse(requested).success) {
    return {
      allowed: false,
      use: typeof requested === "string" ? requested : describeValue(requested),
      reason: `unrecognized development ledger use ${describeValue(requested)} is denied (fail closed; expected one of ${DEVELOPMENT_LEDGER_USES.join(", ")})`,
    };
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return { allowed: false, use, reason: `payload is not a JSON object (${describeValue(payload)}); ${use} is denied (fail closed)` };
  }
  const forbidden = forbiddenUsesOf(payload as Record<string, unknown>);
  if (typeof forbidden === "string") return { allowed: false, use, reason: forbidden };
  if (forbidden.includes(use)) {
    return { allowed: false, use, reason: `development ledger payload forbids ${use} (listed in forbidden_uses)` };
  }
  if (use === "local_diagnostic") {
    return { allowed: true, use, reason: "local_diagnostic is allowed for development ledger data" };
  }
  return {
    allowed: false,
    use,
    reason: `${use} needs verified signed ledger authority; development ledger data supports local_diagnostic only`,
  };
}
