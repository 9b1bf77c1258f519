/**
 * NATS JetStream benchmarks (`@cellos-cortex/receiver/nats`, `@cellos-cortex/bridge/nats`),
 * each printing ours, a baseline and the ratio, against a `nats-server -js` started here:
 * 1. cells/s through the pool: 2 workers vs 1 worker, and 1 worker vs LocalCellHost alone;
 * 2. publish-with-ack of 100 000 small events: NatsJetStreamSink vs the bare client's js.publish;
 * 3. consume + ack of those 100 000 events: NatsJetStreamSource vs a bare consumer, and vs
 *    JsonlTailSource reading the same events from a file;
 * 4. end-to-end result latency (emit a destroyed event → CellResultTracker.waitFor resolves)
 *    through JetStream vs the JSONL path.
 * Skipped with a message when nats-server is not installed.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CellosEventType, JsonlFileEventSink, lifecycleDestroyedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { CellResultTracker, JsonlTailSource } from "@cellos-cortex/receiver";
import type { CellEventSource, ReceiverLogger } from "@cellos-cortex/receiver";
import { NATS_SERVER_INSTALL_HINT, NatsJetStreamSink, NatsJetStreamSource, findNatsServer, startNatsServer } from "@cellos-cortex/receiver/nats";
import type { NatsTestServer } from "@cellos-cortex/receiver/nats";
import { LocalCellHost } from "@cellos-cortex/bridge";
import { NatsCellSubmitter, runNatsCellWorker } from "@cellos-cortex/bridge/nats";
import { median, printRow } from "./harness.js";

const logger: ReceiverLogger = { warn: (message) => console.warn(`  [nats] ${message}`) };
const quiet: ReceiverLogger = { warn: () => undefined };

/** The bare NATS client, loaded from where the receiver package resolves it (the bench package does not depend on it). */
interface BareJetStream {
  publish(subject: string, data: Uint8Array, options: { msgID: string }): Promise<{ seq: number }>;
  consumers: { get(stream: string, name: string): Promise<{ consume(options: { max_messages: number }): Promise<AsyncIterable<{ ack(): void; data: Uint8Array }> & { stop(): void }> }> };
}
interface BareManager {
  consumers: { add(stream: string, config: Record<string, unknown>): Promise<unknown> };
}
interface BareClient {
  connect(options: { servers: string }): Promise<{ close(): Promise<void> }>;
  jetstream(nc: unknown): BareJetStream;
  jetstreamManager(nc: unknown): Promise<BareManager>;
}
async function bareClient(): Promise<BareClient> {
  const receiverManifest = fileURLToPath(import.meta.resolve("@cellos-cortex/receiver/package.json"));
  const requireFromReceiver = createRequire(receiverManifest);
  const transport = (await import(pathToFileURL(requireFromReceiver.resolve("@nats-io/transport-node")).href)) as Pick<BareClient, "connect">;
  const js = (await import(pathToFileURL(requireFromReceiver.resolve("@nats-io/jetstream")).href)) as Pick<BareClient, "jetstream" | "jetstreamManager">;
  return { connect: transport.connect, jetstream: js.jetstream, jetstreamManager: js.jetstreamManager };
}

let streams = 0;
function names(): { stream: string; subjectPrefix: string } {
  streams += 1;
  return { stream: `BENCH${streams}`, subjectPrefix: `bench${streams}.events` };
}

/** A small event (~300 bytes of JSON), as a supervisor sends many of. */
function smallEvent(i: number, cellId = `cell-${i % 1000}`): CloudEventV1 {
  return {
    specversion: "1.0",
    id: `bench-${process.pid}-${streams}-${i}`,
    source: "/cellos/supervisor/bench-host-01",
    type: CellosEventType.processSpawned,
    time: "2026-01-01T00:00:04.123456Z",
    datacontenttype: "application/json",
    data: { cellId, specId: cellId, runId: `run-${cellId}`, program: "node", argc: 3 },
  };
}

/** Runs `task(item)` for every item with at most `window` pending at once. */
async function windowed<T>(items: readonly T[], window: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let item = items[next]; item !== undefined; item = items[next]) {
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}

/** Reads `count` events from a source and returns the seconds it took. */
async function drain(source: CellEventSource, count: number): Promise<number> {
  const abort = new AbortController();
  const started = performance.now();
  let seen = 0;
  for await (const _event of source.events({ signal: abort.signal })) {
    seen += 1;
    if (seen === count) abort.abort();
  }
  return (performance.now() - started) / 1000;
}

async function publishAndConsume(server: NatsTestServer, dir: string): Promise<void> {
  const total = 100_000;
  const window = 256;
  const client = await bareClient();
  const events = Array.from({ length: total }, (_, i) => smallEvent(i));
  const encoder = new TextEncoder();

  // Publish: ours (validate, subject, headers, retries) vs the bare client's publish of the same bytes.
  const oursWhere = names();
  const sink = new NatsJetStreamSink({ servers: server.url, ...oursWhere, logger });
  await sink.ensureStream();
  let started = performance.now();
  await windowed(events, window, (event) => sink.publish(event));
  const oursPublish = total / ((performance.now() - started) / 1000);

  const bareWhere = names();
  const bareSink = new NatsJetStreamSink({ servers: server.url, ...bareWhere, logger });
  await bareSink.ensureStream();
  await bareSink.close();
  const nc = await client.connect({ servers: server.url });
  const js = client.jetstream(nc);
  started = performance.now();
  // The bare publisher still has to serialize each event; it skips validation, the subject scheme, headers and retries.
  await windowed(events, window, (event) => {
    return js.publish(`${bareWhere.subjectPrefix}.cell.x`, encoder.encode(JSON.stringify(event)), { msgID: event.id });
  });
  const barePublish = total / ((performance.now() - started) / 1000);
  printRow({
    name: `publish + ack of ${total.toLocaleString("en-US")} small events, ${window} in flight: NatsJetStreamSink vs bare js.publish`,
    ours: oursPublish,
    baseline: barePublish,
    unit: "events/s",
    ratio: oursPublish / barePublish,
    target: "≥ 0.7×",
    met: oursPublish / barePublish >= 0.7,
    note: `one event at a time, end to end, is the last row; sink stats ${JSON.stringify(sink.stats)}`,
  });
  await sink.close();

  // Consume: ours (decode, validate, ack after hand-off) vs a bare consumer that only acks.
  const source = new NatsJetStreamSource({ servers: server.url, ...oursWhere, durable: "bench", maxInFlight: 1024, logger });
  const oursSeconds = await drain(source, total);
  await source.close();
  const jsm = await client.jetstreamManager(nc);
  await jsm.consumers.add(bareWhere.stream, { durable_name: "bare", ack_policy: "explicit", max_ack_pending: 1024 });
  const bare = await js.consumers.get(bareWhere.stream, "bare");
  const messages = await bare.consume({ max_messages: 1024 });
  started = performance.now();
  let seen = 0;
  for await (const msg of messages) {
    msg.ack();
    seen += 1;
    if (seen === total) messages.stop();
  }
  const bareSeconds = (performance.now() - started) / 1000;
  await nc.close();
  printRow({
    name: `consume + ack of ${total.toLocaleString("en-US")} small events: NatsJetStreamSource vs bare consume (ack only, no parsing)`,
    ours: total / oursSeconds,
    baseline: total / bareSeconds,
    unit: "events/s",
    ratio: bareSeconds / oursSeconds,
    target: "≥ 0.3×",
    met: bareSeconds / oursSeconds >= 0.3,
    note: "ours decodes and validates each CloudEvent (zod) before handing it off; the bare consumer touches no byte",
  });

  const path = join(dir, "events.jsonl");
  await writeFile(path, events.map((event) => `${JSON.stringify(event)}\n`).join(""));
  const tailSeconds = await drain(new JsonlTailSource({ path, fromStart: true, logger }), total);
  printRow({
    name: `consume ${total.toLocaleString("en-US")} small events: NatsJetStreamSource (durable, acked) vs JsonlTailSource (local file)`,
    ours: total / oursSeconds,
    baseline: total / tailSeconds,
    unit: "events/s",
    ratio: tailSeconds / oursSeconds,
    note: "the price of a network stream with durable acknowledgements over reading a local file",
  });
}

/** Emits a destroyed event for a fresh cell and times until the tracker resolves its result. */
async function resultLatencies(emit: (event: CloudEventV1) => Promise<void>, tracker: CellResultTracker, prefix: string, iterations: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const cellId = `${prefix}-${i}`;
    const started = performance.now();
    const waiting = tracker.waitFor(cellId, { timeoutMs: 10_000 });
    await emit(lifecycleDestroyedEvent({ source: "/bench", cellId, specId: cellId, outcome: "succeeded", terminalState: "clean" }));
    await waiting;
    times.push(performance.now() - started);
  }
  return times;
}

function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? Number.NaN;
}

async function latency(server: NatsTestServer, dir: string): Promise<void> {
  const iterations = 300;
  const where = names();
  const sink = new NatsJetStreamSink({ servers: server.url, ...where, logger });
  await sink.ensureStream();
  const source = new NatsJetStreamSource({ servers: server.url, ...where, durable: "latency", logger });
  const natsTracker = new CellResultTracker(source, { logger });
  const path = join(dir, "latency.jsonl");
  const fileSink = new JsonlFileEventSink({ path });
  const jsonlTracker = new CellResultTracker(new JsonlTailSource({ path, fromStart: true, logger }), { logger });
  // Warm both paths, then interleave the measurements.
  await resultLatencies((event) => sink.emit(event), natsTracker, "warm-nats", 20);
  await resultLatencies((event) => fileSink.emit(event), jsonlTracker, "warm-jsonl", 20);
  const nats: number[] = [];
  const jsonl: number[] = [];
  for (let round = 0; round < 10; round++) {
    nats.push(...(await resultLatencies((event) => sink.emit(event), natsTracker, `nats-${round}`, iterations / 10)));
    jsonl.push(...(await resultLatencies((event) => fileSink.emit(event), jsonlTracker, `jsonl-${round}`, iterations / 10)));
  }
  const ours = median(nats);
  const base = median(jsonl);
  printRow({
    name: `result latency, emit destroyed → tracker.waitFor resolves, median of ${iterations}: JetStream (publish+ack, consume) vs JSONL file (append, tail)`,
    ours,
    baseline: base,
    unit: "ms",
    ratio: base / ours,
    note: `p95 ${p95(nats).toFixed(2)} ms via JetStream, ${p95(jsonl).toFixed(2)} ms via JSONL`,
  });
  await natsTracker.close();
  await jsonlTracker.close();
  await source.close();
  await sink.close();
  await fileSink.close();
}

/** Seconds for `cellIds` submitted at once to all finish, through whatever `submit` does. */
async function timeCells(cellIds: readonly string[], submit: (cellId: string) => Promise<unknown>, tracker: CellResultTracker): Promise<number> {
  const started = performance.now();
  await Promise.all(
    cellIds.map(async (cellId) => {
      const waiting = tracker.waitFor(cellId, { timeoutMs: 60_000 });
      await submit(cellId);
      await waiting;
    }),
  );
  return (performance.now() - started) / 1000;
}

async function pool(server: NatsTestServer, dir: string): Promise<void> {
  const cells = 40;
  const argv = ["sleep", "0.05"];
  const document = (cellId: string) => ({
    apiVersion: "cellos.io/v1" as const,
    kind: "ExecutionCell" as const,
    spec: { id: cellId, run: { argv }, authority: {}, lifetime: { ttlSeconds: 30 } },
  });

  // Baseline for the pool's overhead: the same cells on one LocalCellHost, one at a time.
  const direct = new LocalCellHost({ workDir: join(dir, "direct"), isolation: "none", logger });
  const directIds = Array.from({ length: cells }, (_, i) => `direct-${i}`);
  let directSeconds = 0;
  for (const cellId of directIds) {
    const started = performance.now();
    await direct.submit(document(cellId));
    directSeconds += (performance.now() - started) / 1000;
  }
  await direct.close();

  const runPool = async (workers: number): Promise<number> => {
    const events = names();
    const cellsWhere = { stream: `${events.stream}_CELLS`, subjectPrefix: `${events.subjectPrefix.replace(".events", "")}.cells` };
    const stop = new AbortController();
    const sinks: NatsJetStreamSink[] = [];
    const hosts: LocalCellHost[] = [];
    const running: Promise<unknown>[] = [];
    for (let w = 0; w < workers; w++) {
      const sink = new NatsJetStreamSink({ servers: server.url, ...events, logger });
      const host = new LocalCellHost({ workDir: join(dir, `pool-${workers}-${w}`), eventSink: sink, isolation: "none", logger });
      sinks.push(sink);
      hosts.push(host);
      let ready: () => void = () => undefined;
      const isReady = new Promise<void>((resolve) => {
        ready = resolve;
      });
      running.push(runNatsCellWorker({ servers: server.url, host, eventSink: sink, signal: stop.signal, ...cellsWhere, concurrency: 1, logger, onReady: ready }));
      await isReady;
    }
    const source = new NatsJetStreamSource({ servers: server.url, ...events, durable: "pool-results", logger: quiet });
    const tracker = new CellResultTracker(source, { logger });
    const submitter = new NatsCellSubmitter({ servers: server.url, ...cellsWhere, logger });
    const ids = Array.from({ length: cells }, (_, i) => `pool${workers}-${i}`);
    const seconds = await timeCells(ids, (cellId) => submitter.submit(document(cellId)), tracker);
    stop.abort();
    await Promise.all(running);
    await tracker.close();
    await source.close();
    await submitter.close();
    for (const host of hosts) await host.close();
    for (const sink of sinks) await sink.close();
    return seconds;
  };
  const one = await runPool(1);
  const two = await runPool(2);
  printRow({
    name: `cells/s through the NATS pool (${cells} cells of \`${argv.join(" ")}\`, concurrency 1 per worker): 2 workers vs 1 worker`,
    ours: cells / two,
    baseline: cells / one,
    unit: "cells/s",
    ratio: one / two,
    target: "≥ 1.5×",
    met: one / two >= 1.5,
  });
  printRow({
    name: "cells/s: pool of 1 worker (submit → work queue → worker → events → tracker) vs the same cells on LocalCellHost directly",
    ours: cells / one,
    baseline: cells / directSeconds,
    unit: "cells/s",
    ratio: directSeconds / one,
    target: "≥ 0.8×",
    met: directSeconds / one >= 0.8,
    note: `added per cell: ${(((one - directSeconds) / cells) * 1000).toFixed(2)} ms (queue, progress acks, event confirmation, result over JetStream)`,
  });
}

export default async function natsBench(): Promise<void> {
  if ((await findNatsServer()) === undefined) {
    console.log(`  SKIPPED: nats-server not found: ${NATS_SERVER_INSTALL_HINT}`);
    return;
  }
  const server = await startNatsServer();
  const dir = await mkdtemp(join(tmpdir(), "cellos-nats-bench-"));
  try {
    await pool(server, dir);
    await publishAndConsume(server, dir);
    await latency(server, dir);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
