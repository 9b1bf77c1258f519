import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CellosEventType, MemoryEventSink, validateExecutionCellDocument } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink, ExecutionCellDocument } from "@cellos-cortex/cellos-core";
import { DoctrineAuthorityPolicy } from "@cellos-cortex/doctrine";
import { EventChannel } from "@cellos-cortex/receiver";
import { afterEach, describe, expect, it } from "vitest";
import { isBridgeError } from "./bridge-error.js";
import type { CellSubmissionOutcome, CellSubmitter } from "./cell-submitter.js";
import { createContextPack } from "./context-pack.js";
import type { ContextPack } from "./context-pack.js";
import { CELL_OS_JSONL_EVENTS_ENV, CORTEX_EVENT_SOURCE, CortexCellRunner } from "./cortex-cell-runner.js";
import type { Dispatched } from "./cortex-cell-runner.js";
import { MemorySubmitter } from "./memory-submitter.js";
import { waitForResultFromJsonl } from "./wait-for-result.js";
import {
  COMMAND_COMPLETED_TYPE,
  EXPORT_COMPLETED_V1_TYPE,
  EXPORT_COMPLETED_V2_TYPE,
  LIFECYCLE_DESTROYED_TYPE,
  RecordingLogger,
  ev,
  tempDir,
} from "./__fixtures__/test-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir("runner");
  cleanups.push(cleanup);
  return dir;
}

/** The seed's `CapturingSubmitter` is `MemorySubmitter` with its defaults. */
function submitter(): MemorySubmitter {
  return new MemorySubmitter();
}

describe("CortexCellRunner (seed tests)", () => {
  it("translate produces runspec with task appended to argv", () => {
    const runner = new CortexCellRunner(submitter(), ["agent", "--mode", "run"]);
    const pack: ContextPack = { memoryDigest: "blake3:abcdef0123456789", doctrineRefs: ["p1"], task: "do the thing" };
    const t = runner.translate(pack);
    const run = t.document.spec.run;
    expect(run).toBeDefined();
    expect(run?.argv).toEqual(["agent", "--mode", "run", "do the thing"]);
    expect(t.document.spec.lifetime.ttlSeconds).toBe(300);
    expect(t.document.spec.id.startsWith("cortex-")).toBe(true);
  });

  it("translate clamps ttl to default when pack unbounded", () => {
    const runner = new CortexCellRunner(submitter(), ["bin"], { defaultTtlSeconds: 42 });
    const t = runner.translate(createContextPack("t"));
    expect(t.document.spec.lifetime.ttlSeconds).toBe(42);
  });

  it("translate clamps ttl below default when pack expires soon", () => {
    const runner = new CortexCellRunner(submitter(), ["bin"], { defaultTtlSeconds: 1000 });
    const pack: ContextPack = { memoryDigest: "", doctrineRefs: [], task: "soon", expiresAt: Date.now() + 5_000 };
    const ttl = runner.translate(pack).document.spec.lifetime.ttlSeconds;
    expect(ttl).toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(6);
  });

  it("expired pack collapses to minimal ttl", () => {
    const runner = new CortexCellRunner(submitter(), ["bin"]);
    const pack: ContextPack = { memoryDigest: "", doctrineRefs: [], task: "stale", expiresAt: 0 };
    expect(runner.translate(pack).document.spec.lifetime.ttlSeconds).toBe(1);
  });

  it("dispatch submits translated document", async () => {
    const cap = submitter();
    const runner = new CortexCellRunner(cap, ["agent"]);
    const outcome = await runner.dispatch(createContextPack("ship it"));
    expect(outcome.exitCode).toBe(0);
    expect(cap.documents).toHaveLength(1);
    expect(cap.documents[0]?.spec.run?.argv.at(-1)).toBe("ship it");
  });

  it("dispatch emits cortex dispatched event when sink wired", async () => {
    const sink = new MemoryEventSink();
    const runner = new CortexCellRunner(submitter(), ["agent"], { eventSink: sink });
    const pack: ContextPack = { memoryDigest: "pack-abc", doctrineRefs: ["D1", "D5"], task: "ship it" };
    const outcome = await runner.dispatch(pack);

    expect(sink.events).toHaveLength(1);
    const event = sink.events[0];
    expect(event?.type).toBe("dev.cellos.events.cell.cortex.v1.dispatched");
    expect(event?.source).toBe(CORTEX_EVENT_SOURCE);
    const data = event?.data as Record<string, unknown>;
    expect(data.packId).toBe("pack-abc");
    expect(data.cellId).toBe(outcome.cellId);
    expect(data.doctrineRefs).toEqual(["D1", "D5"]);
  });

  it("the dispatched event also says what doctrine changed and which refs were unknown", async () => {
    const sink = new MemoryEventSink();
    const runner = new CortexCellRunner(submitter(), ["agent"], { eventSink: sink, authority: { secretRefs: ["token"] } });
    await runner.dispatch({ memoryDigest: "d", doctrineRefs: ["no-secrets", "who-knows"], task: "x" });
    const data = sink.events[0]?.data as Record<string, unknown>;
    expect(data.applied).toEqual([{ doctrineId: "no-secrets", changes: [{ path: "/spec/authority/secretRefs", before: ["token"], after: [] }] }]);
    expect(data.unknownDoctrineIds).toEqual(["who-knows"]);
  });

  it("dispatch without sink does not emit", async () => {
    const logger = new RecordingLogger();
    const runner = new CortexCellRunner(submitter(), ["agent"], { logger });
    const outcome = await runner.dispatch(createContextPack("no-sink"));
    expect(outcome.exitCode).toBe(0);
    // The no-sink path stays a no-op: nothing emitted, nothing logged.
    expect(logger.warnings).toEqual([]);
  });

  // CHK[4]: a JSONL file that never grows a destroyed event must produce a timeout error.
  it("wait for result timeout returns err", async () => {
    const path = join(await scratch(), "events.jsonl");
    await writeFile(path, `${JSON.stringify(ev("dev.cellos.events.cell.lifecycle.v1.started", "2026-01-01T00:00:00Z", { cellId: "other-cell" }))}\n`);
    const error: unknown = await waitForResultFromJsonl("target-cell", path, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(isBridgeError(error, "Timeout")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("timeout");
    expect(message).toContain("target-cell");
  });

  // CHK[5]: a destroyed event plus a command-completed event and two export receipts parse into a result.
  it("wait for result parses destroyed event", async () => {
    const path = join(await scratch(), "events.jsonl");
    const lines = [
      ev(LIFECYCLE_DESTROYED_TYPE, "2026-01-01T00:00:00Z", { cellId: "noise", outcome: "failed" }),
      ev(EXPORT_COMPLETED_V1_TYPE, "2026-01-01T00:00:01Z", { cellId: "target-cell", destinationRelative: "out/report.md" }),
      ev(EXPORT_COMPLETED_V2_TYPE, "2026-01-01T00:00:02Z", { cellId: "target-cell", receipt: { destination: "out/audit.json" } }),
      ev(COMMAND_COMPLETED_TYPE, "2026-01-01T00:00:03Z", { cellId: "target-cell", exitCode: 0, durationMs: 1234, argv: ["agent", "do-thing"] }),
      ev(LIFECYCLE_DESTROYED_TYPE, "2026-01-01T00:00:04Z", { cellId: "target-cell", outcome: "succeeded" }),
    ].map((e) => JSON.stringify(e));
    await writeFile(path, `${lines.join("\n")}\n`);

    const result = await waitForResultFromJsonl("target-cell", path, { timeoutMs: 2000 });
    expect(result.cellId).toBe("target-cell");
    expect(result.success).toBe(true);
    expect(result.exitCode).toBe(0);
    // 2026-01-01T00:00:04Z = 1767225604000 ms.
    expect(result.lifecycleDestroyedAt).toBe(1_767_225_604_000);
    expect(result.exportPaths).toEqual(["out/report.md", "out/audit.json"]);
    // Standalone JSONL path: no doctrine refs, no pack id.
    expect(result.doctrineRefs).toEqual([]);
    expect(result.packId).toBe("");
  });

  it("wait for result uses inline events fast path", async () => {
    // No result source and no $CELL_OS_JSONL_EVENTS: only the inline events can answer.
    const runner = new CortexCellRunner(submitter(), ["agent"], { env: {} });
    const pack: ContextPack = { memoryDigest: "pack-xyz", doctrineRefs: ["D5"], task: "ship it" };
    const dispatched: Dispatched = {
      cellId: "inline-cell",
      exitCode: 0,
      lifecycleEvents: [
        ev(COMMAND_COMPLETED_TYPE, "2026-01-01T00:00:03Z", { cellId: "inline-cell", exitCode: 7, durationMs: 1, argv: ["agent"] }),
        ev(LIFECYCLE_DESTROYED_TYPE, "2026-01-01T00:00:04Z", { cellId: "inline-cell", outcome: "failed" }),
      ],
      translation: runner.translate(pack),
    };
    const result = await runner.waitForResult(dispatched, { timeoutMs: 10 });
    expect(result.cellId).toBe("inline-cell");
    expect(result.packId).toBe("pack-xyz");
    expect(result.success).toBe(false);
    expect(result.exitCode).toBe(7);
    expect(result.doctrineRefs).toEqual(["D5"]);
  });
});

describe("CortexCellRunner: translation", () => {
  it("uses the seed's defaults: cellos.io/v1, ExecutionCell, 300 s, built-in doctrine", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"]);
    expect(runner.apiVersion).toBe("cellos.io/v1");
    expect(runner.kind).toBe("ExecutionCell");
    expect(runner.defaultTtlSeconds).toBe(300);
    const t = runner.translate({ memoryDigest: "d", doctrineRefs: ["short-lived"], task: "x" });
    expect(t.document.apiVersion).toBe("cellos.io/v1");
    expect(t.document.kind).toBe("ExecutionCell");
    // The built-in `short-lived` doctrine caps the TTL at 60 s.
    expect(t.document.spec.lifetime.ttlSeconds).toBe(60);
    expect(t.policy.applied.map((a) => a.doctrineId)).toEqual(["short-lived"]);
  });

  it("sets run.timeoutMs to the TTL in milliseconds and passes the validator", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"], { defaultTtlSeconds: 42 });
    const t = runner.translate(createContextPack("x"));
    expect(t.document.spec.run?.timeoutMs).toBe(42_000);
    expect(() => {
      validateExecutionCellDocument(t.document);
    }).not.toThrow();
  });

  it("narrows the base authority by doctrine and reports unknown ids, never widening", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"], {
      authority: { egressRules: [{ host: "api.example.com", port: 443 }], secretRefs: ["token"] },
    });
    const open = runner.translate({ memoryDigest: "d", doctrineRefs: [], task: "x" });
    expect(open.document.spec.authority.egressRules).toEqual([{ host: "api.example.com", port: 443 }]);
    const narrowed = runner.translate({ memoryDigest: "d", doctrineRefs: ["no-egress", "no-secrets", "who-knows"], task: "x" });
    expect(narrowed.document.spec.authority.egressRules ?? []).toEqual([]);
    expect(narrowed.document.spec.authority.secretRefs ?? []).toEqual([]);
    expect(narrowed.policy.unknownDoctrineIds).toEqual(["who-knows"]);
    // The base authority given to the runner is not touched by narrowing.
    expect(runner.translate({ memoryDigest: "d", doctrineRefs: [], task: "x" }).document.spec.authority.secretRefs).toEqual(["token"]);
  });

  it("declares the configured exports in every cell and refuses a malformed export spec", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"], { export: { artifacts: [{ name: "report", path: "out/report.json" }] } });
    const { document } = runner.translate({ memoryDigest: "d", doctrineRefs: ["no-exports"], task: "x" });
    expect(document.spec.export).toEqual({ artifacts: [{ name: "report", path: "out/report.json" }] });
    expect(document.spec.authority.exports).toEqual({ allowed: false });
    expect(runner.translate({ memoryDigest: "d", doctrineRefs: [], task: "x" }).document.spec.export).not.toBe(document.spec.export);
    expect(() => new CortexCellRunner(submitter(), ["agent"], { export: { artifacts: [{ name: "../x", path: "a" }] } })).toThrow(/export is not a valid spec.export: export.artifacts.0.name/);
  });

  it("uses the injected policy", () => {
    const policy = new DoctrineAuthorityPolicy({ version: 1, extends: "none", rules: { "ops-1": { maxTtlSeconds: 5 } } });
    const runner = new CortexCellRunner(submitter(), ["agent"], { policy });
    expect(runner.translate({ memoryDigest: "", doctrineRefs: ["ops-1"], task: "x" }).document.spec.lifetime.ttlSeconds).toBe(5);
    expect(runner.translate({ memoryDigest: "", doctrineRefs: ["short-lived"], task: "x" }).policy.unknownDoctrineIds).toEqual(["short-lived"]);
  });

  it("refuses a pack whose task makes the argv too large, with a typed error", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"]);
    let error: unknown;
    try {
      runner.translate(createContextPack("x".repeat(5000)));
    } catch (e) {
      error = e;
    }
    expect(isBridgeError(error, "InvalidDocument")).toBe(true);
    expect((error as Error).message).toContain("3072");
  });

  it("refuses junk packs with InvalidPack", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"]);
    for (const junk of [null, 42, "task", {}, { task: 1, memoryDigest: "", doctrineRefs: [] }, { task: "x", memoryDigest: "", doctrineRefs: "no-egress" }, { task: "x", memoryDigest: "", doctrineRefs: [], expiresAt: -1 }, { task: "x", memory_digest: "", doctrineRefs: [] }]) {
      expect(() => runner.translate(junk as unknown as ContextPack)).toThrow(expect.objectContaining({ name: "BridgeError", kind: "InvalidPack" }) as Error);
    }
  });

  it("refuses bad options with InvalidOptions", () => {
    const sub = submitter();
    expect(() => new CortexCellRunner(sub, ["a"], { defaultTtlSeconds: 0 })).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new CortexCellRunner(sub, ["a", 1] as unknown as string[])).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
    expect(() => new CortexCellRunner({} as CellSubmitter, ["a"])).toThrow(expect.objectContaining({ kind: "InvalidOptions" }) as Error);
  });

  it("an apiVersion other than cellos.io/v1 is stamped, then refused by the validator", () => {
    const runner = new CortexCellRunner(submitter(), ["agent"], { apiVersion: "cellos.io/v2" });
    expect(() => runner.translate(createContextPack("x"))).toThrow(expect.objectContaining({ kind: "InvalidDocument", message: expect.stringContaining("apiVersion") as string }) as Error);
  });
});

/** A submitter whose behaviour each test chooses. */
function submitterThat(submit: (document: ExecutionCellDocument, signal: AbortSignal | undefined) => Promise<CellSubmissionOutcome>): CellSubmitter {
  return { submit: (document, options) => submit(document, options?.signal) };
}

describe("CortexCellRunner: faults", () => {
  it("a submitter that throws synchronously gives a Submit error naming the cell", async () => {
    const runner = new CortexCellRunner(
      submitterThat(() => {
        throw new Error("boom");
      }),
      ["agent"],
    );
    const error: unknown = await runner.dispatch(createContextPack("x")).catch((e: unknown) => e);
    expect(isBridgeError(error, "Submit")).toBe(true);
    expect((error as Error).message).toContain("boom");
    expect((error as Error).message).toContain("cortex-x");
  });

  it("a submitter that rejects gives a Submit error with the cause", async () => {
    const cause = new Error("connection refused");
    const runner = new CortexCellRunner(submitterThat(() => Promise.reject(cause)), ["agent"]);
    const error: unknown = await runner.dispatch(createContextPack("x")).catch((e: unknown) => e);
    expect(isBridgeError(error, "Submit")).toBe(true);
    expect((error as Error).cause).toBe(cause);
  });

  it("a submitter that hangs is cut off by abort, even when it ignores its signal", async () => {
    const runner = new CortexCellRunner(submitterThat(() => new Promise<never>(() => undefined)), ["agent"]);
    const controller = new AbortController();
    const pending = runner.dispatch(createContextPack("x"), { signal: controller.signal });
    controller.abort(new Error("user gave up"));
    const error: unknown = await pending.catch((e: unknown) => e);
    expect(isBridgeError(error, "Aborted")).toBe(true);
  });

  it("a submitter that hangs is cut off by the dispatch timeout", async () => {
    const runner = new CortexCellRunner(submitterThat(() => new Promise<never>(() => undefined)), ["agent"]);
    const error: unknown = await runner.dispatch(createContextPack("x"), { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(isBridgeError(error, "Timeout")).toBe(true);
  });

  it("the submitter sees the abort through its signal", async () => {
    let seen: AbortSignal | undefined;
    const runner = new CortexCellRunner(
      submitterThat((_document, signal) => {
        seen = signal;
        return new Promise<never>(() => undefined);
      }),
      ["agent"],
    );
    const controller = new AbortController();
    const pending = runner.dispatch(createContextPack("x"), { signal: controller.signal });
    controller.abort();
    await pending.catch(() => undefined);
    expect(seen?.aborted).toBe(true);
  });

  it("an already-aborted signal submits nothing", async () => {
    const cap = submitter();
    const runner = new CortexCellRunner(cap, ["agent"]);
    const error: unknown = await runner.dispatch(createContextPack("x"), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isBridgeError(error, "Aborted")).toBe(true);
    expect(cap.documents).toEqual([]);
  });

  it("a submitter returning garbage gives InvalidOutcome", async () => {
    for (const garbage of [undefined, null, { cellId: "" , lifecycleEvents: [] }, { cellId: "c" }, { cellId: "c", lifecycleEvents: [{ nope: true }] }, { cellId: "c", exitCode: 1.5, lifecycleEvents: [] }]) {
      const runner = new CortexCellRunner(submitterThat(() => Promise.resolve(garbage as unknown as CellSubmissionOutcome)), ["agent"]);
      const error: unknown = await runner.dispatch(createContextPack("x")).catch((e: unknown) => e);
      expect(isBridgeError(error, "InvalidOutcome")).toBe(true);
    }
  });

  it("a sink that throws is logged and the dispatch still succeeds", async () => {
    const logger = new RecordingLogger();
    const sink: EventSink = {
      emit: () => {
        throw new Error("disk full");
      },
    };
    const runner = new CortexCellRunner(submitter(), ["agent"], { eventSink: sink, logger });
    const outcome = await runner.dispatch(createContextPack("x"));
    expect(outcome.cellId).toBe("cortex-x");
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.message).toContain("best-effort");
    expect(logger.warnings[0]?.fields).toMatchObject({ cellId: "cortex-x", error: "disk full" });
  });

  it("a sink that rejects or hangs is logged and the dispatch still succeeds", async () => {
    const logger = new RecordingLogger();
    const rejecting: EventSink = { emit: () => Promise.reject(new Error("nope")) };
    const hanging: EventSink = { emit: () => new Promise<never>(() => undefined) };
    for (const sink of [rejecting, hanging]) {
      const runner = new CortexCellRunner(submitter(), ["agent"], { eventSink: sink, logger, sinkTimeoutMs: 20 });
      await expect(runner.dispatch(createContextPack("x"))).resolves.toMatchObject({ cellId: "cortex-x" });
    }
    expect(logger.warnings.map((w) => w.fields?.error)).toEqual(["nope", expect.stringContaining("20 ms") as string]);
  });

  it("without inline events or a result source, waiting says what to wire up", async () => {
    const runner = new CortexCellRunner(submitter(), ["agent"], { env: {} });
    const dispatched = await runner.dispatch(createContextPack("x"));
    const error: unknown = await runner.waitForResult(dispatched).catch((e: unknown) => e);
    expect(isBridgeError(error, "NoResultSource")).toBe(true);
    expect((error as Error).message).toContain("$CELL_OS_JSONL_EVENTS is unset");
  });

  it("a closed runner refuses work", async () => {
    const runner = new CortexCellRunner(submitter(), ["agent"]);
    await runner.close();
    await expect(runner.dispatch(createContextPack("x"))).rejects.toMatchObject({ kind: "Closed" });
  });
});

describe("CortexCellRunner: results through a source", () => {
  it("run follows a fire-and-forget submitter's events through the result source", async () => {
    const channel = new EventChannel();
    const sub = new MemorySubmitter({ lifecycleEvents: "sink", eventSink: channel, exitCode: 3 });
    const runner = new CortexCellRunner(sub, ["agent"], { resultSource: channel });
    try {
      const result = await runner.run({ memoryDigest: "digest-1", doctrineRefs: ["no-egress"], task: "go" }, { timeoutMs: 5000 });
      expect(result).toMatchObject({ cellId: "cortex-digest-1-go", packId: "digest-1", exitCode: 3, success: false, doctrineRefs: ["no-egress"] });
    } finally {
      await runner.close();
    }
  });

  it("the default source is $CELL_OS_JSONL_EVENTS, followed from its first byte", async () => {
    const path = join(await scratch(), "events.jsonl");
    const runner = new CortexCellRunner(submitter(), ["agent"], { env: { [CELL_OS_JSONL_EVENTS_ENV]: path } });
    try {
      const dispatched = await runner.dispatch({ memoryDigest: "abc", doctrineRefs: ["D1"], task: "t" });
      await writeFile(
        path,
        `${JSON.stringify(ev(CellosEventType.lifecycleDestroyed, "2026-01-01T00:00:04Z", { cellId: dispatched.cellId, specId: dispatched.cellId, outcome: "succeeded" }))}\n`,
      );
      const result = await runner.waitForResult(dispatched, { timeoutMs: 5000 });
      expect(result).toMatchObject({ cellId: "cortex-abc-t", packId: "abc", success: true, exitCode: 0, doctrineRefs: ["D1"], lifecycleDestroyedAt: 1_767_225_604_000 });
    } finally {
      await runner.close();
    }
  });

  it("a wait is aborted by its signal and timed out by its timeout", async () => {
    const channel = new EventChannel();
    const runner = new CortexCellRunner(submitter(), ["agent"], { resultSource: channel });
    try {
      const dispatched = await runner.dispatch(createContextPack("never"));
      const timedOut: unknown = await runner.waitForResult(dispatched, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(isBridgeError(timedOut, "Timeout")).toBe(true);
      expect((timedOut as Error).message).toBe("cell result timeout after 0.02 seconds (cell_id=cortex-never)");
      const controller = new AbortController();
      const pending = runner.waitForResult(dispatched, { timeoutMs: 60_000, signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ kind: "Aborted" });
    } finally {
      await runner.close();
    }
  });

  it("closing the runner ends pending waits with Closed", async () => {
    const channel = new EventChannel();
    const runner = new CortexCellRunner(submitter(), ["agent"], { resultSource: channel });
    const dispatched = await runner.dispatch(createContextPack("never"));
    const pending = runner.waitForResult(dispatched, { timeoutMs: 60_000 });
    await runner.close();
    await expect(pending).rejects.toMatchObject({ kind: "Closed" });
  });

  it("inline events without a destroyed event fall through to the result source", async () => {
    const channel = new EventChannel();
    const runner = new CortexCellRunner(submitter(), ["agent"], { resultSource: channel });
    try {
      const translation = runner.translate({ memoryDigest: "m", doctrineRefs: [], task: "late" });
      const cellId = translation.document.spec.id;
      const started: CloudEventV1 = ev("dev.cellos.events.cell.lifecycle.v1.started", undefined, { cellId });
      const pending = runner.waitForResult({ cellId, lifecycleEvents: [started], translation }, { timeoutMs: 5000 });
      await channel.emit(ev(LIFECYCLE_DESTROYED_TYPE, "2026-01-01T00:00:00Z", { cellId, outcome: "succeeded" }));
      await expect(pending).resolves.toMatchObject({ cellId, packId: "m", success: true });
    } finally {
      await runner.close();
    }
  });
});
