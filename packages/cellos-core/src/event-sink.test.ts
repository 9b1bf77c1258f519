import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CellosError, JsonlFileEventSink, MemoryEventSink, NoopEventSink, commandCompletedEvent, cortexDispatchedEvent, lifecycleStartedEvent, parseCloudEventV1 } from "./index.js";
import type { CloudEventV1, EventSink } from "./index.js";

const source = "/test";

function started(cellId: string): CloudEventV1 {
  return lifecycleStartedEvent({ source, cellId, specId: "spec" });
}

async function rejection(promise: Promise<unknown>): Promise<CellosError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CellosError) return error;
    throw error;
  }
  throw new Error("expected a CellosError rejection");
}

describe("NoopEventSink", () => {
  it("accepts every event", async () => {
    const sink: EventSink = new NoopEventSink();
    await expect(sink.emit(started("c"))).resolves.toBeUndefined();
  });
});

describe("MemoryEventSink", () => {
  it("keeps emitted events in order as copies", async () => {
    const sink = new MemoryEventSink();
    const first = started("a");
    await sink.emit(first);
    await sink.emit(cortexDispatchedEvent({ source, packId: "p", cellId: "b", doctrineRefs: ["D1"] }));
    (first.data as { cellId: string }).cellId = "mutated later";
    expect(sink.events.map((e) => (e.data as { cellId: string }).cellId)).toEqual(["a", "b"]);
    expect(sink.ofType("dev.cellos.events.cell.cortex.v1.dispatched")).toHaveLength(1);
    sink.clear();
    expect(sink.events).toEqual([]);
  });

  it("rejects with EventSink for an event that cannot be copied", async () => {
    const sink = new MemoryEventSink();
    const event = { ...started("a"), data: { fn: () => 1 } };
    const error = await rejection(sink.emit(event));
    expect(error.kind).toBe("EventSink");
    expect(sink.events).toHaveLength(0);
  });
});

describe("JsonlFileEventSink", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cellos-core-jsonl-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("appends one JSON object per line, creating the file and its directory", async () => {
    const path = join(dir, "nested", "events.jsonl");
    const sink = new JsonlFileEventSink({ path });
    const events = [started("a"), commandCompletedEvent({ source, cellId: "a", specId: "s", argv: ["x"], exitCode: 0, durationMs: 3, time: "2026-01-01T00:00:00.123456789Z" })];
    for (const event of events) await sink.emit(event);
    await sink.close();
    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines).toEqual(events.map((e) => JSON.stringify(e)));
    expect(parseCloudEventV1(JSON.parse(lines[1] ?? "")).time).toBe("2026-01-01T00:00:00.123456789Z");
  });

  it("appends to an existing file", async () => {
    const path = join(dir, "events.jsonl");
    await writeFile(path, '{"existing":true}\n');
    const sink = new JsonlFileEventSink({ path });
    await sink.emit(started("a"));
    await sink.close();
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('{"existing":true}');
  });

  it("concurrent emits from one process never interleave or tear a line", async () => {
    const path = join(dir, "events.jsonl");
    const sinks = [new JsonlFileEventSink({ path }), new JsonlFileEventSink({ path })] as const;
    // Mixed sizes, up to ~200 KB, so a torn or interleaved write would show.
    const events = Array.from({ length: 300 }, (_, i) =>
      commandCompletedEvent({ source, cellId: `cell-${i}`, specId: "s", argv: ["x".repeat((i * 7919) % 200_000)], exitCode: i, durationMs: i }),
    );
    await Promise.all(events.map((event, i) => sinks[i % 2 === 0 ? 0 : 1].emit(event)));
    await Promise.all(sinks.map((s) => s.close()));
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(events.length);
    const ids = lines.map((line) => parseCloudEventV1(JSON.parse(line)).id);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    // One sink writes its own emits in call order.
    const firstSinkIds = events.filter((_, i) => i % 2 === 0).map((e) => e.id);
    expect(ids.filter((id) => firstSinkIds.includes(id))).toEqual(firstSinkIds);
  });

  it("rejects an invalid event with EventSink and writes nothing", async () => {
    const path = join(dir, "events.jsonl");
    const sink = new JsonlFileEventSink({ path });
    const error = await rejection(sink.emit({ specversion: "1.0", id: "", source, type: "t" }));
    expect(error.kind).toBe("EventSink");
    expect(error.message).toContain("id");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await rejection(sink.emit({ ...started("a"), data: cyclic }))).kind).toBe("EventSink");
    await sink.emit(started("after"));
    await sink.close();
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(1);
  });

  it("rejects with EventSink naming the path when the file cannot be opened, and keeps working for later emits", async () => {
    const path = join(dir, "is-a-dir");
    await mkdir(path);
    const sink = new JsonlFileEventSink({ path });
    const error = await rejection(sink.emit(started("a")));
    expect(error.kind).toBe("EventSink");
    expect(error.message).toContain(path);
    await rm(path, { recursive: true });
    await sink.emit(started("b"));
    await sink.close();
    expect((await readFile(path, "utf8")).trimEnd().split("\n")).toHaveLength(1);
  });

  it("rejects emits after close", async () => {
    const sink = new JsonlFileEventSink({ path: join(dir, "e.jsonl") });
    await sink.emit(started("a"));
    await sink.close();
    expect((await rejection(sink.emit(started("b")))).message).toContain("closed");
  });

  it("needs a path", () => {
    expect(() => new JsonlFileEventSink({ path: "" })).toThrow(CellosError);
  });
});
