import { describe, expect, it } from "vitest";
import {
  CellosError,
  CellosEventDataSchemas,
  CellosEventType,
  buildCellosEvent,
  cellosEventKeyOf,
  commandCompletedEvent,
  complianceSummaryEvent,
  cortexDispatchedEvent,
  exportV1CompletedEvent,
  exportV2CompletedEvent,
  exportV2FailedEvent,
  isCellosEvent,
  lifecycleDestroyedEvent,
  lifecycleFailedEvent,
  lifecycleStartedEvent,
  parseCellosEventData,
  parseCloudEventV1,
  processSpawnedEvent,
} from "./index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const source = "/cellos/supervisor/host-1";

function thrown(fn: () => unknown): CellosError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CellosError) return error;
    throw error;
  }
  throw new Error("expected a CellosError");
}

describe("CellosEventType", () => {
  it("holds the upstream wire strings", () => {
    expect(CellosEventType).toEqual({
      lifecycleStarted: "dev.cellos.events.cell.lifecycle.v1.started",
      lifecycleDestroyed: "dev.cellos.events.cell.lifecycle.v1.destroyed",
      lifecycleFailed: "dev.cellos.events.cell.lifecycle.v1.failed",
      commandCompleted: "dev.cellos.events.cell.command.v1.completed",
      exportV1Completed: "dev.cellos.events.cell.export.v1.completed",
      exportV2Completed: "dev.cellos.events.cell.export.v2.completed",
      exportV2Failed: "dev.cellos.events.cell.export.v2.failed",
      processSpawned: "dev.cellos.events.cell.observability.v1.process_spawned",
      complianceSummary: "dev.cellos.events.cell.compliance.v1.summary",
      cortexDispatched: "dev.cellos.events.cell.cortex.v1.dispatched",
    });
  });

  it("maps a wire string back to its key", () => {
    expect(cellosEventKeyOf("dev.cellos.events.cell.command.v1.completed")).toBe("commandCompleted");
    expect(cellosEventKeyOf("dev.cellos.events.cell.unknown.v9.x")).toBeUndefined();
  });

  it("has a data schema for every type", () => {
    expect(Object.keys(CellosEventDataSchemas).sort()).toEqual(Object.keys(CellosEventType).sort());
  });
});

describe("event constructors", () => {
  it("fill specversion, a UUID id, an RFC 3339 time and the JSON content type", () => {
    const before = Date.now();
    const event = lifecycleStartedEvent({ source, cellId: "c1", specId: "s1" });
    expect(event.specversion).toBe("1.0");
    expect(event.id).toMatch(UUID);
    expect(event.source).toBe(source);
    expect(event.type).toBe(CellosEventType.lifecycleStarted);
    expect(event.datacontenttype).toBe("application/json");
    expect(event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(event.data).toEqual({ cellId: "c1", specId: "s1" });
    expect(lifecycleStartedEvent({ source, cellId: "c1", specId: "s1" }).id).not.toBe(event.id);
  });

  it("keep a given time byte for byte, nanoseconds and offset included", () => {
    for (const time of ["2026-07-08T09:10:11.123456789+02:00", "2026-07-08T09:10:11Z", "2026-07-08t09:10:11.5z", "2026-07-08T09:10:11.000000000Z"]) {
      expect(lifecycleStartedEvent({ source, cellId: "c", specId: "s", time }).time).toBe(time);
    }
  });

  it("keep a given id, subject and traceparent", () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const event = lifecycleStartedEvent({ source, id: "evt-1", subject: "cell:c", traceparent, cellId: "c", specId: "s" });
    expect(event).toMatchObject({ id: "evt-1", subject: "cell:c", traceparent });
    expect(event.data).toEqual({ cellId: "c", specId: "s" });
  });

  it("serialize with upstream key order and no absent optionals", () => {
    const event = lifecycleDestroyedEvent({ source, id: "e", time: "2026-01-01T00:00:00Z", cellId: "c", specId: "s", runId: "r", outcome: "succeeded" });
    expect(JSON.stringify(event)).toBe(
      '{"specversion":"1.0","id":"e","source":"/cellos/supervisor/host-1","type":"dev.cellos.events.cell.lifecycle.v1.destroyed","datacontenttype":"application/json","data":{"cellId":"c","specId":"s","runId":"r","outcome":"succeeded"},"time":"2026-01-01T00:00:00Z"}',
    );
  });

  it("destroyed event carries outcome, terminal state and reason, never an exit code", () => {
    const event = lifecycleDestroyedEvent({ source, cellId: "c", specId: "s", outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" });
    expect(event.data).toEqual({ cellId: "c", specId: "s", outcome: "failed", terminalState: "forced", reason: "ttl_exceeded" });
    expect("exitCode" in event.data).toBe(false);
    const clean = lifecycleDestroyedEvent({ source, cellId: "c", specId: "s", outcome: "succeeded" });
    expect(Object.keys(clean.data)).toEqual(["cellId", "specId", "outcome"]);
  });

  it("destroyed event rejects unknown outcomes and terminal states", () => {
    const error = thrown(() => lifecycleDestroyedEvent({ source, cellId: "c", specId: "s", outcome: "exploded" as "failed", terminalState: "messy" as "clean" }));
    expect(error.problems.map((p) => p.path)).toEqual(["outcome", "terminalState"]);
  });

  it("command completed carries exitCode, argv, durationMs and spawnError", () => {
    const ok = commandCompletedEvent({ source, cellId: "c", specId: "s", argv: ["node", "a.js"], exitCode: 0, durationMs: 1234 });
    expect(ok.data).toEqual({ cellId: "c", specId: "s", argv: ["node", "a.js"], exitCode: 0, durationMs: 1234 });
    const failed = commandCompletedEvent({ source, cellId: "c", specId: "s", runId: "r", argv: ["nope"], exitCode: -1, durationMs: 0, spawnError: "ENOENT" });
    expect(failed.data.spawnError).toBe("ENOENT");
    expect(Object.keys(failed.data)).toEqual(["cellId", "specId", "runId", "argv", "exitCode", "durationMs", "spawnError"]);
  });

  it("copy the data fields, so later changes by the caller do not reach the event", () => {
    const argv = ["node", "a.js"];
    const event = commandCompletedEvent({ source, cellId: "c", specId: "s", argv, exitCode: 0, durationMs: 1 });
    argv.push("--later");
    expect(event.data.argv).toEqual(["node", "a.js"]);
  });

  it("export v1 and v2 completed carry their destinations", () => {
    expect(exportV1CompletedEvent({ source, cellId: "c", specId: "s", destinationRelative: "out/report.json" }).data.destinationRelative).toBe("out/report.json");
    const v2 = exportV2CompletedEvent({ source, cellId: "c", specId: "s", receipt: { destination: "s3://b/k", targetKind: "s3" } });
    expect(v2.data.receipt).toEqual({ destination: "s3://b/k", targetKind: "s3" });
    expect(exportV2CompletedEvent({ source, cellId: "c", specId: "s", receipt: { destinationRelative: "a/b" } }).data.receipt.destinationRelative).toBe("a/b");
  });

  it("the other constructors build their data", () => {
    expect(lifecycleFailedEvent({ source, cellId: "c", specId: "s", reason: "boot_failed" }).data).toEqual({ cellId: "c", specId: "s", reason: "boot_failed" });
    expect(exportV2FailedEvent({ source, cellId: "c", specId: "s", artifactName: "report", targetKind: "local", reason: "disk full" }).data).toEqual({
      cellId: "c",
      specId: "s",
      artifactName: "report",
      targetKind: "local",
      reason: "disk full",
    });
    expect(processSpawnedEvent({ source, cellId: "c", specId: "s", program: "node", argc: 2 }).data).toEqual({ cellId: "c", specId: "s", program: "node", argc: 2 });
    const summary = complianceSummaryEvent({
      source,
      cellId: "c",
      specId: "s",
      lifetimeTtlSeconds: 60,
      egressRuleCount: 0,
      secretDeliveryMode: "env",
      commandExitCode: 0,
      placement: { poolId: "p" },
      correlation: { tenantId: "t" },
    });
    expect(summary.data).toMatchObject({ lifetimeTtlSeconds: 60, egressRuleCount: 0, secretDeliveryMode: "env", placement: { poolId: "p" }, correlation: { tenantId: "t" } });
    expect(summary.type).toBe("dev.cellos.events.cell.compliance.v1.summary");
  });

  it("dispatch emits cortex dispatched event when sink wired (seed: data has packId, cellId, doctrineRefs in order)", () => {
    const event = cortexDispatchedEvent({ source: "/cortex/runner", packId: "pack-abc", cellId: "cell-1", doctrineRefs: ["D1", "D5"] });
    expect(event.type).toBe("dev.cellos.events.cell.cortex.v1.dispatched");
    expect(event.source).toBe("/cortex/runner");
    expect(event.data).toEqual({ packId: "pack-abc", cellId: "cell-1", doctrineRefs: ["D1", "D5"] });
  });

  it("reject bad envelope and data fields, listing every one", () => {
    const error = thrown(() =>
      commandCompletedEvent({ source: "", time: "yesterday", id: "", cellId: "", specId: "s", argv: [1 as unknown as string], exitCode: 1.5, durationMs: -1 }),
    );
    expect(error.kind).toBe("InvalidSpec");
    expect(error.problems.map((p) => p.path)).toEqual(["source", "id", "time", "cellId", "argv[0]", "exitCode", "durationMs"]);
  });

  it("reject exit codes outside i32", () => {
    expect(() => commandCompletedEvent({ source, cellId: "c", specId: "s", argv: ["a"], exitCode: 2 ** 31, durationMs: 0 })).toThrow(CellosError);
  });

  it("every constructor output parses as a CloudEventV1 and as its data type", () => {
    const events = [
      lifecycleStartedEvent({ source, cellId: "c", specId: "s" }),
      lifecycleDestroyedEvent({ source, cellId: "c", specId: "s", outcome: "succeeded" }),
      commandCompletedEvent({ source, cellId: "c", specId: "s", argv: ["a"], exitCode: 0, durationMs: 1 }),
      cortexDispatchedEvent({ source, packId: "p", cellId: "c", doctrineRefs: [] }),
    ];
    for (const event of events) {
      const parsed = parseCloudEventV1(JSON.parse(JSON.stringify(event)));
      expect(parsed).toEqual(event);
      const key = cellosEventKeyOf(parsed.type);
      expect(key).toBeDefined();
      if (key) expect(parseCellosEventData(key, parsed.data)).toEqual(event.data);
    }
  });

  it("buildCellosEvent is the generic form", () => {
    const event = buildCellosEvent("processSpawned", { source, cellId: "c", specId: "s", program: "sh", argc: 1 });
    expect(isCellosEvent(event, "processSpawned")).toBe(true);
    expect(isCellosEvent(event, "lifecycleStarted")).toBe(false);
  });
});

describe("parseCellosEventData", () => {
  it("reads what a supervisor sends: null optionals and unknown keys kept", () => {
    const data = { cellId: "c", specId: "s", runId: null, outcome: "failed", terminalState: null, reason: "Other reason", kernelSha256: "ab" };
    expect(parseCellosEventData("lifecycleDestroyed", data)).toEqual(data);
  });

  it("reports problems with paths under data", () => {
    const error = thrown(() => parseCellosEventData("commandCompleted", { cellId: "c", argv: "x", exitCode: "0", durationMs: 1 }));
    expect(error.problems.map((p) => p.path)).toEqual(["data.specId", "data.argv", "data.exitCode"]);
  });
});
