import fc from "fast-check";
import { decodeTime } from "ulid";
import { describe, expect, it } from "vitest";
import { CortexCoreError } from "./errors.js";
import {
  isPrefixedId,
  newCorrelationId,
  newEventId,
  newPrefixedId,
  parseCorrelationId,
  parseEventId,
  parsePrefixedId,
  EventIdSchema,
  PrefixedIdSchema,
} from "./ids.js";

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof CortexCoreError) return error.kind;
    throw error;
  }
}

describe("ids", () => {
  it("new event ids are evt_ plus an upper-case ULID of the current time", () => {
    const before = Date.now();
    const id = newEventId();
    expect(id).toMatch(/^evt_/);
    const ulid = id.slice(4);
    expect(ulid).toMatch(ULID_RE);
    expect(decodeTime(ulid)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(ulid)).toBeLessThanOrEqual(Date.now());
    expect(parseEventId(id)).toBe(id);
  });

  it("new correlation ids are cor_ plus a ULID", () => {
    const id = newCorrelationId();
    expect(id).toMatch(/^cor_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(parseCorrelationId(id)).toBe(id);
  });

  it("ids are strictly increasing within one millisecond (monotonic ULIDs)", () => {
    const ids = Array.from({ length: 2000 }, () => newEventId());
    for (let i = 1; i < ids.length; i++) expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("parses the upstream example id", () => {
    expect(parseEventId("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBe("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  });

  it("rejects a wrong prefix and names both prefixes", () => {
    const id = newCorrelationId();
    expect(() => parseEventId(id)).toThrow(CortexCoreError);
    expect(() => parseEventId(id)).toThrow(/has prefix "cor", expected "evt"/);
    expect(() => parseCorrelationId("evt_01ARZ3NDEKTSV4RRFFQ69G5FAV")).toThrow(/expected "cor"/);
  });

  it("rejects malformed ULIDs", () => {
    for (const bad of [
      "evt_",
      "evt_01ARZ3NDEKTSV4RRFFQ69G5FA", // 25 chars
      "evt_01ARZ3NDEKTSV4RRFFQ69G5FAVX", // 27 chars
      "evt_01arz3ndektsv4rrffq69g5fav", // lower case is not canonical (ADR 0005)
      "evt_01ARZ3NDEKTSV4RRFFQ69G5FAI", // I is not Crockford
      "evt_81ARZ3NDEKTSV4RRFFQ69G5FAV", // overflows 128 bits
      "evt01ARZ3NDEKTSV4RRFFQ69G5FAV",
      "EVT_01ARZ3NDEKTSV4RRFFQ69G5FAV",
      " evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ]) {
      expect(kindOf(() => parseEventId(bad)), bad).toBe("InvalidId");
    }
  });

  it("the error message names the offending value", () => {
    expect(() => parseEventId("evt_nope")).toThrow(/"evt_nope"/);
  });

  it("prefixed ids of any lower-case prefix", () => {
    const id = newPrefixedId("ctx");
    expect(parsePrefixedId(id, "ctx")).toBe(id);
    expect(isPrefixedId(id)).toBe(true);
    expect(isPrefixedId(id, "mem")).toBe(false);
    expect(PrefixedIdSchema.safeParse(id).success).toBe(true);
    expect(kindOf(() => newPrefixedId("Bad"))).toBe("InvalidId");
  });

  it("zod schemas carry the parser's explanation", () => {
    const result = EventIdSchema.safeParse("cor_01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/expected "evt"/);
  });

  it("junk never parses and only ever fails with CortexCoreError InvalidId", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything(), fc.string().map((s) => `evt_${s}`)), (junk) => {
        fc.pre(!(typeof junk === "string" && /^evt_[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(junk)));
        expect(kindOf(() => parseEventId(junk))).toBe("InvalidId");
        expect(kindOf(() => parseCorrelationId(junk))).toBe("InvalidId");
      }),
      { numRuns: 300 },
    );
  });

  it("every valid ULID text parses (round trip)", () => {
    const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const ulidArb = fc
      .tuple(fc.constantFrom(..."01234567"), fc.array(fc.constantFrom(...crockford), { minLength: 25, maxLength: 25 }))
      .map(([first, rest]) => first + rest.join(""));
    fc.assert(
      fc.property(ulidArb, (ulid) => {
        expect(parseEventId(`evt_${ulid}`)).toBe(`evt_${ulid}`);
      }),
      { numRuns: 200 },
    );
  });
});
