import { join } from "node:path";
import { CellosEventType, lifecycleDestroyedEvent } from "@cellos-cortex/cellos-core";
import { CellResultTracker } from "@cellos-cortex/receiver";
import { NatsJetStreamSink, NatsJetStreamSource, cellEventSubject, startNatsServer, typeSubjectTokens } from "@cellos-cortex/receiver/nats";
import type { NatsTestServer } from "@cellos-cortex/receiver/nats";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createContextPack } from "../context-pack.js";
import { CortexCellRunner } from "../cortex-cell-runner.js";
import { LocalCellHost } from "../local-cell-host.js";
import { MemorySubmitter } from "../memory-submitter.js";
import { cellDocument } from "../__fixtures__/documents.js";
import { RecordingLogger, tempDir } from "../__fixtures__/test-helpers.js";
import { NATS_SKIP_REASON, needNats } from "./__fixtures__/nats-fixture.js";
import { startWorkerProcess, writeWorkspaceTsconfig } from "./__fixtures__/worker-process.js";
import { cellWorkSubject } from "./cell-work-queue.js";
import { NatsCellSubmitter } from "./nats-cell-submitter.js";
import { runNatsCellWorker } from "./nats-cell-worker.js";
import type { NatsCellRun, NatsCellWorkerOptions, NatsCellWorkerReport } from "./nats-cell-worker.js";

let server: NatsTestServer | undefined;
beforeAll(async () => {
  if (NATS_SKIP_REASON === undefined) server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function url(): string {
  if (server === undefined) throw new Error("no server");
  return server.url;
}

let counter = 0;
/** Fresh streams, prefixes and work directory per test. */
async function pool(): Promise<{ events: { stream: string; subjectPrefix: string }; cells: { stream: string; subjectPrefix: string }; dir: string }> {
  counter += 1;
  const { dir, cleanup } = await tempDir("nats-pool");
  cleanups.push(cleanup);
  return { events: { stream: `E${counter}`, subjectPrefix: `e${counter}.events` }, cells: { stream: `C${counter}`, subjectPrefix: `c${counter}.cells` }, dir };
}

type Pool = Awaited<ReturnType<typeof pool>>;

function sinkFor(where: Pool): NatsJetStreamSink {
  const sink = new NatsJetStreamSink({ servers: url(), ...where.events, logger: new RecordingLogger() });
  cleanups.push(() => sink.close());
  return sink;
}

function submitterFor(where: Pool): NatsCellSubmitter {
  const submitter = new NatsCellSubmitter({ servers: url(), ...where.cells, logger: new RecordingLogger() });
  cleanups.push(() => submitter.close());
  return submitter;
}

function trackerFor(where: Pool): CellResultTracker {
  const source = new NatsJetStreamSource({ servers: url(), ...where.events, durable: "results", logger: new RecordingLogger() });
  const tracker = new CellResultTracker(source, { logger: new RecordingLogger() });
  cleanups.push(
    () => source.close(),
    () => tracker.close(),
  );
  return tracker;
}

interface RunningWorker {
  readonly runs: NatsCellRun[];
  readonly done: Promise<NatsCellWorkerReport>;
  stop(): Promise<NatsCellWorkerReport>;
}

/** An in-process worker: its own connection, sink and LocalCellHost, as on its own machine. */
async function workerFor(where: Pool, name: string, options: Partial<NatsCellWorkerOptions> = {}): Promise<RunningWorker> {
  const sink = sinkFor(where);
  const host = new LocalCellHost({ workDir: join(where.dir, name), eventSink: sink, isolation: "none", source: name, logger: new RecordingLogger() });
  const abort = new AbortController();
  const runs: NatsCellRun[] = [];
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const done = runNatsCellWorker({
    servers: url(),
    host,
    eventSink: sink,
    signal: abort.signal,
    ...where.cells,
    concurrency: 2,
    ackWaitMs: 5000,
    logger: new RecordingLogger(),
    onReady: ready,
    onCell: (run) => runs.push(run),
    ...options,
  });
  const stop = async (): Promise<NatsCellWorkerReport> => {
    abort.abort();
    const report = await done;
    await host.close();
    return report;
  };
  cleanups.push(() => stop());
  await Promise.race([isReady, done]);
  return { runs, done, stop };
}

/** How many destroyed events the event stream holds per cell subject (asked on a fresh connection). */
async function destroyedCounts(where: Pool): Promise<Record<string, number>> {
  const nc = await connect({ servers: url() });
  try {
    const jsm = await jetstreamManager(nc);
    const filter = `${where.events.subjectPrefix}.*.${typeSubjectTokens(CellosEventType.lifecycleDestroyed)}`;
    const info = await jsm.streams.info(where.events.stream, { subjects_filter: filter });
    return info.state.subjects ?? {};
  } finally {
    await nc.close();
  }
}

async function queued(where: Pool): Promise<number> {
  const nc = await connect({ servers: url() });
  try {
    return (await (await jetstreamManager(nc)).streams.info(where.cells.stream)).state.messages;
  } finally {
    await nc.close();
  }
}

function destroyedSubject(where: Pool, cellId: string): string {
  return cellEventSubject(where.events.subjectPrefix, cellId, CellosEventType.lifecycleDestroyed);
}

describe("a cell pool over a JetStream work queue", () => {
  it("two workers on one server run 50 cells, each exactly once", async (context) => {
    needNats(context);
    const where = await pool();
    const workers = [await workerFor(where, "worker-1"), await workerFor(where, "worker-2")];
    const tracker = trackerFor(where);
    const submitter = submitterFor(where);
    const cellIds = Array.from({ length: 50 }, (_, i) => `pool-cell-${i}`);
    for (const cellId of cellIds) expect((await submitter.submit(cellDocument(cellId, ["true"]))).duplicate).toBe(false);

    const results = await Promise.all(cellIds.map((cellId) => tracker.waitFor(cellId, { timeoutMs: 25_000 })));
    expect(results.every((result) => result.success && result.exitCode === 0)).toBe(true);
    const counts = await destroyedCounts(where);
    for (const cellId of cellIds) expect(counts[destroyedSubject(where, cellId)], cellId).toBe(1);
    expect(await queued(where)).toBe(0);

    const reports = await Promise.all(workers.map((worker) => worker.stop()));
    expect(reports.reduce((sum, report) => sum + report.completed, 0)).toBe(50);
    for (const report of reports) expect(report).toMatchObject({ skipped: 0, refused: 0, requeued: 0 });
    // Both machines of the pool took cells: nothing schedules them but JetStream.
    for (const report of reports) expect(report.completed).toBeGreaterThan(0);
  });

  it("a worker process killed mid-run: the rest of the pool still completes every cell, once", async (context) => {
    needNats(context);
    const where = await pool();
    const tsconfig = await writeWorkspaceTsconfig(where.dir);
    const doomed = startWorkerProcess(tsconfig, { servers: url(), workDir: join(where.dir, "doomed"), source: "doomed-worker", concurrency: 3, ackWaitMs: 1500, events: where.events, cells: where.cells });
    cleanups.push(async () => {
      doomed.child.kill("SIGKILL");
      await doomed.exited;
    });
    await doomed.ready(20_000);
    const survivor = await workerFor(where, "survivor", { concurrency: 3, ackWaitMs: 1500 });
    const tracker = trackerFor(where);
    const submitter = submitterFor(where);
    const cellIds = Array.from({ length: 40 }, (_, i) => `kill-cell-${i}`);
    for (const cellId of cellIds) await submitter.submit(cellDocument(cellId, ["sleep", "0.3"]));

    // Kill it once it has finished two cells: it holds others, mid-run.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the worker process finished no cell: ${doomed.lines.join(" | ")} / stderr: ${doomed.stderr.join(" | ")}`));
      }, 15_000);
      const check = setInterval(() => {
        if (doomed.lines.filter((line) => line.endsWith(" completed")).length >= 2) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 10);
    });
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).toBeNull();
    const finishedByDoomed = doomed.lines.filter((line) => line.endsWith(" completed")).length;

    const results = await Promise.all(cellIds.map((cellId) => tracker.waitFor(cellId, { timeoutMs: 25_000 })));
    expect(results.every((result) => result.success)).toBe(true);
    const counts = await destroyedCounts(where);
    for (const cellId of cellIds) expect(counts[destroyedSubject(where, cellId)], cellId).toBe(1);
    expect(await queued(where)).toBe(0);
    const report = await survivor.stop();
    // What the dead worker held came back to the survivor after the ack wait.
    expect(report.redelivered).toBeGreaterThanOrEqual(1);
    // The survivor ran the rest (the dead worker's last acks may have raced its death, so no exact split).
    expect(report.completed).toBeGreaterThan(0);
    expect(report.completed + finishedByDoomed).toBeLessThanOrEqual(cellIds.length);
  });

  it("progress acks keep a cell that runs longer than the ack wait with its worker", async (context) => {
    needNats(context);
    const where = await pool();
    // Two idle workers: had the running cell's ack wait lapsed, the other would get it.
    const workers = [await workerFor(where, "long-1", { ackWaitMs: 800, progressIntervalMs: 200 }), await workerFor(where, "long-2", { ackWaitMs: 800, progressIntervalMs: 200 })];
    const tracker = trackerFor(where);
    await submitterFor(where).submit(cellDocument("long-cell", ["sleep", "2.5"]));
    const result = await tracker.waitFor("long-cell", { timeoutMs: 15_000 });
    expect(result.success).toBe(true);
    const reports = await Promise.all(workers.map((worker) => worker.stop()));
    expect(reports.map((report) => report.received).reduce((a, b) => a + b, 0)).toBe(1);
    expect(reports.every((report) => report.redelivered === 0)).toBe(true);
    expect((await destroyedCounts(where))[destroyedSubject(where, "long-cell")]).toBe(1);
  });

  it("a re-submitted cell runs once: the work queue drops its id", async (context) => {
    needNats(context);
    const where = await pool();
    const submitter = submitterFor(where);
    await submitter.ensureStream();
    const document = cellDocument("resubmitted", ["true"]);
    const first = await submitter.submit(document);
    const again = await submitter.submit(structuredClone(document));
    expect(first).toMatchObject({ cellId: "resubmitted", duplicate: false, lifecycleEvents: [] });
    expect(again).toMatchObject({ duplicate: true, sequence: first.sequence });
    const worker = await workerFor(where, "once");
    await trackerFor(where).waitFor("resubmitted", { timeoutMs: 15_000 });
    const report = await worker.stop();
    expect(report.completed).toBe(1);
    expect((await destroyedCounts(where))[destroyedSubject(where, "resubmitted")]).toBe(1);
  });

  it("a redelivered cell whose destroyed event is already stored is acknowledged, not run again", async (context) => {
    needNats(context);
    const where = await pool();
    const submitter = submitterFor(where);
    await submitter.ensureStream();
    const sink = sinkFor(where);
    await sink.ensureStream();
    await submitter.submit(cellDocument("finished-then-crashed", ["true"]));

    // A "worker" takes the cell, stores its destroyed event, and dies before acknowledging.
    const nc = await connect({ servers: url() });
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(where.cells.stream, { durable_name: "cellos-cell-workers", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000, filter_subject: `${where.cells.subjectPrefix}.>`, max_deliver: 5 });
    const taken = await (await jetstream(nc).consumers.get(where.cells.stream, "cellos-cell-workers")).next({ expires: 2000 });
    expect(taken?.info.deliveryCount).toBe(1);
    await sink.emit(lifecycleDestroyedEvent({ source: "crashed-worker", cellId: "finished-then-crashed", specId: "finished-then-crashed", outcome: "succeeded", terminalState: "clean" }));
    await nc.close();

    const worker = await workerFor(where, "after-crash", { ackWaitMs: 1000 });
    const runs = await new Promise<NatsCellRun[]>((resolve) => {
      const check = setInterval(() => {
        if (worker.runs.length > 0) {
          clearInterval(check);
          resolve(worker.runs);
        }
      }, 10);
    });
    expect(runs).toEqual([{ cellId: "finished-then-crashed", outcome: "skipped", deliveryCount: 2 }]);
    expect((await worker.stop()).completed).toBe(0);
    expect((await destroyedCounts(where))[destroyedSubject(where, "finished-then-crashed")]).toBe(1);
    expect(await queued(where)).toBe(0);
  });

  it("a cell that can never run gets a failed destroyed event, and junk on the queue is removed", async (context) => {
    needNats(context);
    const where = await pool();
    const submitter = submitterFor(where);
    await submitter.ensureStream();
    // The host has no secret source: a cell declaring secrets is refused before it starts.
    await submitter.submit(cellDocument("wants-secrets", ["true"], { authority: { secretRefs: ["API_KEY"] } }));
    const nc = await connect({ servers: url() });
    cleanups.push(() => nc.close());
    await jetstream(nc).publish(cellWorkSubject(where.cells.subjectPrefix, "junk-cell"), "not a document", { msgID: "junk-cell" });

    const worker = await workerFor(where, "refuser");
    const tracker = trackerFor(where);
    const refused = await tracker.waitFor("wants-secrets", { timeoutMs: 15_000 });
    const junk = await tracker.waitFor("junk-cell", { timeoutMs: 15_000 });
    expect(refused).toMatchObject({ cellId: "wants-secrets", success: false, exitCode: -1 });
    expect(junk).toMatchObject({ cellId: "junk-cell", success: false });
    const report = await worker.stop();
    expect(report).toMatchObject({ refused: 2, completed: 0 });
    expect(worker.runs.find((run) => run.cellId === "wants-secrets")?.reason).toContain("API_KEY");
    expect(await queued(where)).toBe(0);
  });

  it("CortexCellRunner runs packs through the pool and follows their results over JetStream", async (context) => {
    needNats(context);
    const where = await pool();
    await workerFor(where, "runner-pool");
    const source = new NatsJetStreamSource({ servers: url(), ...where.events, durable: "bridge-a", logger: new RecordingLogger() });
    const runner = new CortexCellRunner(submitterFor(where), ["/bin/sh", "-c", 'case "$0" in *odd*) exit 3;; *) exit 0;; esac'], { resultSource: source, logger: new RecordingLogger() });
    cleanups.push(
      () => source.close(),
      () => runner.close(),
    );
    const [even, odd] = await Promise.all([
      runner.run(createContextPack("an even task", { memoryDigest: "digest-even", doctrineRefs: ["no-egress"] }), { timeoutMs: 20_000 }),
      runner.run(createContextPack("an odd task", { memoryDigest: "digest-odd" }), { timeoutMs: 20_000 }),
    ]);
    expect(even).toMatchObject({ packId: "digest-even", exitCode: 0, success: true, doctrineRefs: ["no-egress"] });
    expect(odd).toMatchObject({ packId: "digest-odd", exitCode: 3, success: false });
  });

  it("a host that does not run cells to completion stops the worker with InvalidOptions and leaves the cell queued", async (context) => {
    needNats(context);
    const where = await pool();
    const submitter = submitterFor(where);
    await submitter.ensureStream();
    await submitter.submit(cellDocument("fire-and-forget", ["true"]));
    const abort = new AbortController();
    cleanups.push(async () => {
      abort.abort();
    });
    const error = await runNatsCellWorker({
      servers: url(),
      host: new MemorySubmitter(),
      eventSink: sinkFor(where),
      signal: abort.signal,
      ...where.cells,
      logger: new RecordingLogger(),
    }).catch((rejection: unknown) => rejection);
    expect(error).toMatchObject({ kind: "InvalidOptions", cellId: "fire-and-forget", message: expect.stringContaining("no destroyed event") });
    expect(await queued(where)).toBe(1);
  });

  it("workers keep pulling cells across a nats-server restart", async (context) => {
    needNats(context);
    const where = await pool();
    const worker = await workerFor(where, "restarted", { pullExpiresMs: 1000 });
    const tracker = trackerFor(where);
    const submitter = submitterFor(where);
    const before = ["before-0", "before-1", "before-2"];
    for (const cellId of before) await submitter.submit(cellDocument(cellId, ["true"]));
    await Promise.all(before.map((cellId) => tracker.waitFor(cellId, { timeoutMs: 15_000 })));

    await server?.restart("SIGTERM");
    const after = ["after-0", "after-1", "after-2"];
    for (const cellId of after) await submitter.submit(cellDocument(cellId, ["true"]));
    const results = await Promise.all(after.map((cellId) => tracker.waitFor(cellId, { timeoutMs: 20_000 })));
    expect(results.every((result) => result.success)).toBe(true);
    const counts = await destroyedCounts(where);
    for (const cellId of [...before, ...after]) expect(counts[destroyedSubject(where, cellId)], cellId).toBe(1);
    expect((await worker.stop()).completed).toBe(6);
  });
});
