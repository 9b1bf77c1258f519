import { describe, expect, it } from "vitest";
import { CellosError, formatJsonPath, isCellosError, previewValue } from "./index.js";
import type { CellosDetailErrorKind } from "./index.js";

describe("CellosError", () => {
  it("formats each detail-carrying kind like the upstream Display", () => {
    const cases: [CellosDetailErrorKind, string][] = [
      ["InvalidSpec", "invalid cell specification: spec.id: bad"],
      ["Host", "host backend: spec.id: bad"],
      ["EventSink", "event sink: spec.id: bad"],
      ["SecretBroker", "secret broker: spec.id: bad"],
      ["ExportSink", "export sink: spec.id: bad"],
      ["Lifecycle", "lifecycle: spec.id: bad"],
      ["InferenceBroker", "inference broker: spec.id: bad"],
    ];
    for (const [kind, message] of cases) {
      const error = new CellosError(kind, "spec.id: bad");
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe("CellosError");
      expect(error.kind).toBe(kind);
      expect(error.detail).toBe("spec.id: bad");
      expect(error.message).toBe(message);
    }
  });

  it("ArgvTooLarge carries both numbers in the upstream wording", () => {
    const error = CellosError.argvTooLarge(4008, 3072);
    expect(error.kind).toBe("ArgvTooLarge");
    expect(error.message).toBe("spec.run.argv encoded as base64 is 4008 bytes; exceeds 3072-byte kernel cmdline limit");
    expect(error.encodedBytes).toBe(4008);
    expect(error.limitBytes).toBe(3072);
    expect(error.problems).toEqual([{ path: "spec.run.argv", segments: ["spec", "run", "argv"], message: error.message }]);
    expect(new CellosError("ArgvTooLarge", { encodedBytes: 5000, limitBytes: 3072 }).message).toContain("5000 bytes; exceeds 3072-byte");
  });

  it("invalidSpec lists every problem with its path", () => {
    const error = CellosError.invalidSpec([
      { path: "spec.id", segments: ["spec", "id"], message: "must match" },
      { path: "spec.lifetime.ttlSeconds", segments: ["spec", "lifetime", "ttlSeconds"], message: "must be ≥ 1" },
    ]);
    expect(error.message).toBe("invalid cell specification: 2 problems: spec.id: must match; spec.lifetime.ttlSeconds: must be ≥ 1");
    expect(error.problems).toHaveLength(2);
  });

  it("keeps a long problem list in `problems` and shortens the message", () => {
    const problems = Array.from({ length: 120 }, (_, i) => ({ path: `spec.run.argv[${i}]`, segments: ["spec", "run", "argv", i], message: "bad" }));
    const error = CellosError.invalidSpec(problems);
    expect(error.problems).toHaveLength(120);
    expect(error.message).toContain("120 problems");
    expect(error.message).toContain("spec.run.argv[49]: bad");
    expect(error.message).not.toContain("spec.run.argv[50]: bad");
    expect(error.message).toContain("and 70 more problems");
  });

  it("keeps the cause", () => {
    const cause = new Error("EACCES");
    expect(new CellosError("EventSink", "x", { cause }).cause).toBe(cause);
  });

  it("isCellosError narrows by kind", () => {
    const error = new CellosError("Host", "boom");
    expect(isCellosError(error)).toBe(true);
    expect(isCellosError(error, "Host")).toBe(true);
    expect(isCellosError(error, "InvalidSpec")).toBe(false);
    expect(isCellosError(new Error("x"))).toBe(false);
  });
});

describe("formatJsonPath", () => {
  it("writes dotted paths with indices and quoted odd keys", () => {
    expect(formatJsonPath([])).toBe("(root)");
    expect(formatJsonPath(["spec", "run", "argv", 0])).toBe("spec.run.argv[0]");
    expect(formatJsonPath(["spec", "correlation", "labels", "team name"])).toBe('spec.correlation.labels["team name"]');
    expect(formatJsonPath([3, "a"])).toBe("[3].a");
    expect(formatJsonPath(["x".repeat(100)]).length).toBeLessThan(80);
  });
});

describe("previewValue", () => {
  it("never renders more than a short prefix of a huge string", () => {
    const preview = previewValue("a".repeat(10_000_000));
    expect(preview.length).toBeLessThan(100);
    expect(preview).toContain("10000000 chars");
  });

  it("names the type of other values", () => {
    expect(previewValue(null)).toBe("null");
    expect(previewValue(undefined)).toBe("undefined");
    expect(previewValue(12)).toBe("12");
    expect(previewValue([1, 2])).toBe("array(2)");
    expect(previewValue({})).toBe("object");
    expect(previewValue("hi")).toBe('"hi"');
  });
});
