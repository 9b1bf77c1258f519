/**
 * The law of ADR-0009, as properties over arbitrary valid documents,
 * arbitrary rule tables (every operation, alone and combined, extending the
 * built-in table or not) and arbitrary ref lists (known, unknown, repeated).
 */
import { validateExecutionCellDocument, type ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoctrineAuthorityPolicy } from "./doctrine-authority-policy.js";
import { UNKNOWN_IDS, deepFreezeForTest, documentArb, refsArb, tableArb } from "./__fixtures__/documents.js";

const RUNS = { numRuns: 200 };

/** A policy with its refs: refs drawn from its own ids plus unknown ones. */
const caseArb = tableArb.chain((table) => {
  const policy = new DoctrineAuthorityPolicy(table);
  return fc.record({ policy: fc.constant(policy), document: documentArb, refs: refsArb(policy.doctrineIds) });
});

const list = <T>(value: T[] | null | undefined): T[] => (Array.isArray(value) ? value : []);

/** `small` is a sub-multiset of `big` (elements compared as JSON). */
function isSubMultiset(small: readonly unknown[], big: readonly unknown[]): boolean {
  const counts = new Map<string, number>();
  for (const item of big) counts.set(JSON.stringify(item), (counts.get(JSON.stringify(item)) ?? 0) + 1);
  for (const item of small) {
    const key = JSON.stringify(item);
    const left = counts.get(key) ?? 0;
    if (left === 0) return false;
    counts.set(key, left - 1);
  }
  return true;
}

/** Everything but the governed values, to check nothing else moved. */
function ungoverned(document: ExecutionCellDocument): unknown {
  const copy = structuredClone(document);
  const authority = copy.spec.authority;
  delete authority.egressRules;
  delete authority.secretRefs;
  delete authority.capabilities;
  if (authority.filesystem) {
    delete authority.filesystem.readOnly;
    delete authority.filesystem.writablePaths;
    if (Object.keys(authority.filesystem).length === 0) delete authority.filesystem;
  } else delete authority.filesystem;
  if (authority.exports) {
    delete (authority.exports as { allowed?: boolean }).allowed;
    if (Object.keys(authority.exports).length === 0) delete authority.exports;
  } else delete authority.exports;
  delete (copy.spec.lifetime as { ttlSeconds?: number }).ttlSeconds;
  if (copy.spec.run) delete copy.spec.run.timeoutMs;
  return copy;
}

function expectNeverWider(input: ExecutionCellDocument, output: ExecutionCellDocument): void {
  const a = input.spec.authority;
  const b = output.spec.authority;
  expect(isSubMultiset(list(b.egressRules), list(a.egressRules))).toBe(true);
  expect(isSubMultiset(list(b.secretRefs), list(a.secretRefs))).toBe(true);
  expect(isSubMultiset(list(b.capabilities), list(a.capabilities))).toBe(true);
  expect(isSubMultiset(list(b.filesystem?.writablePaths), list(a.filesystem?.writablePaths))).toBe(true);
  if (a.filesystem?.readOnly === true) expect(b.filesystem?.readOnly).toBe(true);
  if (a.exports?.allowed === false) expect(b.exports?.allowed).toBe(false);
  expect(output.spec.lifetime.ttlSeconds).toBeLessThanOrEqual(input.spec.lifetime.ttlSeconds);
  const timeoutBefore = input.spec.run?.timeoutMs;
  const timeoutAfter = output.spec.run?.timeoutMs;
  if (typeof timeoutBefore === "number") expect(timeoutAfter).toBeLessThanOrEqual(timeoutBefore);
  else expect(timeoutAfter).toBe(timeoutBefore);
  expect(ungoverned(output)).toStrictEqual(ungoverned(input));
}

/** Sets `path` (a JSON pointer) to `value`, creating missing parents. */
function setPointer(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.slice(1).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  let node = target;
  parts.slice(0, -1).forEach((part) => {
    const next = node[part];
    if (typeof next !== "object" || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  });
  node[parts.at(-1) ?? ""] = structuredClone(value);
}

describe("the law: doctrine only ever narrows authority", () => {
  it("1. never wider: on every axis the result authorizes no more than the input", () => {
    fc.assert(
      fc.property(caseArb, ({ policy, document, refs }) => {
        expectNeverWider(document, policy.apply(document, refs).document);
      }),
      RUNS,
    );
  });

  it("2. idempotent: applying the same refs to the result changes nothing", () => {
    fc.assert(
      fc.property(caseArb, ({ policy, document, refs }) => {
        const once = policy.apply(document, refs);
        const twice = policy.apply(once.document, refs);
        expect(twice.document).toStrictEqual(once.document);
        expect(twice.applied.flatMap((a) => a.changes)).toEqual([]);
        expect(twice.unknownDoctrineIds).toEqual(once.unknownDoctrineIds);
      }),
      RUNS,
    );
  });

  it("3. order-independent: any permutation of the refs gives the same document", () => {
    const permuted = caseArb.chain((c) =>
      fc.record({ c: fc.constant(c), shuffled: fc.shuffledSubarray(c.refs, { minLength: c.refs.length, maxLength: c.refs.length }) }),
    );
    fc.assert(
      fc.property(permuted, ({ c: { policy, document, refs }, shuffled }) => {
        const a = policy.apply(document, refs);
        const b = policy.apply(document, shuffled);
        expect(b.document).toStrictEqual(a.document);
        expect([...b.unknownDoctrineIds].sort()).toEqual([...a.unknownDoctrineIds].sort());
        expect([...b.applied].sort((x, y) => (x.doctrineId < y.doctrineId ? -1 : 1))).toEqual(
          [...a.applied].sort((x, y) => (x.doctrineId < y.doctrineId ? -1 : 1)),
        );
      }),
      RUNS,
    );
  });

  it("4. unknown ids alone change nothing and are all reported", () => {
    const unknownRefs = fc.array(fc.oneof(fc.constantFrom(...UNKNOWN_IDS), fc.string({ maxLength: 10 })), { maxLength: 10 });
    fc.assert(
      fc.property(tableArb, documentArb, unknownRefs, (table, document, candidates) => {
        const policy = new DoctrineAuthorityPolicy(table);
        const refs = candidates.filter((ref) => !policy.knows(ref));
        const { document: output, applied, unknownDoctrineIds } = policy.apply(document, refs);
        expect(output).toStrictEqual(document);
        expect(applied).toEqual([]);
        expect(unknownDoctrineIds).toEqual([...new Set(refs)]);
      }),
      RUNS,
    );
  });

  it("5. the output passes validateExecutionCellDocument whenever the input did", () => {
    fc.assert(
      fc.property(caseArb, ({ policy, document, refs }) => {
        validateExecutionCellDocument(document);
        expect(() => validateExecutionCellDocument(policy.apply(document, refs).document)).not.toThrow();
      }),
      RUNS,
    );
  });

  it("applying refs in two steps equals applying them all at once (the meet is the sequential composition)", () => {
    const split = caseArb.chain((c) => fc.record({ c: fc.constant(c), cut: fc.integer({ min: 0, max: c.refs.length }) }));
    fc.assert(
      fc.property(split, ({ c: { policy, document, refs }, cut }) => {
        const stepwise = policy.apply(policy.apply(document, refs.slice(0, cut)).document, refs.slice(cut));
        expect(stepwise.document).toStrictEqual(policy.apply(document, refs).document);
      }),
      RUNS,
    );
  });

  it("the input is never mutated, even when deep-frozen, and unknown refs are reported whatever else matched", () => {
    fc.assert(
      fc.property(caseArb, ({ policy, document, refs }) => {
        const snapshot = structuredClone(document);
        const frozen = deepFreezeForTest(document);
        const { unknownDoctrineIds } = policy.apply(frozen, refs);
        expect(frozen).toStrictEqual(snapshot);
        expect(unknownDoctrineIds).toEqual([...new Set(refs.filter((r) => !policy.knows(r)))]);
      }),
      RUNS,
    );
  });

  it("the changes explain the whole difference: replayed on the input they give the output, each credited", () => {
    fc.assert(
      fc.property(caseArb, ({ policy, document, refs }) => {
        const { document: output, applied } = policy.apply(document, refs);
        const replayed = structuredClone(document) as unknown as Record<string, unknown>;
        const changes = new Map<string, unknown>();
        for (const { changes: list } of applied) for (const c of list) changes.set(c.path, c.after);
        for (const [path, after] of changes) setPointer(replayed, path, after);
        expect(replayed).toStrictEqual(output);
        for (const { changes: list } of applied) for (const c of list) expect(c.before).not.toStrictEqual(c.after);
      }),
      RUNS,
    );
  });
});
