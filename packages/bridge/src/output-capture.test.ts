import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutputCapture } from "./output-capture.js";

describe("OutputCapture", () => {
  it("keeps everything under the limit", () => {
    const capture = new OutputCapture(10);
    capture.push(Buffer.from("abc"));
    capture.push(Buffer.from("def"));
    expect(capture.result()).toEqual({ text: "abcdef", totalBytes: 6, truncated: false });
  });

  it("keeps the tail over the limit", () => {
    const capture = new OutputCapture(4);
    capture.push(Buffer.from("abc"));
    capture.push(Buffer.from("defgh"));
    capture.push(Buffer.from("ij"));
    expect(capture.result()).toEqual({ text: "ghij", totalBytes: 10, truncated: true });
  });

  it("a zero limit keeps nothing but counts", () => {
    const capture = new OutputCapture(0);
    capture.push(Buffer.from("abc"));
    expect(capture.result()).toEqual({ text: "", totalBytes: 3, truncated: true });
  });

  it("property: the result is the last `limit` bytes of everything pushed", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 30 }), fc.integer({ min: 0, max: 120 }), (chunks, limit) => {
        const capture = new OutputCapture(limit);
        for (const chunk of chunks) capture.push(Buffer.from(chunk));
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const result = capture.result();
        expect(result.totalBytes).toBe(all.length);
        expect(result.text).toBe(all.subarray(Math.max(0, all.length - limit)).toString("utf8"));
        expect(result.truncated).toBe(all.length > limit);
      }),
      { numRuns: 200 },
    );
  });
});
