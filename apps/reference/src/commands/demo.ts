import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { CellosEventType, JsonlFileEventSink } from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink } from "@cellos-cortex/cellos-core";
import { contextPackFromWire } from "@cellos-cortex/cortex-core";
import type { ContextPack as CortexContextPack } from "@cellos-cortex/cortex-core";
import { CellosLedgerEmitter, CortexCellRunner, LocalCellHost, contextPackFromCortex } from "@cellos-cortex/bridge";
import type { IsolationMode } from "@cellos-cortex/bridge";
import { DoctrineAuthorityPolicy, explain, loadDoctrineRules, renderValue } from "@cellos-cortex/doctrine";
import type { PolicyApplication } from "@cellos-cortex/doctrine";
import { Ledger, generateSigningKey } from "@cellos-cortex/ledger";
import { ReplayAdapter } from "@cellos-cortex/llm";
import { EventChannel, JsonlTailSource } from "@cellos-cortex/receiver";
import type { CellEventSource, CortexCellResult } from "@cellos-cortex/receiver";
import { createRun, executeRun } from "@cellos-cortex/runtime";
import type { RunExecution } from "@cellos-cortex/runtime";
import { assets } from "../assets.js";
import { CliError, EXIT } from "../cli-error.js";
import { Output, formatMs } from "../output.js";
import { untilInterrupted } from "../shutdown.js";
import { serve } from "./serve.js";

export interface DemoOptions {
  /** Where the events file, ledger and cells go (default: a fresh temp dir, removed unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  readonly isolation?: IsolationMode;
  readonly signal?: AbortSignal;
  /** Extra sink that sees every cell event as it is written (the dashboard of `demo --serve`). */
  readonly tee?: EventSink;
}

export interface LifecycleStep {
  readonly type: string;
  readonly time: string | undefined;
  /** Milliseconds since the cell's `lifecycle.v1.started` event. */
  readonly offsetMs: number | undefined;
}

export interface DemoSummary {
  readonly dir: string;
  /** Whether `dir` (events, ledger, exports) is still there after the demo. */
  readonly kept: boolean;
  readonly cortexRun: {
    readonly correlationId: string;
    readonly adapterId: string;
    readonly model: string;
    readonly promptHash: string;
    readonly runtimeMode: string;
  };
  readonly cellId: string;
  readonly packId: string;
  readonly doctrine: {
    readonly refs: readonly string[];
    readonly applied: PolicyApplication["applied"];
    readonly unknownDoctrineIds: readonly string[];
    readonly explanation: string;
  };
  readonly lifecycle: readonly LifecycleStep[];
  readonly result: CortexCellResult;
  readonly exports: readonly string[];
  readonly ledger: { readonly path: string; readonly ok: boolean; readonly count: number; readonly reason?: string };
  readonly claim: { readonly ceiling: string; readonly reasons: readonly string[] };
  readonly isolation: { readonly mode: string; readonly enforced: Readonly<Record<string, boolean>>; readonly note?: string };
}

/** The authority the demo's cells ask for before doctrine narrows it. */
const REQUESTED_AUTHORITY = {
  egressRules: [{ host: "api.github.com", port: 443, protocol: "tcp" }],
  secretRefs: ["GITHUB_TOKEN"],
  capabilities: ["net_bind_service"],
  exports: { allowed: true },
};

/**
 * The end-to-end demo, on one machine with no network: a Cortex turn through
 * replayed LLM fixtures, the pack translated into a cell, narrowed by
 * doctrine, run on `LocalCellHost`, followed through the JSONL events file,
 * every event recorded in a signed ledger, and the ledger verified.
 */
export async function runDemo(out: Output, options: DemoOptions = {}): Promise<DemoSummary> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "cellos-cortex-demo-")));
  const removeDir = options.dir === undefined && options.keep !== true;
  const signal = options.signal ?? AbortSignal.timeout(60_000);
  await mkdir(dir, { recursive: true });
  const eventsPath = join(dir, "events.jsonl");
  const ledgerPath = join(dir, "ledger.jsonl");
  try {
    const pack = await out.step("load the sample Cortex context pack", async () => contextPackFromWire(JSON.parse(await readFile(assets.samplePack, "utf8"))), (p: CortexContextPack) => p.contextPackId);

    const adapter = await ReplayAdapter.fromDirectory(assets.fixtures);
    const run = createRun({ task: pack.task, pack });
    const { report } = await out.step("run the Cortex agent turn (replayed LLM fixtures)", () => executeRun(run, adapter, { signal }), (r: RunExecution) => `${r.report.model}, prompt ${r.report.promptHash.slice(0, 12)}…`);

    const { privateKey, publicKey } = generateSigningKey();
    const ledger = await Ledger.open(ledgerPath, { signingKey: privateKey, fsync: false });
    let ledgerClosed = false;
    try {
      await ledger.append(report.agentResponseEvent);

      const slim = await contextPackFromCortex(pack);
      const policy = new DoctrineAuthorityPolicy(loadDoctrineRules(await readFile(assets.doctrine, "utf8")));
      const fileSink = new JsonlFileEventSink({ path: eventsPath });
      const sink: EventSink = options.tee === undefined ? fileSink : fanOut(fileSink, options.tee);
      const host = new LocalCellHost({ eventSink: sink, workDir: join(dir, "cells"), returnAfter: "started", visiblePaths: [assets.root, process.execPath], ...(options.isolation === undefined ? {} : { isolation: options.isolation }) });
      const tail = new JsonlTailSource({ path: eventsPath });
      const runner = new CortexCellRunner(host, [process.execPath, assets.agent], {
        eventSink: sink,
        resultSource: tail,
        policy,
        authority: REQUESTED_AUTHORITY,
        export: { artifacts: [{ name: "report.json", path: "out/report.json" }] },
      });
      const translation = await out.step("translate the pack and apply doctrine", () => Promise.resolve(runner.translate(slim)), (t) => `${t.document.spec.id}, ${t.policy.applied.length} doctrine(s) applied`);
      out.note(indent(explain(translation.policy)));

      const emitter = new CellosLedgerEmitter({ ledger });
      const stopLedger = new AbortController();
      const cellId = translation.document.spec.id;
      const seen: CloudEventV1[] = [];
      const recorded = emitter.consume(untilDestroyed(new JsonlTailSource({ path: eventsPath }), cellId, seen), { signal: AbortSignal.any([stopLedger.signal, signal]) });

      let result: CortexCellResult;
      try {
        result = await out.step("run the cell on LocalCellHost and follow its events", () => runner.run(slim, { signal }), (r) => `exit code ${r.exitCode}`);
        await out.step("record every cell event in the signed ledger", () => recorded, (s) => `${s.appended} rows`);
      } finally {
        stopLedger.abort();
        await recorded.catch(() => undefined);
        await Promise.all([runner.close(), host.close(), fileSink.close()]);
      }
      await ledger.close();
      ledgerClosed = true;

      const verification = await out.step("verify the ledger (hash chain + Ed25519 signatures)", () => Ledger.verify(ledgerPath, { publicKey }), (v) => (v.ok ? `${v.count} rows verified` : `broken at row ${v.firstBadIndex ?? "?"}`));
      const started = seen.find((event) => event.type === CellosEventType.lifecycleStarted);
      const startedMs = typeof started?.time === "string" ? Date.parse(started.time) : undefined;
      const lifecycle = seen.map((event) => ({
        type: event.type,
        time: event.time ?? undefined,
        offsetMs: startedMs === undefined || typeof event.time !== "string" ? undefined : Date.parse(event.time) - startedMs,
      }));
      const startedData = (started?.data ?? {}) as { isolation?: string; isolationNote?: string; enforced?: Record<string, boolean> };
      return {
        dir,
        kept: !removeDir,
        cortexRun: { correlationId: report.correlationId, adapterId: report.adapterId, model: report.model, promptHash: report.promptHash, runtimeMode: report.runtimeMode },
        cellId: result.cellId,
        packId: result.packId,
        doctrine: { refs: slim.doctrineRefs, applied: translation.policy.applied, unknownDoctrineIds: translation.policy.unknownDoctrineIds, explanation: explain(translation.policy) },
        lifecycle,
        result,
        exports: result.exportPaths,
        ledger: { path: ledgerPath, ok: verification.ok, count: verification.count, ...(verification.reason === undefined ? {} : { reason: verification.reason }) },
        claim: { ceiling: report.claimCeiling, reasons: report.downgradeReasons },
        isolation: { mode: startedData.isolation ?? "unknown", enforced: startedData.enforced ?? {}, ...(startedData.isolationNote === undefined ? {} : { note: startedData.isolationNote }) },
      };
    } finally {
      if (!ledgerClosed) await ledger.close();
    }
  } finally {
    if (removeDir) await rm(dir, { recursive: true, force: true });
  }
}

/** Passes a source's events through, keeping the given cell's, and ends after that cell's destroyed event. */
function untilDestroyed(source: CellEventSource, cellId: string, seen: CloudEventV1[]): CellEventSource {
  return {
    async *events(options) {
      for await (const event of source.events(options)) {
        const data = event.data as { cellId?: unknown } | undefined;
        const mine = data?.cellId === cellId;
        if (mine) seen.push(event);
        yield event;
        if (mine && event.type === CellosEventType.lifecycleDestroyed) return;
      }
    },
  };
}

function fanOut(...sinks: EventSink[]): EventSink {
  return {
    async emit(event) {
      await Promise.all(sinks.map((sink) => sink.emit(event)));
    },
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}

export function printDemoSummary(out: Output, summary: DemoSummary): void {
  out.line("");
  out.line(`Cortex turn   ${summary.cortexRun.adapterId} / ${summary.cortexRun.model}, mode ${summary.cortexRun.runtimeMode}, correlation ${summary.cortexRun.correlationId}`);
  out.line(`Cell          ${summary.cellId}  (pack ${summary.packId.slice(0, 16)}…)`);
  out.line(`Doctrine      ${summary.doctrine.refs.join(", ") || "(none)"}`);
  for (const applied of summary.doctrine.applied) {
    for (const change of applied.changes) out.line(`                ${applied.doctrineId}: ${change.path} ${renderValue(change.before)} → ${renderValue(change.after)}`);
  }
  if (summary.doctrine.unknownDoctrineIds.length > 0) out.line(`                unknown (no effect): ${summary.doctrine.unknownDoctrineIds.join(", ")}`);
  const axes = Object.entries(summary.isolation.enforced);
  const enforced = axes.filter(([, on]) => on).map(([axis]) => axis);
  const recorded = axes.filter(([, on]) => !on).map(([axis]) => axis);
  out.line(`Isolation     ${summary.isolation.mode}; enforced: ${enforced.join(", ") || "(none)"}${recorded.length > 0 ? `; recorded only: ${recorded.join(", ")}` : ""}`);
  if (summary.isolation.note !== undefined) out.line(`                ${summary.isolation.note}`);
  out.line("Lifecycle");
  for (const step of summary.lifecycle) {
    const offset = step.offsetMs === undefined ? "" : `+${formatMs(step.offsetMs)}`;
    out.line(`  ${offset.padStart(10)}  ${step.type.replace("dev.cellos.events.cell.", "")}`);
  }
  out.line(`Exit code     ${summary.result.exitCode} (${summary.result.success ? "succeeded" : "failed"})`);
  out.line(`Exports       ${summary.exports.join(", ") || "(none)"}`);
  out.line(`Ledger        ${summary.ledger.ok ? "verified" : "NOT verified"}: ${summary.ledger.count} signed rows${summary.kept ? ` in ${summary.ledger.path}` : " (temporary; --keep keeps it)"}${summary.ledger.reason ? ` (${summary.ledger.reason})` : ""}`);
  out.line(`Claim ceiling ${summary.claim.ceiling}`);
  for (const reason of summary.claim.reasons) out.line(`                ${reason}`);
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the offline end-to-end demo: Cortex turn → doctrine → cell → events → signed ledger")
    .option("--json", "print the summary as JSON")
    .option("--dir <path>", "keep the events file, ledger and cell exports in this directory")
    .option("--keep", "keep the temporary directory and print its path")
    .option("--isolation <mode>", "auto | bubblewrap | none", "auto")
    .option("--serve", "show the run on the live dashboard, and keep serving it until Ctrl-C")
    .option("--port <port>", "dashboard port with --serve (0 = a free one)", "0")
    .action(async (opts: { json?: boolean; dir?: string; keep?: boolean; isolation: string; serve?: boolean; port: string }) => {
      if (!["auto", "bubblewrap", "none"].includes(opts.isolation)) throw new CliError(`--isolation must be auto, bubblewrap or none, got ${JSON.stringify(opts.isolation)}`, EXIT.usage);
      const out = new Output({ json: opts.json === true });
      out.note("cellos-cortex demo");
      const options: DemoOptions = { ...(opts.dir === undefined ? {} : { dir: opts.dir }), keep: opts.keep === true, isolation: opts.isolation as IsolationMode };
      const dashboard = opts.serve === true ? await startDashboard(out, options, Number(opts.port)) : undefined;
      let summary: DemoSummary;
      try {
        summary = await runDemo(out, dashboard === undefined ? options : { ...options, dir: dashboard.dir, keep: true, tee: dashboard.channel });
      } catch (error) {
        dashboard?.stop();
        await dashboard?.serving;
        throw error;
      }
      out.result(summary);
      printDemoSummary(out, summary);
      if (opts.keep === true || opts.dir !== undefined || dashboard !== undefined) out.note(`files kept in ${summary.dir}`);
      if (!summary.ledger.ok || !summary.result.success) process.exitCode = EXIT.failed;
      if (dashboard !== undefined) {
        out.note(`dashboard still serving at ${dashboard.url} (Ctrl-C stops)`);
        await dashboard.serving;
      }
    });
}

/**
 * `demo --serve`: the dashboard follows the demo's events in process (an
 * `EventChannel` teed from the cell host's sink) and its ledger file, and
 * keeps serving after the demo until Ctrl-C, so the run can be looked at.
 */
async function startDashboard(out: Output, options: DemoOptions, port: number): Promise<{ dir: string; channel: EventChannel; url: string; serving: Promise<void>; stop: () => void }> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be 0–65535, got ${String(port)}`, EXIT.usage);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "cellos-cortex-demo-")));
  await mkdir(dir, { recursive: true });
  const channel = new EventChannel();
  const controller = new AbortController();
  const signal = AbortSignal.any([controller.signal, untilInterrupted()]);
  let listening: (url: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const serving = serve({ source: channel, signal, port, ledgerPath: join(dir, "ledger.jsonl"), onListening: (info) => listening(info.url) });
  const url = await Promise.race([ready, serving.then(() => "")]);
  if (url === "") throw new CliError("the dashboard stopped before it listened", EXIT.environment);
  out.note(`dashboard: ${url}`);
  return { dir, channel, url, serving, stop: () => controller.abort() };
}
