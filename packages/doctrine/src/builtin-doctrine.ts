/**
 * The built-in doctrine table (pinned in ARCHITECTURE.md, ADR-0011). Ids
 * match exactly and case-sensitively: `No-Egress` is an unknown id.
 */
import { deepFreeze } from "./deep-freeze.js";
import type { DoctrineRuleTable } from "./rule-table.js";

export const BUILTIN_DOCTRINE_RULES: DoctrineRuleTable = deepFreeze({
  version: 1,
  extends: "none",
  rules: {
    "no-egress": { denyEgress: true },
    "no-secrets": { dropSecrets: true },
    "read-only-filesystem": { readOnlyFilesystem: true },
    "short-lived": { maxTtlSeconds: 60 },
    "no-exports": { denyExports: true },
    "no-capabilities": { dropCapabilities: true },
  },
});

/** The built-in doctrine ids, in table order. */
export const BUILTIN_DOCTRINE_IDS: readonly string[] = Object.freeze(Object.keys(BUILTIN_DOCTRINE_RULES.rules));
