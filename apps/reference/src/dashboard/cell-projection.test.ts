import { CellosEventType, commandCompletedEvent, lifecycleDestroyedEvent, lifecycleFailedEvent, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { buildCellResult } from "@cellos-cortex/receiver";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { at, cellEvents, eventAt, SUPERVISOR, T0 } from "./__fixtures__/cell-events.js";
import { CellProjection, MAX_TIMELINE_DATA_CHARS } from "./cell-projection.js";
import { DashboardError } from "./dashboard-error.js";

function project(events: readonly CloudEventV1[], projection = new CellProjection()): CellProjection {
  for (const event of events) projection.apply(event);
  return projection;
}

describe("CellProjection", () => {
  it("follows a cell from dispatched through running to succeeded", () => {
    const events = cellEvents({ cellId: "cell-a", packId: "pack-1", doctrineRefs: ["no-egress"], exitCode: 0, outcome: "succeeded" });
    const projection = new CellProjection();
    const states = events.map((event) => {
      const change = projection.apply(event);
      if (change.kind !== "cell") throw new Error(`expected a cell change, got ${change.kind}`);
      return change.cell.state;
    });
    expect(states).toEqual(["dispatched", "running", "running", "running", "succeeded"]);
    const cell = projection.detail("cell-a");
    expect(cell).toMatchObject({
      cellId: "cell-a",
      packId: "pack-1",
      state: "succeeded",
      exitCode: 0,
      startedAt: at(0),
      startedAtMs: T0,
      destroyedAt: at(1500),
      destroyedAtMs: T0 + 1500,
      durationMs: 1500,
      reason: null,
      eventCount: 5,
    });
    expect(cell?.doctrine).toEqual({ refs: ["no-egress"], applied: [], unknownDoctrineIds: [] });
    expect(cell?.timeline.map((entry) => entry.label)).toEqual([
      "cortex.v1.dispatched",
      "lifecycle.v1.started",
      "observability.v1.process_spawned",
      "command.v1.completed",
      "lifecycle.v1.destroyed",
    ]);
    expect(cell?.timeline[3]?.summary).toBe("exit 0 after 1480 ms: node agent.mjs");
  });

  it("says failed with the command's exit code, and forced when the TTL ran out", () => {
    const projection = project([
      ...cellEvents({ cellId: "bad", exitCode: 3, outcome: "failed" }),
      ...cellEvents({ cellId: "slow", outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" }),
      ...cellEvents({ cellId: "busy" }),
    ]);
    expect(projection.detail("bad")).toMatchObject({ state: "failed", exitCode: 3 });
    // No command.completed: buildCellResult's rule gives -1 for a failed cell.
    expect(projection.detail("slow")).toMatchObject({ state: "forced", exitCode: -1, reason: "ttl_exceeded" });
    expect(projection.detail("busy")).toMatchObject({ state: "running", exitCode: null, destroyedAt: null, durationMs: null });
  });

  it("computes exit code and success exactly as buildCellResult does", () => {
    const arbitraryCell = fc.record({
      exitCodes: fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 3 }),
      outcome: fc.option(fc.constantFrom("succeeded" as const, "failed" as const), { nil: undefined }),
      shuffle: fc.boolean(),
    });
    fc.assert(
      fc.property(arbitraryCell, ({ exitCodes, outcome, shuffle }) => {
        const base = { source: SUPERVISOR, cellId: "c", specId: "c" };
        const events: CloudEventV1[] = [lifecycleStartedEvent({ ...base, time: at(0) })];
        exitCodes.forEach((exitCode, i) => events.push(commandCompletedEvent({ ...base, time: at(10 + i), argv: ["x"], exitCode, durationMs: 1 })));
        if (outcome !== undefined) events.push(lifecycleDestroyedEvent({ ...base, time: at(100), outcome }));
        const ordered = shuffle ? [...events].reverse() : events;
        const cell = project(ordered).detail("c");
        const expected = buildCellResult("c", ordered);
        if (expected === undefined) {
          expect(cell?.state).toBe("running");
          const lastByOrder = ordered.filter((event) => event.type === CellosEventType.commandCompleted).at(-1);
          expect(cell?.exitCode).toBe((lastByOrder?.data as { exitCode?: number } | undefined)?.exitCode ?? null);
        } else {
          expect(cell?.exitCode).toBe(expected.exitCode);
          expect(cell?.state).toBe(expected.success ? "succeeded" : "failed");
          expect(cell?.destroyedAtMs).toBe(expected.lifecycleDestroyedAt);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("derives the state from which events are present, whatever their order", () => {
    const events = cellEvents({ cellId: "late", packId: "p", exitCode: 0, outcome: "succeeded" });
    const projection = project([...events].reverse());
    expect(projection.detail("late")).toMatchObject({ state: "succeeded", exitCode: 0, durationMs: 1500, startedAt: at(0) });
  });

  it("marks a cell failed on lifecycle.v1.failed before any destroyed event", () => {
    const base = { source: SUPERVISOR, cellId: "boot", specId: "boot" };
    const projection = project([lifecycleStartedEvent({ ...base, time: at(0) }), lifecycleFailedEvent({ ...base, time: at(5), reason: "boot_failed" })]);
    expect(projection.detail("boot")).toMatchObject({ state: "failed", reason: "boot_failed" });
    expect(projection.detail("boot")?.timeline[1]?.summary).toBe("lifecycle failed: boot_failed");
  });

  it("ignores a re-delivered event (same source and id) and events that name no cell", () => {
    const events = cellEvents({ cellId: "dup", exitCode: 0, outcome: "succeeded" });
    const projection = project(events);
    const again = projection.apply(eventAt(events, 1));
    expect(again).toEqual({ kind: "duplicate", cellId: "dup" });
    // Same id from another source is another event.
    expect(projection.apply({ ...eventAt(events, 1), source: "/elsewhere" }).kind).toBe("cell");
    expect(projection.apply({ specversion: "1.0", id: "x", source: "/s", type: "com.example.other", data: { hello: 1 } })).toEqual({ kind: "ignored" });
    expect(projection.stats).toEqual({ cells: 1, events: 5, duplicates: 1, ignored: 1, evicted: 0 });
    expect(projection.detail("dup")?.eventCount).toBe(5);
  });

  it("keeps every value from events verbatim (escaping is the page's job)", () => {
    const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const projection = project(cellEvents({ cellId: hostile, outcome: "failed", terminalState: "forced", reason: `<b>${hostile}</b>` }));
    const cell = projection.detail(hostile);
    expect(cell?.cellId).toBe(hostile);
    expect(cell?.reason).toBe(`<b>${hostile}</b>`);
    expect(projection.snapshot()[0]?.cellId).toBe(hostile);
  });

  it("reads doctrine changes and host enforcement when events carry them", () => {
    const base = { source: SUPERVISOR, cellId: "d", specId: "d" };
    const started = lifecycleStartedEvent({ ...base, time: at(0) });
    const enriched: CloudEventV1 = {
      ...started,
      data: {
        ...started.data,
        isolation: "bubblewrap",
        enforced: { ttl: true, egress: true, secrets: false, junk: "not a boolean" },
        applied: [{ doctrineId: "no-egress", changes: [{ path: "/spec/authority/egressRules", before: [{ host: "a", port: 443 }], after: [] }] }, { notADoctrine: true }],
        unknownDoctrineIds: ["mystery"],
      },
    };
    const cell = project([enriched]).detail("d");
    expect(cell?.isolation).toBe("bubblewrap");
    expect(cell?.enforced).toEqual({ ttl: true, egress: true, secrets: false });
    expect(cell?.doctrine).toEqual({
      refs: [],
      applied: [{ doctrineId: "no-egress", changes: [{ path: "/spec/authority/egressRules", before: [{ host: "a", port: 443 }], after: [] }] }],
      unknownDoctrineIds: ["mystery"],
    });
    expect(cell?.timeline[0]?.summary).toBe("cell started (isolation: bubblewrap)");
  });

  it("lists export destinations in order", () => {
    const cell = project(cellEvents({ cellId: "e", exitCode: 0, outcome: "succeeded", exportPath: "exports/e/report.json" })).detail("e");
    expect(cell?.exportPaths).toEqual(["exports/e/report.json"]);
    expect(cell?.timeline.find((entry) => entry.label === "export.v2.completed")?.summary).toBe("exported report → exports/e/report.json");
  });

  it("summarizes data that does not match its schema instead of throwing", () => {
    const junk: CloudEventV1 = { specversion: "1.0", id: "j1", source: SUPERVISOR, type: CellosEventType.commandCompleted, data: { cellId: "j", exitCode: "zero" } };
    const cell = project([junk]).detail("j");
    expect(cell?.state).toBe("running");
    expect(cell?.exitCode).toBeNull();
    expect(cell?.timeline[0]?.summary).toMatch(/^command\.v1\.completed with unexpected data: .*exitCode/s);
  });

  it("does not keep oversized event data in the timeline", () => {
    const started = lifecycleStartedEvent({ source: SUPERVISOR, cellId: "big", specId: "big", time: at(0) });
    const cell = project([{ ...started, data: { ...started.data, blob: "x".repeat(MAX_TIMELINE_DATA_CHARS) } }]).detail("big");
    expect(cell?.timeline[0]?.data).toMatch(/characters of data, not kept/);
    expect(cell?.state).toBe("running");
  });

  it("forgets the oldest finished cell first when maxCells is reached", () => {
    const projection = new CellProjection({ maxCells: 2 });
    project([...cellEvents({ cellId: "running-1" }), ...cellEvents({ cellId: "done-1", exitCode: 0, outcome: "succeeded" })], projection);
    const change = projection.apply(eventAt(cellEvents({ cellId: "new-1" }), 0));
    expect(change).toMatchObject({ kind: "cell", evicted: ["done-1"] });
    expect(projection.snapshot().map((cell) => cell.cellId)).toEqual(["new-1", "running-1"]);
    // With no finished cell left, the oldest goes.
    const next = projection.apply(eventAt(cellEvents({ cellId: "new-2" }), 0));
    expect(next).toMatchObject({ kind: "cell", evicted: ["running-1"] });
    expect(projection.stats).toMatchObject({ cells: 2, evicted: 2 });
  });

  it("keeps the newest timeline entries and counts the dropped ones", () => {
    const projection = new CellProjection({ maxTimelineEntries: 3 });
    project(cellEvents({ cellId: "t", packId: "p", exitCode: 0, outcome: "succeeded" }), projection);
    const cell = projection.detail("t");
    expect(cell?.timeline.map((entry) => entry.label)).toEqual(["observability.v1.process_spawned", "command.v1.completed", "lifecycle.v1.destroyed"]);
    expect(cell?.droppedTimelineEntries).toBe(2);
    // State and times still come from every event, not just the kept ones.
    expect(cell).toMatchObject({ state: "succeeded", startedAt: at(0), packId: "p", eventCount: 5 });
  });

  it("lists cells newest first", () => {
    const projection = project([...cellEvents({ cellId: "first" }), ...cellEvents({ cellId: "second" }), ...cellEvents({ cellId: "third" })]);
    expect(projection.snapshot().map((cell) => cell.cellId)).toEqual(["third", "second", "first"]);
  });

  it("rejects limits that are not positive integers", () => {
    expect(() => new CellProjection({ maxCells: 0 })).toThrow(DashboardError);
    expect(() => new CellProjection({ maxTimelineEntries: 1.5 })).toThrow(/maxTimelineEntries must be a positive integer, got 1.5/);
  });

  it("never throws on junk events and keeps its bounds", () => {
    const junkEvent = fc.record({
      specversion: fc.constant("1.0"),
      id: fc.string({ minLength: 1, maxLength: 8 }),
      source: fc.constantFrom("/a", "/b"),
      type: fc.constantFrom(...Object.values(CellosEventType), "other"),
      time: fc.option(fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), { nil: undefined }),
      data: fc.oneof(
        fc.anything(),
        fc.record({ cellId: fc.constantFrom("a", "b", "c", "d", ""), outcome: fc.anything(), exitCode: fc.anything(), terminalState: fc.anything(), doctrineRefs: fc.anything(), applied: fc.anything() }),
      ),
    });
    fc.assert(
      fc.property(fc.array(junkEvent, { maxLength: 30 }), (events) => {
        const projection = new CellProjection({ maxCells: 3, maxTimelineEntries: 4 });
        for (const event of events) projection.apply(event);
        const cells = projection.snapshot();
        expect(cells.length).toBeLessThanOrEqual(3);
        for (const cell of cells) expect(projection.detail(cell.cellId)?.timeline.length).toBeLessThanOrEqual(4);
        JSON.stringify(cells);
      }),
      { numRuns: 200 },
    );
  });
});
