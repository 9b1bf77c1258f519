import { commandCompletedEvent, exportV1CompletedEvent, exportV2CompletedEvent, lifecycleDestroyedEvent } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_COMPLETED, EXPORT_V1_COMPLETED, EXPORT_V2_COMPLETED, LIFECYCLE_DESTROYED, LIFECYCLE_STARTED, ev } from "./__fixtures__/events.js";
import { CortexCellResultSchema, buildCellResult } from "./cell-result.js";

describe("buildCellResult (the seed's build_result_from_events)", () => {
  // Seed: wait_for_result_parses_destroyed_event, the parsing half (the JSONL half is in cell-result-tracker.test.ts).
  it("wait for result parses destroyed event", () => {
    const events = [
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:00Z", { cellId: "noise", outcome: "failed" }),
      ev(EXPORT_V1_COMPLETED, "2026-01-01T00:00:01Z", { cellId: "target-cell", destinationRelative: "out/report.md" }),
      ev(EXPORT_V2_COMPLETED, "2026-01-01T00:00:02Z", { cellId: "target-cell", receipt: { destination: "out/audit.json" } }),
      ev(COMMAND_COMPLETED, "2026-01-01T00:00:03Z", { cellId: "target-cell", exitCode: 0, durationMs: 1234, argv: ["agent", "do-thing"] }),
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:04Z", { cellId: "target-cell", outcome: "succeeded" }),
    ];
    const result = buildCellResult("target-cell", events);
    expect(result).toEqual({
      cellId: "target-cell",
      packId: "",
      exitCode: 0,
      success: true,
      lifecycleDestroyedAt: 1_767_225_604_000,
      exportPaths: ["out/report.md", "out/audit.json"],
      doctrineRefs: [],
    });
    expect(CortexCellResultSchema.parse(result)).toEqual(result);
  });

  // Seed: wait_for_result_uses_inline_events_fast_path (the result built from a submitter's inline events).
  it("wait for result uses inline events fast path", () => {
    const lifecycleEvents = [
      ev(COMMAND_COMPLETED, "2026-01-01T00:00:03Z", { cellId: "inline-cell", exitCode: 7, durationMs: 1, argv: ["agent"] }),
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:04Z", { cellId: "inline-cell", outcome: "failed" }),
    ];
    const result = buildCellResult("inline-cell", lifecycleEvents, { packId: "pack-xyz", doctrineRefs: ["D5"] });
    expect(result?.cellId).toBe("inline-cell");
    expect(result?.packId).toBe("pack-xyz");
    expect(result?.success).toBe(false);
    expect(result?.exitCode).toBe(7);
    expect(result?.doctrineRefs).toEqual(["D5"]);
  });

  it("returns undefined while the cell has no destroyed event", () => {
    const events = [
      ev(LIFECYCLE_STARTED, "2026-01-01T00:00:00Z", { cellId: "c" }),
      ev(COMMAND_COMPLETED, "2026-01-01T00:00:01Z", { cellId: "c", exitCode: 0 }),
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:02Z", { cellId: "other", outcome: "succeeded" }),
    ];
    expect(buildCellResult("c", events)).toBeUndefined();
    expect(buildCellResult("c", [])).toBeUndefined();
  });

  it("success is exactly outcome === \"succeeded\"", () => {
    const outcome = (value: unknown) => buildCellResult("c", [ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: value })])?.success;
    expect(outcome("succeeded")).toBe(true);
    expect(outcome("failed")).toBe(false);
    expect(outcome("Succeeded")).toBe(false);
    expect(outcome(true)).toBe(false);
    expect(outcome(undefined)).toBe(false);
    expect(buildCellResult("c", [ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c" })])?.success).toBe(false);
  });

  it("exit code falls back to 0 on success and -1 on failure without a command.completed", () => {
    expect(buildCellResult("c", [ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" })])?.exitCode).toBe(0);
    expect(buildCellResult("c", [ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "failed", terminalState: "forced" })])?.exitCode).toBe(-1);
  });

  it("exit code comes from the last command.completed of the cell, not of another cell", () => {
    const events = [
      ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: 3 }, "a"),
      ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: 4 }, "b"),
      ev(COMMAND_COMPLETED, undefined, { cellId: "other", exitCode: 9 }, "c"),
      ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" }),
    ];
    expect(buildCellResult("c", events)?.exitCode).toBe(4);
  });

  it("a last command.completed without an integer exitCode falls back (an earlier one does not count)", () => {
    const events = [
      ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: 3 }, "a"),
      ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: "3" }, "b"),
      ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "failed" }),
    ];
    expect(buildCellResult("c", events)?.exitCode).toBe(-1);
    const fractional = [ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: 1.5 }), ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" })];
    expect(buildCellResult("c", fractional)?.exitCode).toBe(0);
  });

  it("exit codes outside i32 wrap like Rust's `as i32`, outside i64 fall back", () => {
    const code = (value: number, outcome = "succeeded") =>
      buildCellResult("c", [ev(COMMAND_COMPLETED, undefined, { cellId: "c", exitCode: value }), ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome })])
        ?.exitCode;
    expect(code(-1)).toBe(-1);
    expect(code(2_147_483_647)).toBe(2_147_483_647);
    expect(code(2_147_483_648)).toBe(-2_147_483_648);
    expect(code(4_294_967_297)).toBe(1);
    expect(code(2 ** 62 + 2 ** 40)).toBe(0); // low 32 bits are zero
    expect(code(2 ** 62 + 2 ** 40, "failed")).toBe(0); // an exit code, so no fallback
    expect(code(2 ** 63, "failed")).toBe(-1); // beyond i64: as_i64() is None → fallback
  });

  it("lifecycleDestroyedAt is the destroyed time in unix ms, 0 when absent, unparsable or before 1970", () => {
    const at = (time: string | undefined) => buildCellResult("c", [ev(LIFECYCLE_DESTROYED, time, { cellId: "c", outcome: "succeeded" })])?.lifecycleDestroyedAt;
    expect(at("2026-01-01T00:00:04Z")).toBe(1_767_225_604_000);
    expect(at("2026-01-01T02:00:04.5+02:00")).toBe(1_767_225_604_500);
    expect(at(undefined)).toBe(0);
    expect(at("yesterday")).toBe(0);
    expect(at("1969-12-31T23:59:59Z")).toBe(0);
  });

  it("the last destroyed event of the cell counts", () => {
    const events = [
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:01Z", { cellId: "c", outcome: "failed" }, "1"),
      ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:02Z", { cellId: "c", outcome: "succeeded" }, "2"),
    ];
    const result = buildCellResult("c", events);
    expect(result?.success).toBe(true);
    expect(result?.lifecycleDestroyedAt).toBe(1_767_225_602_000);
  });

  it("export paths: v1 destinationRelative, v2 receipt.destination else receipt.destinationRelative, in emission order", () => {
    const events = [
      ev(EXPORT_V2_COMPLETED, undefined, { cellId: "c", receipt: { destinationRelative: "b.txt" } }, "1"),
      ev(EXPORT_V1_COMPLETED, undefined, { cellId: "c", destinationRelative: "a.txt" }, "2"),
      ev(EXPORT_V2_COMPLETED, undefined, { cellId: "c", receipt: { destination: "s3://x/c.txt", destinationRelative: "ignored" } }, "3"),
      ev(EXPORT_V2_COMPLETED, undefined, { cellId: "c", receipt: {} }, "4"),
      ev(EXPORT_V1_COMPLETED, undefined, { cellId: "c" }, "5"),
      ev(EXPORT_V1_COMPLETED, undefined, { cellId: "other", destinationRelative: "not-mine" }, "6"),
      ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" }),
    ];
    expect(buildCellResult("c", events)?.exportPaths).toEqual(["b.txt", "a.txt", "s3://x/c.txt"]);
  });

  it("a v2 export that also carries a top-level destinationRelative uses it (the seed checks it first)", () => {
    const events = [
      ev(EXPORT_V2_COMPLETED, undefined, { cellId: "c", destinationRelative: "top", receipt: { destination: "nested" } }),
      ev(LIFECYCLE_DESTROYED, undefined, { cellId: "c", outcome: "succeeded" }),
    ];
    expect(buildCellResult("c", events)?.exportPaths).toEqual(["top"]);
  });

  it("events whose data is not an object, or whose cellId is not a string, are ignored", () => {
    const events = [
      ev(LIFECYCLE_DESTROYED, undefined, ["c"]),
      ev(LIFECYCLE_DESTROYED, undefined, null),
      ev(LIFECYCLE_DESTROYED, undefined, { cellId: 5, outcome: "succeeded" }),
    ];
    expect(buildCellResult("c", events)).toBeUndefined();
  });

  it("works on events built by cellos-core's constructors", () => {
    const source = "/cellos/supervisor/host-1";
    const events = [
      commandCompletedEvent({ source, cellId: "k", specId: "k", argv: ["node"], exitCode: 2, durationMs: 5 }),
      exportV1CompletedEvent({ source, cellId: "k", specId: "k", destinationRelative: "r.md" }),
      exportV2CompletedEvent({ source, cellId: "k", specId: "k", receipt: { destination: "d.json" } }),
      lifecycleDestroyedEvent({ source, cellId: "k", specId: "k", outcome: "failed", time: "2026-03-01T12:00:00.250Z" }),
    ];
    expect(buildCellResult("k", events, { packId: "blake3:p", doctrineRefs: ["no-egress"] })).toEqual({
      cellId: "k",
      packId: "blake3:p",
      exitCode: 2,
      success: false,
      lifecycleDestroyedAt: Date.parse("2026-03-01T12:00:00.250Z"),
      exportPaths: ["r.md", "d.json"],
      doctrineRefs: ["no-egress"],
    });
  });

  it("events of other cells never change a cell's result (property)", () => {
    const types = [LIFECYCLE_DESTROYED, COMMAND_COMPLETED, EXPORT_V1_COMPLETED, EXPORT_V2_COMPLETED, LIFECYCLE_STARTED];
    const eventArb = fc.record({
      type: fc.constantFrom(...types),
      cell: fc.constantFrom("a", "b"),
      exitCode: fc.integer({ min: -5, max: 5 }),
      outcome: fc.constantFrom("succeeded", "failed"),
      path: fc.string({ maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (specs) => {
        const events = specs.map((s, i) =>
          ev(s.type, "2026-01-01T00:00:00Z", { cellId: s.cell, exitCode: s.exitCode, outcome: s.outcome, destinationRelative: s.path }, String(i)),
        );
        const onlyA = events.filter((e) => (e.data as { cellId: string }).cellId === "a");
        expect(buildCellResult("a", events)).toEqual(buildCellResult("a", onlyA));
      }),
      { numRuns: 200 },
    );
  });
});
