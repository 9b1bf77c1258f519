/**
 * @cellos-cortex/receiver benchmarks, each printing ours, a baseline and the ratio:
 * 1. result latency with 100 000 earlier events vs the seed's 25 ms whole-file poll;
 * 2. tail cost per appended line as the file grows from 1 MB to 100 MB;
 * 3. structured-event parse + validate vs the cloudevents SDK;
 * 4. HTTP events/s under autocannon vs a bare node:http JSON.parse server.
 * Files go to a fresh directory under os.tmpdir() and are deleted afterwards.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CellosEventType, CloudEventV1Schema } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { CellResultTracker, HttpCloudEventsReceiver, JsonlTailSource, buildCellResult, decodeCloudEventsHttp } from "@cellos-cortex/receiver";
import type { CortexCellResult, ReceiverLogger } from "@cellos-cortex/receiver";
import { CloudEvent, HTTP } from "cloudevents";
import { compare, median, printRow } from "./harness.js";

/** The part of autocannon's programmatic API used here (the bench package has no @types/autocannon). */
interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const logger: ReceiverLogger = { warn: (message) => console.warn(`  [receiver] ${message}`) };
const SOURCE = "/cellos/supervisor/bench-host-01";

let sequence = 0;
function event(type: string, cellId: string, data: Record<string, unknown> = {}): CloudEventV1 {
  sequence += 1;
  return {
    specversion: "1.0",
    id: `0b6f5c9e-1a5e-4c1a-9d1e-${String(sequence).padStart(12, "0")}`,
    source: SOURCE,
    type,
    time: "2026-01-01T00:00:04.123456Z",
    datacontenttype: "application/json",
    data: { cellId, specId: cellId, runId: `run-${cellId}`, ...data },
  };
}

/** A finished cell as a supervisor reports it: five events. */
function cellLines(cellId: string, withDestroyed = true): string[] {
  const lines = [
    event(CellosEventType.lifecycleStarted, cellId),
    event(CellosEventType.processSpawned, cellId, { program: "node", argc: 3 }),
    event(CellosEventType.commandCompleted, cellId, { argv: ["node", "agent.js", "ship it"], exitCode: 0, durationMs: 1234 }),
    event(CellosEventType.exportV2Completed, cellId, { artifactName: "report", receipt: { targetKind: "local", destination: `out/${cellId}/report.md` } }),
  ];
  if (withDestroyed) lines.push(event(CellosEventType.lifecycleDestroyed, cellId, { outcome: "succeeded", terminalState: "clean" }));
  return lines.map((e) => JSON.stringify(e) + "\n");
}

/** Writes finished cells until the file holds at least `events` events or `bytes` bytes; returns the counts. */
async function writeEventsFile(path: string, limit: { events?: number; bytes?: number }): Promise<{ events: number; bytes: number; lastCell: string }> {
  const out = createWriteStream(path);
  let events = 0;
  let bytes = 0;
  let lastCell = "";
  let cell = 0;
  while ((limit.events === undefined || events < limit.events) && (limit.bytes === undefined || bytes < limit.bytes)) {
    lastCell = `earlier-${cell++}`;
    const chunk = cellLines(lastCell).join("");
    events += 5;
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { events, bytes, lastCell };
}

// ── the seed's strategy, ported faithfully (async I/O instead of a blocked thread) ──

/** `parse_jsonl_events`: every non-blank line that deserializes as a CloudEventV1. */
function seedParseJsonlEvents(contents: string): CloudEventV1[] {
  const events: CloudEventV1[] = [];
  for (const line of contents.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = CloudEventV1Schema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // serde_json::from_str(..).ok(): malformed lines are skipped
    }
  }
  return events;
}

/** `wait_for_result_from_jsonl`: re-read the whole file every 25 ms until the cell's destroyed event shows up. */
async function seedWaitForResultFromJsonl(cellId: string, path: string, timeoutMs: number): Promise<CortexCellResult> {
  const started = performance.now();
  for (;;) {
    try {
      const contents = await readFile(path, "utf8");
      const result = buildCellResult(cellId, seedParseJsonlEvents(contents));
      if (result !== undefined) return result;
    } catch {
      // std::fs::read_to_string(..) failed: try again next poll
    }
    if (performance.now() - started >= timeoutMs) throw new Error(`cell result timeout after ${timeoutMs / 1000} seconds (cell_id=${cellId})`);
    await sleep(25);
  }
}

const fmtMs = (ms: number) => `${ms.toFixed(3)} ms`;
const percentile = (values: readonly number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;

// ── 1. result latency ──

async function resultLatency(dir: string): Promise<void> {
  const path = join(dir, "latency.jsonl");
  const earlier = await writeEventsFile(path, { events: 100_000 });
  const catchUpStart = performance.now();
  const tracker = new CellResultTracker(new JsonlTailSource({ path, logger }), { logger });
  await tracker.waitFor(earlier.lastCell, { timeoutMs: 300_000 });
  const catchUpMs = performance.now() - catchUpStart;

  const ours: number[] = [];
  for (let i = 0; i < 60; i++) {
    const cellId = `latency-ours-${i}`;
    await appendFile(path, cellLines(cellId, false).join(""));
    const waiting = tracker.waitFor(cellId, { timeoutMs: 10_000 });
    const t0 = performance.now();
    await appendFile(path, JSON.stringify(event(CellosEventType.lifecycleDestroyed, cellId, { outcome: "succeeded" })) + "\n");
    await waiting;
    ours.push(performance.now() - t0);
  }
  await tracker.close();

  // One whole-file pass, to land each baseline append at a random phase of its poll cycle.
  const passStart = performance.now();
  seedParseJsonlEvents(await readFile(path, "utf8"));
  const passMs = performance.now() - passStart;
  const baseline: number[] = [];
  for (let i = 0; i < 6; i++) {
    const cellId = `latency-seed-${i}`;
    await appendFile(path, cellLines(cellId, false).join(""));
    const waiting = seedWaitForResultFromJsonl(cellId, path, 60_000);
    await sleep(passMs + Math.random() * (passMs + 25));
    const t0 = performance.now();
    await appendFile(path, JSON.stringify(event(CellosEventType.lifecycleDestroyed, cellId, { outcome: "succeeded" })) + "\n");
    await waiting;
    baseline.push(performance.now() - t0);
  }

  const oursMedian = median(ours);
  const baselineMedian = median(baseline);
  const ratio = baselineMedian / oursMedian;
  printRow({
    name: `result latency, destroyed line appended to a file with ${earlier.events.toLocaleString("en-US")} earlier events (${(earlier.bytes / 1e6).toFixed(1)} MB)`,
    ours: oursMedian,
    baseline: baselineMedian,
    unit: "ms (median)",
    ratio,
    target: "ours ≤ 2 ms and ≥ 10× lower",
    met: oursMedian <= 2 && ratio >= 10,
    note: `ours p90 ${fmtMs(percentile(ours, 0.9))} over ${ours.length} cells (tracker caught up with the file in ${catchUpMs.toFixed(0)} ms); baseline = seed's 25 ms poll + whole-file re-read (one pass ${fmtMs(passMs)}), ${baseline.length} cells`,
  });
}

// ── 2. tail cost as the file grows ──

async function tailCost(dir: string): Promise<void> {
  const sizes = [1, 10, 100];
  const tails = [];
  for (const mb of sizes) {
    const path = join(dir, `tail-${mb}mb.jsonl`);
    const written = await writeEventsFile(path, { bytes: mb * 1024 * 1024 });
    const source = new JsonlTailSource({ path, logger });
    const controller = new AbortController();
    const iterator = source.events({ signal: controller.signal })[Symbol.asyncIterator]();
    // Catch up with the whole file first: what is measured is the steady state.
    for (let seen = 0; seen < written.events; seen++) await iterator.next();
    tails.push({ mb, path, source, controller, iterator, times: [] as number[], bytesBefore: source.stats.bytesRead, lineBytes: 0 });
  }
  // Round-robin over the sizes, so machine noise lands on every size alike.
  const lines = 300;
  for (let j = 0; j < lines; j++) {
    for (const tail of tails) {
      const line = JSON.stringify(event(CellosEventType.commandCompleted, `tail-${tail.mb}-${j}`, { argv: ["node"], exitCode: 0, durationMs: 1 })) + "\n";
      tail.lineBytes += Buffer.byteLength(line);
      const next = tail.iterator.next();
      const t0 = performance.now();
      await appendFile(tail.path, line);
      const result = await next;
      tail.times.push(performance.now() - t0);
      if (result.done === true) throw new Error("tail ended early");
    }
  }
  const perLine: { mb: number; ours: number; baseline: number; bytesPerLine: number; lineBytes: number }[] = [];
  for (const tail of tails) {
    const bytesPerLine = (tail.source.stats.bytesRead - tail.bytesBefore) / lines;
    tail.controller.abort();
    await tail.iterator.return?.();
    const passes: number[] = [];
    for (let k = 0; k < (tail.mb >= 100 ? 2 : 4); k++) {
      const t0 = performance.now();
      seedParseJsonlEvents(await readFile(tail.path, "utf8"));
      passes.push(performance.now() - t0);
    }
    await rm(tail.path);
    perLine.push({ mb: tail.mb, ours: median(tail.times) * 1000, baseline: median(passes) * 1000, bytesPerLine, lineBytes: tail.lineBytes / lines });
  }
  for (const row of perLine) {
    printRow({
      name: `tail: one new line appended to a ${row.mb} MB file`,
      ours: row.ours,
      baseline: row.baseline,
      unit: "µs/line (median)",
      ratio: row.baseline / row.ours,
      note: `ours read ${row.bytesPerLine.toFixed(0)} bytes per new line (lines are ${row.lineBytes.toFixed(0)} bytes); baseline = the seed's whole-file re-read + parse per poll`,
    });
  }
  const first = perLine[0];
  const last = perLine[perLine.length - 1];
  if (first !== undefined && last !== undefined) {
    const oursGrowth = last.ours / first.ours;
    const baselineGrowth = last.baseline / first.baseline;
    printRow({
      name: `tail cost growth from ${first.mb} MB to ${last.mb} MB`,
      ours: oursGrowth,
      baseline: baselineGrowth,
      unit: "× (time per line, big file / small file)",
      ratio: baselineGrowth / oursGrowth,
      target: "ours flat (≤ 1.5×) and reading only the new bytes",
      met: oursGrowth <= 1.5 && perLine.every((r) => Math.abs(r.bytesPerLine - r.lineBytes) < 1),
    });
  }
}

// ── 3. ingest: parse + validate structured events ──

async function ingest(): Promise<void> {
  const types = Object.values(CellosEventType);
  const bodies = Array.from({ length: 64 }, (_, i) =>
    JSON.stringify(event(types[i % types.length] ?? CellosEventType.lifecycleDestroyed, `ingest-${i}`, { exitCode: i, argv: ["node", "agent.js"], durationMs: i * 10 })),
  );
  const buffers = bodies.map((b) => Buffer.from(b));
  const headers = { "content-type": "application/cloudevents+json" };
  let i = 0;
  let j = 0;
  await compare({
    name: "ingest: parse + validate a structured CloudEvent (HTTP body → event)",
    ours: () => {
      const result = decodeCloudEventsHttp(headers, buffers[i++ & 63] ?? Buffer.alloc(0));
      if (!result.ok) throw new Error(result.message);
    },
    baseline: () => {
      const received = HTTP.toEvent({ headers, body: bodies[j++ & 63] });
      if (!(received instanceof CloudEvent)) throw new Error("expected one event");
      received.validate();
    },
    minRatio: 5,
    time: 1500,
    note: "baseline: cloudevents SDK HTTP.toEvent + validate() on the same bodies (given as strings, ours as the Buffers node hands over)",
  });
}

// ── 4. HTTP events/s under autocannon ──

async function load(url: string, body: string, seconds: number): Promise<{ rps: number; non2xx: number; errors: number }> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body,
    connections: 16,
    pipelining: 1,
    duration: seconds,
    workers: 1, // the load generator runs in a worker thread; the server has the main thread
  });
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

async function httpThroughput(): Promise<void> {
  const body = JSON.stringify(event(CellosEventType.commandCompleted, "http-cell", { argv: ["node", "agent.js"], exitCode: 0, durationMs: 12 }));

  const receiver = new HttpCloudEventsReceiver({ host: "127.0.0.1", port: 0, path: "/events", logger });
  const { url: oursUrl } = await receiver.listen();
  const controller = new AbortController();
  let delivered = 0;
  const draining = (async () => {
    for await (const _ of receiver.events({ signal: controller.signal })) delivered += 1;
  })();

  const bare = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(202, { "content-type": "application/json" });
      res.end('{"accepted":1}');
    });
  });
  bare.listen(0, "127.0.0.1");
  await once(bare, "listening");
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/events`;

  await load(oursUrl, body, 1); // warm up both
  await load(bareUrl, body, 1);
  // Paired rounds in alternating order: load from the rest of the machine hits both sides alike.
  const rounds: { ours: number; baseline: number }[] = [];
  let problems = 0;
  for (let round = 0; round < 6; round++) {
    const oursFirst = round % 2 === 0;
    const first = await load(oursFirst ? oursUrl : bareUrl, body, 3);
    const second = await load(oursFirst ? bareUrl : oursUrl, body, 3);
    const [o, b] = oursFirst ? [first, second] : [second, first];
    rounds.push({ ours: o.rps, baseline: b.rps });
    problems += o.non2xx + o.errors + b.non2xx + b.errors;
  }
  controller.abort();
  await draining;
  await receiver.close();
  bare.close();

  const ratios = rounds.map((r) => r.ours / r.baseline);
  const ratio = median(ratios);
  printRow({
    name: "HTTP: structured events/s over loopback (autocannon, 16 connections)",
    ours: median(rounds.map((r) => r.ours)),
    baseline: median(rounds.map((r) => r.baseline)),
    unit: "events/s (median)",
    ratio,
    target: "≥ 0.6×",
    met: ratio >= 0.6,
    note: `baseline: bare node:http that only JSON.parses the body; ratio = median of ${rounds.length} paired 3 s rounds (${ratios.map((r) => r.toFixed(2)).join(", ")}); ${delivered.toLocaleString("en-US")} events handed to the reader; non-2xx/errors: ${problems}`,
  });
}

export default async function receiverBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "receiver-bench-"));
  try {
    await resultLatency(dir);
    await tailCost(dir);
    await ingest();
    await httpThroughput();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
