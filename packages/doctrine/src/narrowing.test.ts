import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoctrineError } from "./doctrine-error.js";
import { NO_NARROWING, meetNarrowings, narrowingFromRule, ruleFromNarrowing } from "./narrowing.js";
import { ruleArb } from "./__fixtures__/documents.js";

const narrowingArb = ruleArb.map(narrowingFromRule);
/** Narrowings compared as the canonical rule an operator would read. */
const asRule = ruleFromNarrowing;

describe("meet of narrowings", () => {
  it("is commutative, associative and idempotent, with NO_NARROWING as identity", () => {
    fc.assert(
      fc.property(narrowingArb, narrowingArb, narrowingArb, (a, b, c) => {
        expect(asRule(meetNarrowings(a, b))).toEqual(asRule(meetNarrowings(b, a)));
        expect(asRule(meetNarrowings(meetNarrowings(a, b), c))).toEqual(asRule(meetNarrowings(a, meetNarrowings(b, c))));
        expect(asRule(meetNarrowings(a, a))).toEqual(asRule(a));
        expect(meetNarrowings(a, NO_NARROWING)).toBe(a);
        expect(meetNarrowings(NO_NARROWING, a)).toBe(a);
      }),
      { numRuns: 300 },
    );
  });

  it("takes the tighter bound on every axis", () => {
    const a = narrowingFromRule({ maxTtlSeconds: 120, dropSecrets: ["A"], restrictEgressTo: ["*.example.com", "other.org"] });
    const b = narrowingFromRule({ maxTtlSeconds: 60, dropSecrets: ["B"], restrictEgressTo: ["api.example.com:443"], denyExports: true });
    expect(asRule(meetNarrowings(a, b))).toEqual({
      restrictEgressTo: ["api.example.com:443"],
      dropSecrets: ["A", "B"],
      maxTtlSeconds: 60,
      denyExports: true,
    });
  });

  it("dropping all absorbs dropping some, and denyEgress absorbs any allowlist", () => {
    const all = narrowingFromRule({ dropSecrets: true, dropCapabilities: true, denyEgress: true });
    const some = narrowingFromRule({ dropSecrets: ["A"], dropCapabilities: ["X"], restrictEgressTo: ["*"] });
    expect(asRule(meetNarrowings(all, some))).toEqual({ denyEgress: true, dropSecrets: true, dropCapabilities: true });
  });

  it("allowlists with nothing in common meet as denyEgress", () => {
    const a = narrowingFromRule({ restrictEgressTo: ["a.example.com"] });
    const b = narrowingFromRule({ restrictEgressTo: ["b.example.com"] });
    expect(asRule(meetNarrowings(a, b))).toEqual({ denyEgress: true });
  });

  it("a rule's own operations meet with each other", () => {
    expect(asRule(narrowingFromRule({ denyEgress: true, restrictEgressTo: ["*"] }))).toEqual({ denyEgress: true });
    expect(asRule(narrowingFromRule({ dropSecrets: [], dropCapabilities: ["B", "A", "B"] }))).toEqual({ dropCapabilities: ["A", "B"] });
    expect(asRule(narrowingFromRule({ restrictEgressTo: [] }))).toEqual({ denyEgress: true });
  });

  it("round-trips through its canonical rule", () => {
    fc.assert(
      fc.property(narrowingArb, (n) => {
        expect(asRule(narrowingFromRule(asRule(n)))).toEqual(asRule(n));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a hand-made rule with a malformed pattern with a DoctrineError", () => {
    expect(() => narrowingFromRule({ restrictEgressTo: ["bad host"] })).toThrow(DoctrineError);
  });
});
