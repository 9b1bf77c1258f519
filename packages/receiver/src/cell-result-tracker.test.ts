import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COMMAND_COMPLETED,
  EXPORT_V1_COMPLETED,
  EXPORT_V2_COMPLETED,
  LIFECYCLE_DESTROYED,
  LIFECYCLE_STARTED,
  cellEvent,
  ev,
  jsonl,
  withTempDir,
} from "./__fixtures__/events.js";
import type { CellEventSource } from "./cell-event-source.js";
import { CellResultTracker } from "./cell-result-tracker.js";
import { buildCellResult } from "./cell-result.js";
import { EventChannel } from "./event-channel.js";
import { JsonlTailSource } from "./jsonl-tail.js";
import type { ReceiverLogger } from "./logger.js";
import { ReceiverError } from "./receiver-error.js";

const quiet: ReceiverLogger = { warn: () => undefined };

function destroyed(cellId: string, outcome = "succeeded", time = "2026-01-01T00:00:04Z"): CloudEventV1 {
  return cellEvent(LIFECYCLE_DESTROYED, cellId, { outcome }, time);
}

async function settle(tracker: CellResultTracker, events: number): Promise<void> {
  // The channel hands events over in microtasks; wait until the tracker has read them.
  for (let i = 0; i < 1000 && tracker.stats.events < events; i++) await new Promise((r) => setImmediate(r));
}

describe("CellResultTracker — the seed's wait_for_result over a JSONL file", () => {
  it("wait for result timeout returns err", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      await writeFile(path, jsonl([ev(LIFECYCLE_STARTED, "2026-01-01T00:00:00Z", { cellId: "other-cell" })]));
      const tracker = new CellResultTracker(new JsonlTailSource({ path, logger: quiet }), { logger: quiet });
      try {
        const error: unknown = await tracker.waitFor("target-cell", { timeoutMs: 150 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ReceiverError);
        expect((error as ReceiverError).kind).toBe("Timeout");
        expect((error as ReceiverError).message).toContain("timeout");
        expect((error as ReceiverError).message).toContain("target-cell");
      } finally {
        await tracker.close();
      }
    });
  });

  it("wait for result parses destroyed event", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const lines = [
        ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:00Z", { cellId: "noise", outcome: "failed" }),
        ev(EXPORT_V1_COMPLETED, "2026-01-01T00:00:01Z", { cellId: "target-cell", destinationRelative: "out/report.md" }),
        ev(EXPORT_V2_COMPLETED, "2026-01-01T00:00:02Z", { cellId: "target-cell", receipt: { destination: "out/audit.json" } }),
        ev(COMMAND_COMPLETED, "2026-01-01T00:00:03Z", { cellId: "target-cell", exitCode: 0, durationMs: 1234, argv: ["agent", "do-thing"] }),
        ev(LIFECYCLE_DESTROYED, "2026-01-01T00:00:04Z", { cellId: "target-cell", outcome: "succeeded" }),
      ];
      await writeFile(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
      const tracker = new CellResultTracker(new JsonlTailSource({ path, logger: quiet }), { logger: quiet });
      try {
        const result = await tracker.waitFor("target-cell", { timeoutMs: 2000 });
        expect(result.cellId).toBe("target-cell");
        expect(result.success).toBe(true);
        expect(result.exitCode).toBe(0);
        expect(result.lifecycleDestroyedAt).toBe(1_767_225_604_000);
        expect(result.exportPaths).toEqual(["out/report.md", "out/audit.json"]);
        expect(result.doctrineRefs).toEqual([]);
        expect(result.packId).toBe("");
      } finally {
        await tracker.close();
      }
    });
  });

  it("resolves a waiter that came first when the destroyed line is appended later", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.jsonl");
      const tracker = new CellResultTracker(new JsonlTailSource({ path, logger: quiet }), { logger: quiet });
      try {
        const waiting = tracker.waitFor("late-cell", { timeoutMs: 5000, packId: "blake3:abc", doctrineRefs: ["no-egress"] });
        await writeFile(path, jsonl([cellEvent(COMMAND_COMPLETED, "late-cell", { exitCode: 3 })]));
        await appendFile(path, jsonl([destroyed("late-cell", "failed")]));
        expect(await waiting).toMatchObject({ cellId: "late-cell", exitCode: 3, success: false, packId: "blake3:abc", doctrineRefs: ["no-egress"] });
      } finally {
        await tracker.close();
      }
    });
  });
});

describe("CellResultTracker", () => {
  it("serves many concurrent waiters from one reader, before and after their cells finish", async () => {
    const channel = new EventChannel();
    let readers = 0;
    const counting: CellEventSource = {
      events: (options) => {
        readers += 1;
        return channel.events(options);
      },
    };
    const tracker = new CellResultTracker(counting, { logger: quiet });
    try {
      const early = Array.from({ length: 50 }, (_, i) => tracker.waitFor(`cell-${i}`, { timeoutMs: 5000 }));
      for (let i = 0; i < 100; i++) {
        await channel.emit(cellEvent(COMMAND_COMPLETED, `cell-${i}`, { exitCode: i % 7 }));
        await channel.emit(destroyed(`cell-${i}`));
      }
      const results = await Promise.all(early);
      expect(results.map((r) => r.exitCode)).toEqual(Array.from({ length: 50 }, (_, i) => i % 7));
      await settle(tracker, 200);
      const late = await Promise.all(Array.from({ length: 50 }, (_, i) => tracker.waitFor(`cell-${50 + i}`, { timeoutMs: 5000 })));
      expect(late.map((r) => r.cellId)).toEqual(Array.from({ length: 50 }, (_, i) => `cell-${50 + i}`));
      expect(readers).toBe(1);
    } finally {
      await tracker.close();
    }
  });

  it("two waiters for the same cell both resolve, each with its own pack context", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { logger: quiet });
    try {
      const a = tracker.waitFor("c", { timeoutMs: 5000, packId: "p1", doctrineRefs: ["d1"] });
      const b = tracker.waitFor("c", { timeoutMs: 5000 });
      await channel.emit(destroyed("c"));
      expect((await a).packId).toBe("p1");
      expect((await a).doctrineRefs).toEqual(["d1"]);
      expect((await b).packId).toBe("");
      expect((await b).doctrineRefs).toEqual([]);
    } finally {
      await tracker.close();
    }
  });

  it("drops duplicate events (same source and id), so an export counted twice is listed once", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { logger: quiet });
    try {
      const exported = cellEvent(EXPORT_V1_COMPLETED, "d", { destinationRelative: "out/a.md" });
      const command = cellEvent(COMMAND_COMPLETED, "d", { exitCode: 5 });
      const end = destroyed("d");
      for (const event of [exported, exported, command, { ...exported }, end, end]) await channel.emit(event);
      const result = await tracker.waitFor("d", { timeoutMs: 5000 });
      expect(result.exportPaths).toEqual(["out/a.md"]);
      expect(result.exitCode).toBe(5);
      await settle(tracker, 6);
      expect(tracker.stats.duplicates).toBe(3);
    } finally {
      await tracker.close();
    }
  });

  it("the same id from another source, or in another cell, is a different event", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { logger: quiet });
    try {
      const one = { ...cellEvent(EXPORT_V1_COMPLETED, "e", { destinationRelative: "one" }), id: "same" };
      const two = { ...cellEvent(EXPORT_V1_COMPLETED, "e", { destinationRelative: "two" }), id: "same", source: "/other/supervisor" };
      const elsewhere = { ...destroyed("f"), id: "same" };
      const end = destroyed("e");
      for (const event of [one, two, elsewhere, end]) await channel.emit(event);
      expect((await tracker.waitFor("e", { timeoutMs: 5000 })).exportPaths).toEqual(["one", "two"]);
      expect((await tracker.waitFor("f", { timeoutMs: 5000 })).cellId).toBe("f");
    } finally {
      await tracker.close();
    }
  });

  it("a waiter sees what buildCellResult sees over the (deduplicated) stream up to the destroyed event (property)", async () => {
    const types = [LIFECYCLE_DESTROYED, COMMAND_COMPLETED, EXPORT_V1_COMPLETED, EXPORT_V2_COMPLETED, LIFECYCLE_STARTED];
    const spec = fc.record({
      type: fc.constantFrom(...types),
      cell: fc.constantFrom("a", "b", "c"),
      id: fc.integer({ min: 0, max: 15 }),
      exitCode: fc.integer({ min: -3, max: 3 }),
      outcome: fc.constantFrom("succeeded", "failed"),
      path: fc.constantFrom("x", "y", "z"),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { maxLength: 25 }), async (specs) => {
        const events = specs.map((s) =>
          ev(s.type, "2026-01-01T00:00:00Z", { cellId: s.cell, exitCode: s.exitCode, outcome: s.outcome, destinationRelative: s.path, receipt: { destination: s.path } }, `${s.cell}-${s.id}`),
        );
        const channel = new EventChannel();
        const tracker = new CellResultTracker(channel, { logger: quiet });
        try {
          for (const event of events) await channel.emit(event);
          await settle(tracker, events.length);
          for (const cell of ["a", "b", "c"]) {
            // Dedupe applies to the events a result is built from (others are not kept at all).
            const mine = events.filter((e) => (e.data as { cellId: string }).cellId === cell && e.type !== LIFECYCLE_STARTED);
            const seen = new Set<string>();
            const unique = mine.filter((e) => !seen.has(e.id) && seen.add(e.id));
            // The tracker's result is built when the last destroyed arrives, from what came before it.
            const lastDestroyed = unique.map((e) => e.type).lastIndexOf(LIFECYCLE_DESTROYED);
            const expected = lastDestroyed === -1 ? undefined : buildCellResult(cell, unique.slice(0, lastDestroyed + 1));
            expect(tracker.get(cell)).toEqual(expected);
          }
        } finally {
          await tracker.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("holds at most maxCells cells, evicting the least recently updated", async () => {
    const channel = new EventChannel();
    const warnings: string[] = [];
    const tracker = new CellResultTracker(channel, { maxCells: 3, logger: { warn: (m) => warnings.push(m) } });
    try {
      for (const id of ["a", "b", "c"]) await channel.emit(destroyed(id));
      await settle(tracker, 3);
      await tracker.waitFor("a", { timeoutMs: 1000 }); // touching a makes b the oldest
      await channel.emit(destroyed("d"));
      await settle(tracker, 4);
      expect(tracker.stats.cells).toBe(3);
      expect(tracker.stats.evictions).toBe(1);
      expect(tracker.get("b")).toBeUndefined();
      expect(tracker.get("a")?.cellId).toBe("a");
      expect(tracker.get("d")?.cellId).toBe("d");
      expect(warnings).toEqual([]); // finished cells are evicted quietly
      for (let i = 0; i < 1000; i++) await channel.emit(cellEvent(COMMAND_COMPLETED, `busy-${i}`, { exitCode: 0 }));
      await settle(tracker, 1004);
      expect(tracker.stats.cells).toBe(3);
      expect(warnings.length).toBeGreaterThan(0); // unfinished ones are reported
    } finally {
      await tracker.close();
    }
  });

  it("never evicts a cell somebody is waiting for", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { maxCells: 1, logger: quiet });
    try {
      const waiting = tracker.waitFor("kept", { timeoutMs: 5000 });
      await channel.emit(cellEvent(COMMAND_COMPLETED, "kept", { exitCode: 9 }));
      for (let i = 0; i < 20; i++) await channel.emit(destroyed(`other-${i}`));
      await channel.emit(destroyed("kept", "failed"));
      expect((await waiting).exitCode).toBe(9);
    } finally {
      await tracker.close();
    }
  });

  it("ignores events it does not need and events without a string cellId", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { logger: quiet });
    try {
      await channel.emit(cellEvent(LIFECYCLE_STARTED, "s"));
      await channel.emit({ ...destroyed("x"), data: { cellId: 42, outcome: "succeeded" } });
      await channel.emit({ ...destroyed("x"), data: "not an object" });
      await settle(tracker, 3);
      expect(tracker.stats).toMatchObject({ events: 3, resultEvents: 0, cells: 0 });
    } finally {
      await tracker.close();
    }
  });

  it("rejects with Aborted when the signal fires, and with Closed on close", async () => {
    const tracker = new CellResultTracker(new EventChannel(), { logger: quiet });
    const controller = new AbortController();
    const aborted = tracker.waitFor("x", { timeoutMs: 5000, signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ kind: "Aborted" });
    await expect(tracker.waitFor("x", { signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: "Aborted" });
    const closed = tracker.waitFor("y", { timeoutMs: 5000 });
    await tracker.close();
    await expect(closed).rejects.toMatchObject({ kind: "Closed" });
    await expect(tracker.waitFor("y")).rejects.toMatchObject({ kind: "Closed" });
  });

  it("rejects pending and later waits with Source when the source fails or ends, but still serves known results", async () => {
    const channel = new EventChannel();
    const tracker = new CellResultTracker(channel, { logger: quiet });
    await channel.emit(destroyed("known"));
    await settle(tracker, 1);
    const pending = tracker.waitFor("unknown", { timeoutMs: 5000 });
    channel.close();
    await expect(pending).rejects.toMatchObject({ kind: "Source" });
    await expect(tracker.waitFor("other")).rejects.toMatchObject({ kind: "Source" });
    expect((await tracker.waitFor("known")).cellId).toBe("known");
    await tracker.close();

    const failing: CellEventSource = {
      events: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("disk on fire")) }),
      }),
    };
    const broken = new CellResultTracker(failing, { logger: quiet });
    const error: unknown = await broken.waitFor("z", { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "Source" });
    expect((error as Error).message).toContain("disk on fire");
    await broken.close();
  });

  it("rejects bad options", async () => {
    expect(() => new CellResultTracker(new EventChannel(), { maxCells: 0 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }));
    const tracker = new CellResultTracker(new EventChannel(), { logger: quiet });
    await expect(tracker.waitFor("x", { timeoutMs: -1 })).rejects.toMatchObject({ kind: "InvalidOptions" });
    await tracker.close();
  });
});
