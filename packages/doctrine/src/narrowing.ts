/**
 * A doctrine's narrowing in normal form, and the meet (⊓) of two of them:
 * the narrowing that takes away everything either takes away. Applying
 * `a ⊓ b` once equals applying `a` then `b` (in either order), which is what
 * makes `apply` order-independent and idempotent by construction. ADR-0010
 * defines each axis.
 */
import {
  canonicalAllowlist,
  formatHostPattern,
  intersectAllowlists,
  parseHostPattern,
  type HostPattern,
} from "./host-pattern.js";
import { DoctrineError } from "./doctrine-error.js";
import type { DoctrineRule } from "./rule-table.js";

/** Egress: no limit, or only rules inside this allowlist survive (empty allowlist = deny all). */
export type EgressLimit =
  | { readonly kind: "unrestricted" }
  | { readonly kind: "allowlist"; readonly patterns: readonly HostPattern[] };

/** Names to remove from a list: all of them, or these (sorted, unique). */
export type NameDrop = { readonly all: true } | { readonly all: false; readonly names: readonly string[] };

export interface DoctrineNarrowing {
  readonly egress: EgressLimit;
  readonly secrets: NameDrop;
  /** Upper bound on `spec.lifetime.ttlSeconds`; undefined = no bound. */
  readonly maxTtlSeconds: number | undefined;
  readonly readOnlyFilesystem: boolean;
  readonly denyExports: boolean;
  readonly capabilities: NameDrop;
}

const NOTHING_DROPPED: NameDrop = Object.freeze({ all: false, names: Object.freeze([]) });
const UNRESTRICTED: EgressLimit = Object.freeze({ kind: "unrestricted" });

/** The top of the lattice: narrows nothing. `meetNarrowings(NO_NARROWING, x)` is `x`. */
export const NO_NARROWING: DoctrineNarrowing = Object.freeze({
  egress: UNRESTRICTED,
  secrets: NOTHING_DROPPED,
  maxTtlSeconds: undefined,
  readOnlyFilesystem: false,
  denyExports: false,
  capabilities: NOTHING_DROPPED,
});

function sortedUnique(names: Iterable<string>): readonly string[] {
  return [...new Set(names)].sort();
}

function nameDropOf(value: true | readonly string[] | undefined): NameDrop {
  if (value === undefined) return NOTHING_DROPPED;
  if (value === true) return { all: true };
  return value.length === 0 ? NOTHING_DROPPED : { all: false, names: sortedUnique(value) };
}

function meetNameDrops(a: NameDrop, b: NameDrop): NameDrop {
  if (a.all) return a;
  if (b.all) return b;
  if (b.names.length === 0) return a;
  if (a.names.length === 0) return b;
  return { all: false, names: sortedUnique([...a.names, ...b.names]) };
}

function meetEgress(a: EgressLimit, b: EgressLimit): EgressLimit {
  if (a.kind === "unrestricted") return b;
  if (b.kind === "unrestricted") return a;
  return { kind: "allowlist", patterns: intersectAllowlists(a.patterns, b.patterns) };
}

/** a ⊓ b: commutative, associative, idempotent, with `NO_NARROWING` as identity. */
export function meetNarrowings(a: DoctrineNarrowing, b: DoctrineNarrowing): DoctrineNarrowing {
  if (a === b || b === NO_NARROWING) return a;
  if (a === NO_NARROWING) return b;
  return {
    egress: meetEgress(a.egress, b.egress),
    secrets: meetNameDrops(a.secrets, b.secrets),
    maxTtlSeconds:
      a.maxTtlSeconds === undefined
        ? b.maxTtlSeconds
        : b.maxTtlSeconds === undefined
          ? a.maxTtlSeconds
          : Math.min(a.maxTtlSeconds, b.maxTtlSeconds),
    readOnlyFilesystem: a.readOnlyFilesystem || b.readOnlyFilesystem,
    denyExports: a.denyExports || b.denyExports,
    capabilities: meetNameDrops(a.capabilities, b.capabilities),
  };
}

/** The normal form of one validated rule (its operations met with each other). */
export function narrowingFromRule(rule: DoctrineRule): DoctrineNarrowing {
  let egress: EgressLimit = UNRESTRICTED;
  if (rule.restrictEgressTo !== undefined) {
    const patterns = rule.restrictEgressTo.map((text) => {
      const parsed = parseHostPattern(text);
      // The schema already refused malformed patterns; this guards hand-made rules.
      if (typeof parsed === "string") {
        throw new DoctrineError("InvalidRuleTable", `restrictEgressTo: ${parsed}`, {
          issues: [{ path: "/restrictEgressTo", message: parsed }],
        });
      }
      return parsed;
    });
    egress = { kind: "allowlist", patterns: canonicalAllowlist(patterns) };
  }
  if (rule.denyEgress === true) egress = { kind: "allowlist", patterns: [] };
  return {
    egress,
    secrets: nameDropOf(rule.dropSecrets),
    maxTtlSeconds: rule.maxTtlSeconds,
    readOnlyFilesystem: rule.readOnlyFilesystem === true,
    denyExports: rule.denyExports === true,
    capabilities: nameDropOf(rule.dropCapabilities),
  };
}

/** Back to rule-table data, canonical: what this narrowing does, as an operator would write it. */
export function ruleFromNarrowing(narrowing: DoctrineNarrowing): DoctrineRule {
  const rule: DoctrineRule = {};
  if (narrowing.egress.kind === "allowlist") {
    if (narrowing.egress.patterns.length === 0) rule.denyEgress = true;
    else rule.restrictEgressTo = narrowing.egress.patterns.map(formatHostPattern);
  }
  if (narrowing.secrets.all) rule.dropSecrets = true;
  else if (narrowing.secrets.names.length > 0) rule.dropSecrets = [...narrowing.secrets.names];
  if (narrowing.maxTtlSeconds !== undefined) rule.maxTtlSeconds = narrowing.maxTtlSeconds;
  if (narrowing.readOnlyFilesystem) rule.readOnlyFilesystem = true;
  if (narrowing.denyExports) rule.denyExports = true;
  if (narrowing.capabilities.all) rule.dropCapabilities = true;
  else if (narrowing.capabilities.names.length > 0) rule.dropCapabilities = [...narrowing.capabilities.names];
  return rule;
}
