import { CloudEventV1Schema } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIFECYCLE_DESTROYED, cellEvent } from "./__fixtures__/events.js";
import { cloudEventsModeOf, decodeCloudEventsHttp } from "./cloudevents-http.js";

const event = cellEvent(LIFECYCLE_DESTROYED, "c", { outcome: "succeeded" });
const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const binaryHeaders = {
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": "id-1",
  "ce-source": "/cellos/supervisor/h1",
  "ce-type": LIFECYCLE_DESTROYED,
};

describe("decodeCloudEventsHttp", () => {
  it("binary mode: ce-* headers become attributes, kept exactly as sent; the body is data", () => {
    const time = "2026-01-01T00:00:04.123456789+02:00";
    const result = decodeCloudEventsHttp({ ...binaryHeaders, "ce-time": time, "ce-traceparent": "00-abc-def-01", "ce-subject": "cell:c%20x" }, body({ cellId: "c", outcome: "succeeded" }));
    expect(result).toEqual({
      ok: true,
      mode: "binary",
      events: [
        {
          specversion: "1.0",
          id: "id-1",
          source: "/cellos/supervisor/h1",
          type: LIFECYCLE_DESTROYED,
          time,
          traceparent: "00-abc-def-01",
          subject: "cell:c%20x",
          datacontenttype: "application/json",
          data: { cellId: "c", outcome: "succeeded" },
        },
      ],
    });
  });

  it("binary mode: text bodies stay text, other media types become data_base64, an empty body has no data", () => {
    const text = decodeCloudEventsHttp({ ...binaryHeaders, "content-type": "text/plain; charset=utf-8" }, body("hello"));
    expect(text.ok && text.events[0]?.data).toBe("hello");
    const bin = decodeCloudEventsHttp({ ...binaryHeaders, "content-type": "application/octet-stream" }, Buffer.from([0, 255, 1]));
    expect(bin.ok && (bin.events[0] as Record<string, unknown>).data_base64).toBe(Buffer.from([0, 255, 1]).toString("base64"));
    const empty = decodeCloudEventsHttp(binaryHeaders, Buffer.alloc(0));
    expect(empty.ok && "data" in (empty.events[0] as object)).toBe(false);
  });

  it("binary mode: missing or invalid attributes are 400 naming the attribute", () => {
    const { "ce-id": _id, ...noId } = binaryHeaders;
    const missing = decodeCloudEventsHttp(noId, body({}));
    expect(missing).toMatchObject({ ok: false, status: 400, error: "invalid_event" });
    expect(!missing.ok && missing.message).toContain("id");
    const version = decodeCloudEventsHttp({ ...binaryHeaders, "ce-specversion": "0.3" }, body({}));
    expect(!version.ok && version.message).toContain("specversion");
    const badName = decodeCloudEventsHttp({ ...binaryHeaders, "ce-bad-name": "x" }, body({}));
    expect(!badName.ok && badName.message).toContain("ce-bad-name");
    const reserved = decodeCloudEventsHttp({ ...binaryHeaders, "ce-data": "x" }, body({}));
    expect(reserved.ok).toBe(false);
    const badJson = decodeCloudEventsHttp(binaryHeaders, body("{nope"));
    expect(!badJson.ok && badJson.message).toContain("JSON");
  });

  it("structured mode: one JSON object, validated", () => {
    const ok = decodeCloudEventsHttp({ "content-type": "application/cloudevents+json; charset=UTF-8" }, body(event));
    expect(ok).toEqual({ ok: true, mode: "structured", events: [event] });
    for (const value of ["null", "[]", "42", '"s"', "{"]) {
      const result = decodeCloudEventsHttp({ "content-type": "application/cloudevents+json" }, body(value));
      expect(result.ok, value).toBe(false);
      expect(!result.ok && result.status, value).toBe(400);
    }
    const invalid = decodeCloudEventsHttp({ "content-type": "application/cloudevents+json" }, body({ ...event, source: "" }));
    expect(!invalid.ok && invalid.problems?.[0]?.reason).toContain("source");
  });

  it("structured mode: time kept byte for byte", () => {
    const time = "2026-01-01t00:00:04.5z";
    const result = decodeCloudEventsHttp({ "content-type": "application/cloudevents+json" }, body({ ...event, time }));
    expect(result.ok && result.events[0]?.time).toBe(time);
  });

  it("structured mode: non-UTF-8 bodies and charsets are refused", () => {
    expect(decodeCloudEventsHttp({ "content-type": "application/cloudevents+json" }, Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, status: 400 });
    expect(decodeCloudEventsHttp({ "content-type": "application/cloudevents+json; charset=latin1" }, body(event))).toMatchObject({ ok: false, status: 415 });
  });

  it("batch mode: all events, or none with every bad index listed", () => {
    const second = cellEvent(LIFECYCLE_DESTROYED, "d", { outcome: "failed" });
    expect(decodeCloudEventsHttp({ "content-type": "application/cloudevents-batch+json" }, body([event, second]))).toEqual({ ok: true, mode: "batch", events: [event, second] });
    expect(decodeCloudEventsHttp({ "content-type": "application/cloudevents-batch+json" }, body([]))).toEqual({ ok: true, mode: "batch", events: [] });
    const mixed = decodeCloudEventsHttp({ "content-type": "application/cloudevents-batch+json" }, body([event, null, { ...second, id: "" }, 3]));
    expect(mixed).toMatchObject({ ok: false, status: 400 });
    expect(!mixed.ok && mixed.problems?.map((p) => p.index)).toEqual([1, 2, 3]);
    expect(decodeCloudEventsHttp({ "content-type": "application/cloudevents-batch+json" }, body(event))).toMatchObject({ ok: false, status: 400 });
  });

  it("other content types are 415", () => {
    for (const headers of [{}, { "content-type": "application/json" }, { "content-type": "text/plain" }, { "content-type": "application/cloudevents+xml" }, { "content-type": "application/cloudevents+xml", "ce-specversion": "1.0" }]) {
      expect(cloudEventsModeOf(headers)).toBeUndefined();
      expect(decodeCloudEventsHttp(headers, body(event))).toMatchObject({ ok: false, status: 415 });
    }
  });

  it("accepts a structured body exactly when it is a CloudEvent (property)", () => {
    const nearEvent = fc.record(
      {
        specversion: fc.oneof(fc.constant("1.0"), fc.constant("0.3"), fc.integer()),
        id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
        source: fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)),
        type: fc.string({ maxLength: 4 }),
        time: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
        data: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(nearEvent, fc.jsonValue({ maxDepth: 2 })), (value) => {
        const result = decodeCloudEventsHttp({ "content-type": "application/cloudevents+json" }, body(value));
        const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
        const valid = isObject && CloudEventV1Schema.safeParse(value).success;
        expect(result.ok).toBe(valid);
        if (!result.ok) expect(result.status).toBe(400);
      }),
      { numRuns: 300 },
    );
  });
});
