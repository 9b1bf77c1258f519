import { join } from "node:path";
import { CellosEventType, commandCompletedEvent, lifecycleDestroyedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { createCortexEvent } from "@cellos-cortex/cortex-core";
import type { CortexEvent } from "@cellos-cortex/cortex-core";
import { Ledger, generateSigningKey } from "@cellos-cortex/ledger";
import { EventChannel } from "@cellos-cortex/receiver";
import type { CellEventSource } from "@cellos-cortex/receiver";
import * as fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { CellosLedgerEmitter } from "./cellos-ledger-emitter.js";
import type { LedgerAppender } from "./cellos-ledger-emitter.js";
import { CELLOS_UNCLASSIFIED_EVENT_TYPE, cellosEventFamily, cortexEventTypeForCellos } from "./cellos-ledger-mapping.js";
import { LocalCellHost } from "./local-cell-host.js";
import { cellDocument } from "./__fixtures__/documents.js";
import { RecordingLogger, tempDir } from "./__fixtures__/test-helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openLedger(signed = true): Promise<{ ledger: Ledger; path: string; publicKey: ReturnType<typeof generateSigningKey>["publicKey"]; privateKey: ReturnType<typeof generateSigningKey>["privateKey"] }> {
  const { dir, cleanup } = await tempDir("ledger");
  const { privateKey, publicKey } = generateSigningKey();
  const path = join(dir, "ledger.jsonl");
  const ledger = await Ledger.open(path, { fsync: false, ...(signed ? { signingKey: privateKey } : {}) });
  cleanups.push(cleanup, () => ledger.close());
  return { ledger, path, publicKey, privateKey };
}

async function rows(ledger: Ledger): Promise<CortexEvent[]> {
  const out: CortexEvent[] = [];
  for await (const row of ledger.read()) out.push(row);
  return out;
}

const destroyed = (id: string, time = "2026-01-01T02:00:04.5+02:00"): CloudEventV1 =>
  lifecycleDestroyedEvent({ source: "/cellos/supervisor/host-1", id, time, cellId: "cell-a", specId: "cell-a", outcome: "succeeded" });

/** An in-memory ledger for property runs. */
class MemoryLedger implements LedgerAppender {
  readonly rows: CortexEvent[] = [];
  append(event: CortexEvent): Promise<CortexEvent> {
    this.rows.push(event);
    return Promise.resolve(event);
  }
  async *read(): AsyncIterable<CortexEvent> {
    await Promise.resolve();
    yield* this.rows;
  }
}

describe("CellosLedgerEmitter", () => {
  it("records each CloudEvent as one signed row, the CloudEvent verbatim as payload", async () => {
    const { ledger, path, publicKey } = await openLedger();
    const emitter = new CellosLedgerEmitter({ ledger, now: () => Date.parse("2026-02-02T00:00:00Z") });
    const event = destroyed("evt-1");
    await emitter.emit(event);
    await emitter.emit(commandCompletedEvent({ source: "/cellos/supervisor/host-1", id: "evt-2", cellId: "cell-a", specId: "cell-a", argv: ["a"], exitCode: 0, durationMs: 5 }));
    const [row, second] = await rows(ledger);
    expect(row).toMatchObject({
      eventType: "cortex.event.cellos_lifecycle.v1",
      source: { type: "tool", name: "/cellos/supervisor/host-1" },
      sessionId: "cell-a",
      observedAt: "2026-01-01T00:00:04.500Z",
      recordedAt: "2026-02-02T00:00:00.000Z",
      domainTags: ["cellos", "cellos.lifecycle"],
      payload: event,
    });
    // The original time string is kept byte for byte in the payload.
    expect((row?.payload as Record<string, unknown>).time).toBe("2026-01-01T02:00:04.5+02:00");
    expect(row?.eventHash).toMatch(/^[0-9a-f]{64}$/);
    expect(second?.eventType).toBe("cortex.event.cellos_command.v1");
    expect(second?.prevEventHash).toBe(row?.eventHash);
    await ledger.sync();
    await expect(Ledger.verify(path, { publicKey })).resolves.toMatchObject({ ok: true, count: 2 });
    expect(emitter.stats).toEqual({ appended: 2, duplicates: 0, invalid: 0 });
  });

  it("a re-delivered CloudEvent (same source and id) appends nothing, even when deliveries overlap", async () => {
    const { ledger } = await openLedger();
    const emitter = new CellosLedgerEmitter({ ledger });
    await emitter.emit(destroyed("evt-1"));
    await emitter.emit(destroyed("evt-1"));
    await Promise.all([emitter.emit(destroyed("evt-2")), emitter.emit(destroyed("evt-2")), emitter.emit(destroyed("evt-2"))]);
    // Same id from another emitter is another event.
    await emitter.emit({ ...destroyed("evt-1"), source: "/cellos/supervisor/host-2" });
    expect((await rows(ledger)).map((r) => [(r.payload as Record<string, unknown>).source, (r.payload as Record<string, unknown>).id])).toEqual([
      ["/cellos/supervisor/host-1", "evt-1"],
      ["/cellos/supervisor/host-1", "evt-2"],
      ["/cellos/supervisor/host-2", "evt-1"],
    ]);
    expect(emitter.stats).toEqual({ appended: 3, duplicates: 3, invalid: 0 });
  });

  it("remembers what the ledger already holds after a restart", async () => {
    const { ledger, path, privateKey, publicKey } = await openLedger();
    await new CellosLedgerEmitter({ ledger }).emit(destroyed("evt-1"));
    await ledger.close();
    const reopened = await Ledger.open(path, { fsync: false, signingKey: privateKey });
    cleanups.push(() => reopened.close());
    const emitter = new CellosLedgerEmitter({ ledger: reopened });
    await emitter.emit(destroyed("evt-1"));
    await emitter.emit(destroyed("evt-3"));
    expect((await rows(reopened)).map((r) => (r.payload as Record<string, unknown>).id)).toEqual(["evt-1", "evt-3"]);
    expect(emitter.stats.duplicates).toBe(1);
    await reopened.close();
    await expect(Ledger.verify(path, { publicKey })).resolves.toMatchObject({ ok: true, count: 2 });
  });

  it("refuses what is not a CloudEvent with InvalidEvent and appends nothing", async () => {
    const memory = new MemoryLedger();
    const emitter = new CellosLedgerEmitter({ ledger: memory });
    const junk: unknown[] = [null, {}, { specversion: "1.0", id: "", source: "s", type: "t" }, { specversion: "0.3", id: "1", source: "s", type: "t" }, { specversion: "1.0", id: "1", source: "s", type: "t", data: { n: 10n } }];
    for (const value of junk) {
      await expect(emitter.emit(value as CloudEventV1)).rejects.toMatchObject({ name: "BridgeError", kind: "InvalidEvent" });
    }
    expect(memory.rows).toEqual([]);
  });

  it("a ledger failure is a Ledger error, and the same event can be recorded on the next delivery", async () => {
    let fail = true;
    const memory = new MemoryLedger();
    const flaky: LedgerAppender = {
      append: (event) => (fail ? Promise.reject(new Error("disk full")) : memory.append(event)),
    };
    const emitter = new CellosLedgerEmitter({ ledger: flaky });
    await expect(emitter.emit(destroyed("evt-1"))).rejects.toMatchObject({ kind: "Ledger", message: expect.stringContaining("disk full") as string });
    fail = false;
    await emitter.emit(destroyed("evt-1"));
    expect(memory.rows).toHaveLength(1);
  });

  it("when the first of two overlapping deliveries fails, the second records the event", async () => {
    const memory = new MemoryLedger();
    let calls = 0;
    const flaky: LedgerAppender = {
      append: async (event) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (calls === 1) throw new Error("transient");
        return memory.append(event);
      },
    };
    const emitter = new CellosLedgerEmitter({ ledger: flaky });
    const [first, second] = await Promise.allSettled([emitter.emit(destroyed("evt-9")), emitter.emit(destroyed("evt-9"))]);
    expect(first.status).toBe("rejected");
    expect(second.status).toBe("fulfilled");
    expect(memory.rows).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it("consumes a CellEventSource, skipping invalid events, until aborted", async () => {
    const memory = new MemoryLedger();
    const logger = new RecordingLogger();
    const emitter = new CellosLedgerEmitter({ ledger: memory, logger });
    const controller = new AbortController();
    const source: CellEventSource = {
      async *events() {
        await Promise.resolve();
        yield destroyed("a");
        yield { nope: true } as unknown as CloudEventV1;
        yield destroyed("a");
        yield destroyed("b");
        controller.abort();
      },
    };
    await expect(emitter.consume(source, { signal: controller.signal })).resolves.toEqual({ appended: 2, duplicates: 1, invalid: 1 });
    expect(logger.warnings).toHaveLength(1);
  });

  it("records a LocalCellHost run end to end: every event one row, the chain verifies", async () => {
    const { ledger, path, publicKey } = await openLedger();
    const emitter = new CellosLedgerEmitter({ ledger });
    const { dir, cleanup } = await tempDir("ledger-host");
    const host = new LocalCellHost({ workDir: dir, isolation: "none", eventSink: emitter });
    cleanups.push(cleanup, () => host.close());
    const out = await host.submit(cellDocument("ledgered", ["/bin/true"]));
    const recorded = await rows(ledger);
    expect(recorded.map((r) => r.eventType)).toEqual([
      "cortex.event.cellos_lifecycle.v1",
      "cortex.event.cellos_observability.v1",
      "cortex.event.cellos_command.v1",
      "cortex.event.cellos_lifecycle.v1",
    ]);
    expect(recorded.map((r) => r.payload)).toEqual(out.lifecycleEvents);
    await ledger.sync();
    await expect(Ledger.verify(path, { publicKey })).resolves.toMatchObject({ ok: true, count: 4 });
  });

  it("follows a live channel as a consumer", async () => {
    const memory = new MemoryLedger();
    const emitter = new CellosLedgerEmitter({ ledger: memory });
    const channel = new EventChannel();
    const controller = new AbortController();
    const consuming = emitter.consume(channel, { signal: controller.signal });
    await channel.emit(destroyed("x1"));
    await channel.emit(destroyed("x2"));
    for (let i = 0; i < 200 && memory.rows.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(consuming).resolves.toMatchObject({ appended: 2 });
  });

  it("property: any CloudEvent is recorded once, verbatim, under a valid Cortex event type", async () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    const cloudEvent = fc.record(
      {
        specversion: fc.constant("1.0"),
        id: fc.string({ minLength: 1, maxLength: 40 }),
        source: fc.string({ minLength: 1, maxLength: 40 }),
        type: fc.oneof(fc.constantFrom(...Object.values(CellosEventType)), fc.string({ minLength: 1, maxLength: 60 }), fc.string({ maxLength: 20 }).map((s) => `dev.cellos.events.cell.${s}`)),
        time: fc.oneof(fc.constant(undefined), fc.date({ noInvalidDate: true, min: new Date(0), max: new Date("2999-12-31") }).map((d) => d.toISOString()), fc.string({ maxLength: 30 })),
        data: json,
      },
      { requiredKeys: ["specversion", "id", "source", "type"] },
    );
    await fc.assert(
      fc.asyncProperty(cloudEvent, async (input) => {
        const event = JSON.parse(JSON.stringify(input)) as CloudEventV1;
        const memory = new MemoryLedger();
        const emitter = new CellosLedgerEmitter({ ledger: memory });
        await emitter.emit(event);
        await emitter.emit(structuredClone(event));
        expect(memory.rows).toHaveLength(1);
        const row = memory.rows[0];
        expect(row?.payload).toEqual(event);
        expect(row?.eventType).toMatch(/^cortex\.event\.cellos_[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.v1$/);
        expect(row?.source).toEqual({ type: "tool", name: event.source });
        // The row is a valid unsealed Cortex event (the ledger would accept it).
        expect(() => createCortexEvent({ eventType: row?.eventType ?? "cortex.event.x.v1", source: { type: "runtime" }, payload: row?.payload ?? null })).not.toThrow();
      }),
      { numRuns: 150 },
    );
  });
});

describe("CellOS event family → Cortex event type", () => {
  it("maps each family to cortex.event.cellos_<family>.v1", () => {
    expect(Object.fromEntries(Object.entries(CellosEventType).map(([key, type]) => [key, cortexEventTypeForCellos(type)]))).toEqual({
      lifecycleStarted: "cortex.event.cellos_lifecycle.v1",
      lifecycleDestroyed: "cortex.event.cellos_lifecycle.v1",
      lifecycleFailed: "cortex.event.cellos_lifecycle.v1",
      commandCompleted: "cortex.event.cellos_command.v1",
      exportV1Completed: "cortex.event.cellos_export.v1",
      exportV2Completed: "cortex.event.cellos_export.v1",
      exportV2Failed: "cortex.event.cellos_export.v1",
      processSpawned: "cortex.event.cellos_observability.v1",
      complianceSummary: "cortex.event.cellos_compliance.v1",
      cortexDispatched: "cortex.event.cellos_cortex.v1",
    });
  });

  it("reads families of events not about one cell, and leaves everything else unclassified", () => {
    expect(cellosEventFamily("dev.cellos.events.cell.network_flow.v1.decision")).toBe("network_flow");
    expect(cellosEventFamily("dev.cellos.events.keyset.v1.verified")).toBe("keyset");
    for (const type of ["com.example.thing", "dev.cellos.events.cell", "dev.cellos.events.cell.Lifecycle.v1.started", "dev.cellos.events.cell.-x.v1", "dev.cellos.events."]) {
      expect(cellosEventFamily(type)).toBeUndefined();
      expect(cortexEventTypeForCellos(type)).toBe(CELLOS_UNCLASSIFIED_EVENT_TYPE);
    }
  });
});

describe("CellosLedgerEmitter: observed time", () => {
  it("uses the event time when it is RFC 3339 within four-digit years, else the recording time", async () => {
    const memory = new MemoryLedger();
    const emitter = new CellosLedgerEmitter({ ledger: memory, now: () => Date.parse("2026-02-02T00:00:00Z") });
    const times = ["2026-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "yesterday", "1960-01-01T00:00:00Z"];
    for (const [i, time] of times.entries()) await emitter.emit({ ...destroyed(`t${i}`), time });
    expect(memory.rows.map((r) => r.observedAt)).toEqual(["2026-01-01T00:00:00.000Z", "2026-02-02T00:00:00.000Z", "2026-02-02T00:00:00.000Z", "2026-02-02T00:00:00.000Z"]);
    expect(memory.rows.map((r) => (r.payload as Record<string, unknown>).time)).toEqual(times);
  });
});
