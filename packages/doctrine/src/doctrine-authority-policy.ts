/**
 * `DoctrineAuthorityPolicy`: doctrine ids → narrowing operations (a rule
 * table), applied as "meet of every matched rule, then narrow a copy of the
 * document once". The law (ADR-0009): the result is never wider than the
 * input on any axis, applying the same refs again changes nothing, the order
 * of refs does not matter, and unknown ids change nothing but are reported.
 */
import { CellosError, validateExecutionCellDocument, type ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import type { AppliedDoctrine, AuthorityPolicy, DoctrineChange, PolicyApplication } from "./authority-policy.js";
import { BUILTIN_DOCTRINE_RULES } from "./builtin-doctrine.js";
import { cloneDocument } from "./clone-document.js";
import { deepFreeze } from "./deep-freeze.js";
import { DoctrineError, describeValue } from "./doctrine-error.js";
import { narrowDocument } from "./narrow-document.js";
import {
  NO_NARROWING,
  meetNarrowings,
  narrowingFromRule,
  ruleFromNarrowing,
  type DoctrineNarrowing,
} from "./narrowing.js";
import { parseDoctrineRules, type DoctrineRule, type DoctrineRuleTable } from "./rule-table.js";

function builtinNarrowings(): Map<string, DoctrineNarrowing> {
  const rules = new Map<string, DoctrineNarrowing>();
  for (const [id, rule] of Object.entries(BUILTIN_DOCTRINE_RULES.rules)) rules.set(id, narrowingFromRule(rule));
  return rules;
}

function checkRefs(doctrineRefs: unknown): asserts doctrineRefs is readonly string[] {
  if (!Array.isArray(doctrineRefs)) {
    throw new DoctrineError("InvalidDoctrineRefs", `doctrine refs must be an array of strings, got ${describeValue(doctrineRefs)}`);
  }
  for (let i = 0; i < doctrineRefs.length; i++) {
    const ref: unknown = doctrineRefs[i];
    if (typeof ref !== "string") {
      throw new DoctrineError("InvalidDoctrineRefs", `doctrine ref [${i}] must be a string, got ${describeValue(ref)}`);
    }
  }
}

function checkDocument(document: ExecutionCellDocument): void {
  try {
    validateExecutionCellDocument(document);
  } catch (error) {
    const detail = error instanceof CellosError || error instanceof Error ? error.message : String(error);
    throw new DoctrineError("InvalidDocument", `document rejected before any doctrine ran: ${detail}`, { cause: error });
  }
}

export class DoctrineAuthorityPolicy implements AuthorityPolicy {
  /** The table this policy was built from, as validated (a frozen copy). */
  readonly table: DoctrineRuleTable;
  readonly #rules: ReadonlyMap<string, DoctrineNarrowing>;

  /** The built-in doctrine table only (`no-egress`, `no-secrets`, … see the README). */
  static builtin(): DoctrineAuthorityPolicy {
    return new DoctrineAuthorityPolicy(BUILTIN_DOCTRINE_RULES);
  }

  /**
   * A policy from a rule table (as returned by `loadDoctrineRules`; it is
   * validated again here, so a hand-written object is checked too). With
   * `extends: "builtin"` the built-in rules apply as well, and an id defined
   * in both gets the meet of both rules: an operator table can tighten a
   * built-in doctrine but not loosen it (use `extends: "none"` to replace).
   */
  constructor(table: DoctrineRuleTable) {
    this.table = deepFreeze(parseDoctrineRules(table));
    const rules = this.table.extends === "builtin" ? builtinNarrowings() : new Map<string, DoctrineNarrowing>();
    for (const [id, rule] of Object.entries(this.table.rules)) {
      rules.set(id, meetNarrowings(rules.get(id) ?? NO_NARROWING, narrowingFromRule(rule)));
    }
    this.#rules = rules;
  }

  /** Every doctrine id this policy knows (built-in ones included when extended). */
  get doctrineIds(): readonly string[] {
    return [...this.#rules.keys()];
  }

  /** Whether `doctrineId` matches a rule (exactly, case-sensitively). */
  knows(doctrineId: string): boolean {
    return this.#rules.has(doctrineId);
  }

  /** The effective rule of a doctrine id, in canonical form; undefined for an unknown id. */
  ruleFor(doctrineId: string): DoctrineRule | undefined {
    const narrowing = this.#rules.get(doctrineId);
    return narrowing === undefined ? undefined : ruleFromNarrowing(narrowing);
  }

  /** The meet of the rules of `doctrineRefs` (unknown ids contribute nothing). */
  narrowingFor(doctrineRefs: readonly string[]): DoctrineNarrowing {
    checkRefs(doctrineRefs);
    let meet = NO_NARROWING;
    for (const ref of doctrineRefs) meet = meetNarrowings(meet, this.#rules.get(ref) ?? NO_NARROWING);
    return meet;
  }

  /**
   * Narrows a copy of `document` by the rules of `doctrineRefs`. The input is
   * validated first (`DoctrineError` `InvalidDocument`, cause the
   * `CellosError`) and never mutated; frozen inputs are fine.
   */
  apply(document: ExecutionCellDocument, doctrineRefs: readonly string[]): PolicyApplication {
    checkRefs(doctrineRefs);
    checkDocument(document);

    const matchedIds: string[] = [];
    const narrowings: DoctrineNarrowing[] = [];
    const unknownDoctrineIds: string[] = [];
    const seen = new Set<string>();
    let meet = NO_NARROWING;
    for (const ref of doctrineRefs) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      const narrowing = this.#rules.get(ref);
      if (narrowing === undefined) {
        unknownDoctrineIds.push(ref);
        continue;
      }
      matchedIds.push(ref);
      narrowings.push(narrowing);
      meet = meetNarrowings(meet, narrowing);
    }

    const output = cloneDocument(document);
    const changesOf: DoctrineChange[][] = matchedIds.map(() => []);
    if (meet !== NO_NARROWING) {
      for (const { changes, responsible } of narrowDocument(output, meet, narrowings)) {
        for (const index of responsible) changesOf[index]?.push(...changes);
      }
    }
    const applied: AppliedDoctrine[] = matchedIds.map((doctrineId, index) => ({
      doctrineId,
      changes: changesOf[index] ?? [],
    }));
    return { document: output, applied, unknownDoctrineIds };
  }
}
