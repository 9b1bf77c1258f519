import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ttlSecondsFor } from "./ttl.js";

describe("ttlSecondsFor", () => {
  const now = 1_700_000_000_000;

  it("no expiry gives the default", () => {
    expect(ttlSecondsFor({}, 300, now)).toBe(300);
  });

  it("expired pack clamps ttl to one second", () => {
    expect(ttlSecondsFor({ expiresAt: now }, 300, now)).toBe(1);
    expect(ttlSecondsFor({ expiresAt: 0 }, 300, now)).toBe(1);
  });

  it("the whole seconds remaining, at least 1 and at most the default", () => {
    expect(ttlSecondsFor({ expiresAt: now + 5_999 }, 300, now)).toBe(5);
    expect(ttlSecondsFor({ expiresAt: now + 500 }, 300, now)).toBe(1);
    expect(ttlSecondsFor({ expiresAt: now + 3_600_000 }, 300, now)).toBe(300);
  });

  it("refuses a default below one second", () => {
    expect(() => ttlSecondsFor({}, 0, now)).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => ttlSecondsFor({}, 1.5, now)).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
  });

  it("property: always within [1, default] and never above the time left (rounded up to 1)", () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 0, max: 2 * now }), { nil: undefined }), fc.integer({ min: 1, max: 100_000 }), (expiresAt, defaultTtl) => {
        const ttl = ttlSecondsFor(expiresAt === undefined ? {} : { expiresAt }, defaultTtl, now);
        expect(Number.isInteger(ttl)).toBe(true);
        expect(ttl).toBeGreaterThanOrEqual(1);
        expect(ttl).toBeLessThanOrEqual(defaultTtl);
        if (expiresAt !== undefined && expiresAt > now + 1000) expect(ttl * 1000).toBeLessThanOrEqual(expiresAt - now);
      }),
      { numRuns: 300 },
    );
  });
});
