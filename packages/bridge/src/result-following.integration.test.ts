import { join } from "node:path";
import { JsonlFileEventSink } from "@cellos-cortex/cellos-core";
import { CellResultTracker, EventChannel, JsonlTailSource } from "@cellos-cortex/receiver";
import { afterEach, describe, expect, it } from "vitest";
import { createContextPack } from "./context-pack.js";
import { CortexCellRunner } from "./cortex-cell-runner.js";
import { LocalCellHost } from "./local-cell-host.js";
import { RecordingLogger, tempDir } from "./__fixtures__/test-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir("follow");
  cleanups.push(cleanup);
  return dir;
}

/** An agent that exits 3 when its task (its `$0`) mentions "odd", else 0. */
const EXIT_BY_TASK = ["/bin/sh", "-c", 'case "$0" in *odd*) exit 3;; *) exit 0;; esac'];

describe("following cell results through a result source", () => {
  it("the events file is missing at first: the runner waits for it to appear", async () => {
    const dir = await scratch();
    const path = join(dir, "not-yet", "events.jsonl");
    const sink = new JsonlFileEventSink({ path });
    const host = new LocalCellHost({ workDir: join(dir, "cells"), isolation: "none", eventSink: sink, returnAfter: "started", logger: new RecordingLogger() });
    const runner = new CortexCellRunner(host, EXIT_BY_TASK, { resultSource: new JsonlTailSource({ path }) });
    cleanups.push(
      () => sink.close(),
      () => host.close(),
      () => runner.close(),
    );
    const result = await runner.run(createContextPack("odd one", { memoryDigest: "missing-file" }), { timeoutMs: 10_000 });
    expect(result).toMatchObject({ cellId: "cortex-missing-file-oddone", packId: "missing-file", exitCode: 3, success: false });
  });

  it("two runners share one events file and each gets its own cells' results", async () => {
    const dir = await scratch();
    const path = join(dir, "shared.jsonl");
    const runners = [0, 1].map((n) => {
      const sink = new JsonlFileEventSink({ path });
      const host = new LocalCellHost({ workDir: join(dir, `cells-${n}`), isolation: "none", eventSink: sink, returnAfter: "started", logger: new RecordingLogger() });
      const runner = new CortexCellRunner(host, EXIT_BY_TASK, { resultSource: new JsonlTailSource({ path }) });
      cleanups.push(
        () => sink.close(),
        () => host.close(),
        () => runner.close(),
      );
      return runner;
    });
    const jobs = runners.flatMap((runner, n) =>
      Array.from({ length: 5 }, (_, i) => {
        const task = `r${n} c${i} ${i % 2 === 1 ? "odd" : "even"}`;
        return runner.run(createContextPack(task, { memoryDigest: `runner${n}`, doctrineRefs: [`d${n}`] }), { timeoutMs: 15_000 }).then((result) => ({ n, i, result }));
      }),
    );
    const results = await Promise.all(jobs);
    for (const { n, i, result } of results) {
      expect(result.packId).toBe(`runner${n}`);
      expect(result.doctrineRefs).toEqual([`d${n}`]);
      expect(result.cellId).toBe(`cortex-runner${n}-r${n}c${i}${i % 2 === 1 ? "odd" : "even"}`);
      expect(result.exitCode).toBe(i % 2 === 1 ? 3 : 0);
    }
  });

  it("200 cells dispatched concurrently through one runner and one tracker all complete with the right results", async () => {
    const dir = await scratch();
    const channel = new EventChannel();
    const host = new LocalCellHost({ workDir: join(dir, "cells"), isolation: "none", eventSink: channel, returnAfter: "started", logger: new RecordingLogger() });
    const tracker = new CellResultTracker(channel);
    const runner = new CortexCellRunner(host, EXIT_BY_TASK, { resultTracker: tracker });
    cleanups.push(
      () => tracker.close(),
      () => host.close(),
      () => runner.close(),
    );
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => runner.run(createContextPack(`cell${i} ${i % 2 === 1 ? "odd" : "even"}`, { memoryDigest: `p${i}`, doctrineRefs: ["no-egress"] }), { timeoutMs: 60_000 })),
    );
    expect(results).toHaveLength(200);
    results.forEach((result, i) => {
      expect(result.packId).toBe(`p${i}`);
      expect(result.cellId.startsWith(`cortex-p${i}-cell${i}`)).toBe(true);
      expect(result.exitCode).toBe(i % 2 === 1 ? 3 : 0);
      expect(result.success).toBe(i % 2 === 0);
      expect(result.doctrineRefs).toEqual(["no-egress"]);
    });
    expect(new Set(results.map((r) => r.cellId)).size).toBe(200);
    expect(tracker.stats.cells).toBe(200);
    await host.close();
    expect(host.running).toBe(0);
  });
});
