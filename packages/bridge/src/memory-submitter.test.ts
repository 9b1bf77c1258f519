import { MemoryEventSink } from "@cellos-cortex/cellos-core";
import { buildCellResult } from "@cellos-cortex/receiver";
import { describe, expect, it } from "vitest";
import { MemorySubmitter } from "./memory-submitter.js";
import { cellDocument, typesOf } from "./__fixtures__/documents.js";

describe("MemorySubmitter", () => {
  it("records documents (copies) and echoes spec.id", async () => {
    const submitter = new MemorySubmitter();
    const document = cellDocument("c1", ["a"]);
    await expect(submitter.submit(document)).resolves.toEqual({ cellId: "c1", exitCode: 0, lifecycleEvents: [] });
    document.spec.id = "changed";
    expect(submitter.documents.map((d) => d.spec.id)).toEqual(["c1"]);
  });

  it("returns inline lifecycle events a result can be built from", async () => {
    const out = await new MemorySubmitter({ lifecycleEvents: "inline", exitCode: 4 }).submit(cellDocument("c2", ["a", "b"]));
    expect(typesOf(out.lifecycleEvents)).toEqual(["lifecycle.v1.started", "command.v1.completed", "lifecycle.v1.destroyed"]);
    expect(buildCellResult("c2", out.lifecycleEvents)).toMatchObject({ exitCode: 4, success: false });
  });

  it("emits them to a sink instead when asked", async () => {
    const sink = new MemoryEventSink();
    const out = await new MemorySubmitter({ lifecycleEvents: "sink", eventSink: sink }).submit(cellDocument("c3", ["a"]));
    expect(out).toEqual({ cellId: "c3", lifecycleEvents: [] });
    expect(buildCellResult("c3", sink.events)).toMatchObject({ exitCode: 0, success: true });
  });

  it("refuses an aborted submission and bad options", async () => {
    const submitter = new MemorySubmitter();
    await expect(submitter.submit(cellDocument("c4", ["a"]), { signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: "Aborted" });
    expect(submitter.documents).toEqual([]);
    expect(() => new MemorySubmitter({ lifecycleEvents: "sink" })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new MemorySubmitter({ exitCode: 0.5 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
  });
});
