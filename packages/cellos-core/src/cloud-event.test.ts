import { describe, expect, it } from "vitest";
import { CellosError, parseCloudEventV1, safeParseCloudEventV1 } from "./index.js";

const wire = {
  specversion: "1.0",
  id: "test-dev.cellos.events.cell.lifecycle.v1.destroyed",
  source: "test",
  type: "dev.cellos.events.cell.lifecycle.v1.destroyed",
  datacontenttype: "application/json",
  data: { cellId: "target-cell", outcome: "succeeded" },
  time: "2026-05-01T12:00:00.123456789Z",
};

describe("CloudEventV1", () => {
  it("parses a received event and keeps its time string exactly", () => {
    const event = parseCloudEventV1(wire);
    expect(event.time).toBe("2026-05-01T12:00:00.123456789Z");
    expect(JSON.stringify(event)).toBe(JSON.stringify(wire));
  });

  it("keeps extension attributes and unknown keys", () => {
    const input = { ...wire, cellosdigest: "abc", subject: "cell:target-cell", traceparent: "00-aa-bb-01", partitionkey: "k" };
    expect(parseCloudEventV1(input)).toEqual(input);
  });

  it("accepts absent or null optional attributes", () => {
    expect(parseCloudEventV1({ specversion: "1.0", id: "1", source: "s", type: "t" })).toEqual({ specversion: "1.0", id: "1", source: "s", type: "t" });
    const nulls = { specversion: "1.0", id: "1", source: "s", type: "t", time: null, datacontenttype: null, data: null, traceparent: null };
    expect(parseCloudEventV1(nulls)).toEqual(nulls);
  });

  it("rejects a missing id, source or type and another spec version, listing each", () => {
    const result = safeParseCloudEventV1({ specversion: "0.3", id: "", time: 5 });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(CellosError);
      expect(result.error.problems.map((p) => p.path)).toEqual(["specversion", "id", "source", "type", "time"]);
    }
  });

  it("throws CellosError from parseCloudEventV1", () => {
    expect(() => parseCloudEventV1("not an event")).toThrow(CellosError);
  });
});
