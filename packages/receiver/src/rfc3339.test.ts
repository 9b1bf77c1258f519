import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRfc3339ToUnixMs } from "./rfc3339.js";

describe("parseRfc3339ToUnixMs (chrono parse_from_rfc3339 + timestamp_millis)", () => {
  it("parses the seed's timestamp", () => {
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:04Z")).toBe(1_767_225_604_000);
  });

  it("accepts the forms chrono accepts", () => {
    const base = 1_767_225_604_000;
    expect(parseRfc3339ToUnixMs("2026-01-01t00:00:04z")).toBe(base);
    expect(parseRfc3339ToUnixMs("2026-01-01 00:00:04Z")).toBe(base);
    expect(parseRfc3339ToUnixMs("2026-01-01T01:30:04+01:30")).toBe(base);
    expect(parseRfc3339ToUnixMs("2025-12-31T23:00:04-01:00")).toBe(base);
    expect(parseRfc3339ToUnixMs("2025-12-31T23:00:04\u221201:00")).toBe(base);
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:04.1Z")).toBe(base + 100);
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:04.123456789123Z")).toBe(base + 123);
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:04.999999999Z")).toBe(base + 999);
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:04Z")).toBe(base);
    expect(parseRfc3339ToUnixMs("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339ToUnixMs("1970-01-01T00:00:00Z")).toBe(0);
    expect(parseRfc3339ToUnixMs("2026-01-01T00:00:00+23:59")).toBe(Date.UTC(2026, 0, 1) - (23 * 60 + 59) * 60_000);
  });

  it("counts a leap second as the 59th second plus one, as chrono does", () => {
    expect(parseRfc3339ToUnixMs("2016-12-31T23:59:60Z")).toBe(Date.UTC(2017, 0, 1));
    expect(parseRfc3339ToUnixMs("2016-12-31T23:59:60.5Z")).toBe(Date.UTC(2017, 0, 1) + 500);
  });

  it("rejects what chrono rejects", () => {
    for (const text of [
      "",
      "2026-01-01",
      "2026-01-01T00:00:04",
      "2026-01-01T00:00Z",
      "26-01-01T00:00:04Z",
      "+2026-01-01T00:00:04Z",
      "2026-1-01T00:00:04Z",
      "2026-01-01T0:00:04Z",
      "2026-01-01X00:00:04Z",
      "2026-01-01T00:00:04.Z",
      "2026-01-01T00:00:04+0100",
      "2026-01-01T00:00:04+01",
      "2026-01-01T00:00:04+24:00",
      "2026-01-01T00:00:04+01:60",
      "2026-01-01T00:00:04UTC",
      "2026-01-01T00:00:04Z ",
      " 2026-01-01T00:00:04Z",
      "2026-13-01T00:00:04Z",
      "2026-00-01T00:00:04Z",
      "2026-02-29T00:00:04Z",
      "2026-04-31T00:00:04Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:60:00Z",
      "2026-01-01T00:00:61Z",
      "２０２６-01-01T00:00:04Z",
    ]) {
      expect(parseRfc3339ToUnixMs(text), text).toBeUndefined();
    }
  });

  it("treats times before the epoch as unparsable (the seed's `ms < 0 → None`)", () => {
    expect(parseRfc3339ToUnixMs("1969-12-31T23:59:59.999Z")).toBeUndefined();
    expect(parseRfc3339ToUnixMs("0000-01-01T00:00:00Z")).toBeUndefined();
    expect(parseRfc3339ToUnixMs("1970-01-01T00:30:00+01:00")).toBeUndefined();
  });

  it("agrees with Date.parse on ISO timestamps from 1970 to 9999 (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const iso = date.toISOString();
          expect(parseRfc3339ToUnixMs(iso)).toBe(date.getTime());
          // The same instant written with a numeric offset.
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? "-" : "+";
          const abs = Math.abs(offsetMinutes);
          const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
          const expected = date.getTime();
          if (local.startsWith("+") || local.startsWith("-")) return; // outside 4-digit years
          expect(parseRfc3339ToUnixMs(text)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
