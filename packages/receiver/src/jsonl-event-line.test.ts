import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIFECYCLE_DESTROYED, ev } from "./__fixtures__/events.js";
import { decodeJsonlLine, decodeJsonlText, parseJsonlEvents } from "./jsonl-event-line.js";
import { JsonlLineSplitter } from "./jsonl-line-splitter.js";
import { isSignedEventEnvelope } from "./signed-envelope.js";

const event = ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:04Z", { cellId: "c", outcome: "succeeded" });

describe("decodeJsonlLine", () => {
  it("decodes a CloudEvent line, keeping unknown attributes and time as written", () => {
    const line = JSON.stringify({ ...event, time: "2026-01-01T00:00:04.123456789+02:00", partitionkey: "p1" });
    const result = decodeJsonlText(line);
    expect(result.status).toBe("event");
    if (result.status !== "event") return;
    expect(result.event.time).toBe("2026-01-01T00:00:04.123456789+02:00");
    expect((result.event as Record<string, unknown>).partitionkey).toBe("p1");
    expect(result.signed).toBe(false);
  });

  it("skips blank lines silently", () => {
    expect(decodeJsonlLine(Buffer.from(""))).toEqual({ status: "blank" });
    expect(decodeJsonlLine(Buffer.from(" \t\r"))).toEqual({ status: "blank" });
  });

  it("reports null, arrays, numbers, strings and booleans as not-an-object", () => {
    for (const text of ["null", "[]", "[1,2]", "42", "-1.5e3", '"text"', "true"]) {
      const result = decodeJsonlText(text);
      expect(result.status, text).toBe("invalid");
      if (result.status === "invalid") expect(result.kind, text).toBe("not-an-object");
    }
  });

  it("reports malformed JSON", () => {
    for (const text of ["{", '{"a":}', "{'a':1}", `${JSON.stringify(event)} trailing`, "nul"]) {
      const result = decodeJsonlText(text);
      expect(result.status === "invalid" && result.kind, text).toBe("malformed-json");
    }
  });

  it("reports invalid UTF-8", () => {
    const valid = Buffer.from(JSON.stringify({ ...event, id: "XX" }));
    const at = valid.indexOf("XX");
    for (const [first, second] of [[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0]] as const) {
      const bytes = Buffer.from(valid);
      bytes[at] = first;
      bytes[at + 1] = second;
      const result = decodeJsonlLine(bytes);
      expect(result.status === "invalid" && result.kind).toBe("invalid-utf8");
    }
  });

  it("reports objects that are not CloudEvents, naming the field", () => {
    const cases: [unknown, string][] = [
      [{}, "specversion"],
      [{ ...event, specversion: "0.3" }, "specversion"],
      [{ ...event, id: "" }, "id"],
      [{ ...event, id: 7 }, "id"],
      [{ ...event, source: undefined }, "source"],
      [{ ...event, type: null }, "type"],
      [{ ...event, time: 1_767_225_604_000 }, "time"],
    ];
    for (const [value, field] of cases) {
      const result = decodeJsonlText(JSON.stringify(value));
      expect(result.status === "invalid" && result.kind).toBe("invalid-event");
      if (result.status === "invalid") expect(result.reason).toContain(field);
    }
  });

  it("unwraps a signed envelope and yields the inner event", () => {
    const envelope = { event, signature: "c2lnbmF0dXJl", signerKid: "supervisor-1", algorithm: "ed25519" };
    expect(isSignedEventEnvelope(envelope)).toBe(true);
    const result = decodeJsonlText(JSON.stringify(envelope));
    expect(result).toEqual({ status: "event", event, signed: true });
    const multi = decodeJsonlText(JSON.stringify({ event, signatures: [{ kid: "k", sig: "s" }] }));
    expect(multi.status === "event" && multi.signed).toBe(true);
  });

  it("does not treat unsigned wrappers or CloudEvents with an `event` extension as envelopes", () => {
    expect(isSignedEventEnvelope({ event })).toBe(false);
    expect(isSignedEventEnvelope({ event, signature: "" })).toBe(false);
    expect(isSignedEventEnvelope({ event, signatures: [] })).toBe(false);
    expect(isSignedEventEnvelope({ event: "x", signature: "s" })).toBe(false);
    expect(isSignedEventEnvelope({ ...event, event: {}, signature: "s" })).toBe(false);
    expect(decodeJsonlText(JSON.stringify({ event })).status).toBe("invalid");
  });

  it("rejects an envelope whose inner event is invalid, or that the verifier refuses", () => {
    const bad = decodeJsonlText(JSON.stringify({ event: { ...event, id: "" }, signature: "s" }));
    expect(bad.status === "invalid" && bad.kind).toBe("invalid-event");
    if (bad.status === "invalid") expect(bad.reason).toContain("signed envelope");
    const refused = decodeJsonlText(JSON.stringify({ event, signature: "forged" }), { verifyEnvelope: (e) => e.signature === "good" });
    expect(refused.status === "invalid" && refused.kind).toBe("bad-signature");
    const accepted = decodeJsonlText(JSON.stringify({ event, signature: "good" }), { verifyEnvelope: (e) => e.signature === "good" });
    expect(accepted.status).toBe("event");
    const throwing = decodeJsonlText(JSON.stringify({ event, signature: "x" }), {
      verifyEnvelope: () => {
        throw new Error("no key");
      },
    });
    expect(throwing.status === "invalid" && throwing.reason).toContain("no key");
  });

  it("checks data of known types only when validateData is on", () => {
    const noSpecId = JSON.stringify(ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" }));
    expect(decodeJsonlText(noSpecId).status).toBe("event");
    const strict = decodeJsonlText(noSpecId, { validateData: true });
    expect(strict.status === "invalid" && strict.reason).toContain("data.specId");
    const ok = JSON.stringify(ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", specId: "c", outcome: "succeeded" }));
    expect(decodeJsonlText(ok, { validateData: true }).status).toBe("event");
  });
});

describe("parseJsonlEvents (the seed's parse_jsonl_events)", () => {
  it("keeps every valid line in order and skips the rest", () => {
    const a = ev(LIFECYCLE_DESTROYED, undefined, { cellId: "a", outcome: "failed" }, "a");
    const b = ev(LIFECYCLE_DESTROYED, undefined, { cellId: "b", outcome: "failed" }, "b");
    const text = [JSON.stringify(a), "", "garbage", "null", JSON.stringify({ event: b, signature: "s" }), "{"].join("\n");
    expect(parseJsonlEvents(text)).toEqual([a, b]);
  });
});

describe("the JSONL pipeline (splitter + decoder)", () => {
  it("lets exactly the valid events through, in order, for any junk and any chunking (property)", () => {
    const validEvent = fc.record({
      id: fc.string({ minLength: 1, maxLength: 8 }),
      cellId: fc.string({ maxLength: 8 }),
      note: fc.string({ maxLength: 12, unit: "grapheme" }),
      signed: fc.boolean(),
    });
    const junkLine = fc.oneof(
      fc.string({ maxLength: 40 }).filter((t) => !t.includes("\n")),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a)).toString("latin1")),
      fc.constant('{"specversion":"1.0","id":"","source":"s","type":"t"}'),
      fc.constant('{"event":{"specversion":"1.0","id":"x","source":"s","type":"t"}}'),
    );
    const line = fc.oneof(validEvent.map((e) => ({ valid: true as const, e })), junkLine.map((j) => ({ valid: false as const, j })));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const expected: CloudEventV1[] = [];
        const text = lines
          .map((l) => {
            if (!l.valid) return l.j;
            const event = { ...ev(LIFECYCLE_DESTROYED, undefined, { cellId: l.e.cellId, note: l.e.note }), id: l.e.id };
            expected.push(event);
            return JSON.stringify(l.e.signed ? { event, signature: "sig" } : event);
          })
          .join("\n") + "\n";
        const bytes = Buffer.from(text, "utf8");
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const splitter = new JsonlLineSplitter(1024 * 1024);
        const got: CloudEventV1[] = [];
        let start = 0;
        for (const end of [...points, bytes.length]) {
          splitter.push(bytes.subarray(start, end), (split) => {
            if (split.kind !== "line") return;
            const result = decodeJsonlLine(split.bytes);
            if (result.status === "event") got.push(result.event);
          });
          start = end;
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
