import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { JsonlFileEventSink } from "@cellos-cortex/cellos-core";
import type { EventSink } from "@cellos-cortex/cellos-core";
import { CortexCellRunner, HttpCellSubmitter, LocalCellHost, packToCellId } from "@cellos-cortex/bridge";
import type { CellSubmitter, ContextPack, Dispatched, IsolationMode } from "@cellos-cortex/bridge";
import { NatsCellSubmitter } from "@cellos-cortex/bridge/nats";
import { explain } from "@cellos-cortex/doctrine";
import { JsonlTailSource } from "@cellos-cortex/receiver";
import type { CellEventSource, CortexCellResult } from "@cellos-cortex/receiver";
import { NatsJetStreamSink, NatsJetStreamSource } from "@cellos-cortex/receiver/nats";
import { CliError, EXIT } from "../cli-error.js";
import { loadPack } from "../load-pack.js";
import { loadPolicy } from "../load-policy.js";
import { NATS_EVENTS, NatsTarget, ensureOnNats } from "../nats.js";
import { Output } from "../output.js";
import { untilInterrupted } from "../shutdown.js";

interface RunFlags {
  agent?: string[];
  submitter: string;
  events?: string;
  nats?: string;
  baseUrl?: string;
  token?: string;
  doctrine?: string;
  isolation: string;
  timeout?: string;
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a pack as a cell: translate, apply doctrine, submit, follow events to the result")
    .argument("<pack.json>", "a Cortex context pack (snake_case) or a slim bridge pack")
    .argument("[argv...]", "the agent argv after `--`, for an agent whose arguments start with - (instead of --agent)")
    .option("--agent <argv...>", "agent argv; the pack's task is appended as the last argument")
    .option("--submitter <kind>", "local (embedded LocalCellHost) | http (a CellOS server) | nats (a pool of `cellos-cortex worker`s)", "local")
    .option("--events <jsonl>", "CloudEvents JSONL file: written by the local host, followed for results with http")
    .option("--nats <url>", "NATS server with JetStream, instead of --events: the local host publishes the cell's events there; http and nats follow results there")
    .option("--base-url <url>", "CellOS server base URL (with --submitter http)")
    .option("--token <token>", "bearer token for the CellOS server")
    .option("--doctrine <rules.yaml>", "operator doctrine rule table (default: the built-in ids)")
    .option("--isolation <mode>", "auto | bubblewrap | none (local submitter)", "auto")
    .option("--timeout <ms>", "give up waiting for the result after this many ms")
    .option("--json", "print the result as JSON")
    .action(async (path: string, operands: string[], flags: RunFlags) => {
      const out = new Output({ json: flags.json === true });
      const pack = await loadPack(path);
      const policy = await loadPolicy(flags.doctrine);
      const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout);
      if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) throw new CliError(`--timeout must be a positive integer of ms, got ${JSON.stringify(flags.timeout)}`, EXIT.usage);
      const agent = agentArgv(flags.agent, operands);
      if (flags.events !== undefined && flags.nats !== undefined) throw new CliError("pass --events <jsonl> or --nats <url>, not both: they are two places for the same events", EXIT.usage);
      const nats = flags.nats === undefined ? undefined : new NatsTarget(flags.nats);
      const { submitter, resultSource, eventSink, closers, natsResults } = await openSubmitter(flags, pack, nats, out);
      const runner = new CortexCellRunner(submitter, agent, { policy, ...(eventSink === undefined ? {} : { eventSink }), ...(resultSource === undefined ? {} : { resultSource }) });
      closers.unshift(() => runner.close());
      try {
        out.note(explain(runner.translate(pack).policy));
        const signal = untilInterrupted();
        const result = await out.step(
          "run the cell",
          async () => {
            const started = performance.now();
            const dispatched = await runner.dispatch(pack, { signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
            const remaining = timeoutMs === undefined ? {} : { timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)) };
            if (nats === undefined || (dispatched as { duplicate?: unknown }).duplicate !== true) return runner.waitForResult(dispatched, { signal, ...remaining });
            // The work queue dropped this copy: the same cell id was queued within its duplicate
            // window, so the cell runs once. Its events are older than this run: read them all.
            out.note(`cell ${dispatched.cellId} was already queued within the work queue's duplicate window: it runs once; reporting that run`);
            return earlierRun(dispatched, await natsResults(nats, { deliverPolicy: "all" }), { signal, ...remaining });
          },
          (r) => `exit code ${r.exitCode}`,
        );
        out.result(result);
        out.line(`${result.cellId}: ${result.success ? "succeeded" : "failed"}, exit code ${result.exitCode}${result.exportPaths.length > 0 ? `, exports ${result.exportPaths.join(", ")}` : ""}`);
        if (!result.success) process.exitCode = EXIT.failed;
      } finally {
        for (const close of closers) await close();
      }
    });
}

interface Opened {
  submitter: CellSubmitter;
  resultSource: CellEventSource | undefined;
  eventSink: EventSink | undefined;
  /** Run in order once the run is over. */
  closers: (() => Promise<void>)[];
  /** A source of the pack's cell events on NATS (closed with the rest). */
  natsResults: (target: NatsTarget, options: { startTime: Date } | { deliverPolicy: "all" }) => Promise<NatsJetStreamSource>;
}

/** The submitter `--submitter` names, where the cell's events go, and where its result is followed from. */
async function openSubmitter(flags: RunFlags, pack: ContextPack, nats: NatsTarget | undefined, out: Output): Promise<Opened> {
  const closers: (() => Promise<void>)[] = [];
  let submitter: CellSubmitter;
  let resultSource: CellEventSource | undefined;
  let eventSink: EventSink | undefined;
  /**
   * The NATS event stream as a sink: the local host's events, and the runner's
   * `cortex.v1.dispatched` (pack, doctrine changes). Creates or checks the stream.
   */
  const natsEvents = async (target: NatsTarget): Promise<NatsJetStreamSink> => {
    const sink = new NatsJetStreamSink({ connection: await target.connection() });
    closers.push(() => sink.close());
    await ensureOnNats(`event stream ${NATS_EVENTS}`, target.url, () => sink.ensureStream());
    return sink;
  };
  /**
   * With --nats, results are followed from the cell's own subjects, from now on (ADR-0031).
   * Opened after `natsEvents`, which made sure the stream exists.
   */
  const natsResults = async (target: NatsTarget, options: { startTime: Date } | { deliverPolicy: "all" }): Promise<NatsJetStreamSource> => {
    const source = new NatsJetStreamSource({ connection: await target.connection(), cellId: packToCellId(pack), ...options });
    // A reader: stopped before the sinks, and before the shared connection (closed last) in any case.
    closers.unshift(() => source.close());
    return source;
  };
  try {
    if (flags.submitter === "local") {
      if (!["auto", "bubblewrap", "none"].includes(flags.isolation)) throw new CliError(`--isolation must be auto, bubblewrap or none, got ${JSON.stringify(flags.isolation)}`, EXIT.usage);
      let sink: EventSink & { close(): Promise<void> };
      if (nats === undefined) {
        const eventsPath = flags.events ?? join(await mkdtemp(join(tmpdir(), "cellos-cortex-run-")), "events.jsonl");
        sink = new JsonlFileEventSink({ path: eventsPath });
        out.note(`events: ${eventsPath}`);
      } else {
        sink = await natsEvents(nats);
        out.note(`events: ${nats.url}, stream ${NATS_EVENTS}`);
      }
      eventSink = sink;
      const host = new LocalCellHost({ eventSink: sink, workDir: join(tmpdir(), "cellos-cortex-cells"), isolation: flags.isolation as IsolationMode });
      submitter = host;
      closers.unshift(() => host.close());
      if (nats === undefined) closers.push(() => sink.close());
    } else if (flags.submitter === "http") {
      if (flags.baseUrl === undefined) throw new CliError("--submitter http needs --base-url <url> of the CellOS server", EXIT.usage);
      if (flags.events === undefined && nats === undefined) throw new CliError("--submitter http needs --events <jsonl> or --nats <url>: where the CellOS supervisor writes its events", EXIT.usage);
      submitter = new HttpCellSubmitter({ baseUrl: flags.baseUrl, ...(flags.token === undefined ? {} : { token: flags.token }) });
      if (nats === undefined) resultSource = new JsonlTailSource({ path: flags.events ?? "" });
      else {
        eventSink = await natsEvents(nats);
        resultSource = await natsResults(nats, { startTime: new Date() });
      }
    } else if (flags.submitter === "nats") {
      if (nats === undefined) throw new CliError("--submitter nats needs --nats <url>: the NATS server the workers pull cells from", EXIT.usage, "start workers with `cellos-cortex worker --nats <url>`");
      const natsSubmitter = new NatsCellSubmitter({ connection: await nats.connection() });
      closers.push(() => natsSubmitter.close());
      await ensureOnNats(`cell work queue ${natsSubmitter.stream}`, nats.url, () => natsSubmitter.ensureStream());
      submitter = natsSubmitter;
      eventSink = await natsEvents(nats);
      resultSource = await natsResults(nats, { startTime: new Date() });
      out.note(`cells: ${nats.url}, work queue ${natsSubmitter.stream}; events: stream ${NATS_EVENTS}`);
    } else {
      throw new CliError(`--submitter must be local, http or nats, got ${JSON.stringify(flags.submitter)}`, EXIT.usage);
    }
  } catch (error) {
    for (const close of closers) await close();
    await nats?.close();
    throw error;
  }
  // Last: everything above shares its connection.
  if (nats !== undefined) closers.push(() => nats.close());
  return { submitter, resultSource, eventSink, closers, natsResults };
}

/** The agent argv: `--agent <argv...>` or the operands after `--` (exactly one of them). */
function agentArgv(option: string[] | undefined, operands: string[]): string[] {
  if (option !== undefined && operands.length > 0) {
    throw new CliError(`the agent is given twice: --agent ${option.join(" ")} and ${operands.join(" ")}`, EXIT.usage, "pass --agent <argv...>, or put the whole argv after --");
  }
  const argv = option ?? operands;
  if (argv.length === 0) throw new CliError("run needs the agent to start: --agent <argv...>, or -- <argv...> when its arguments start with -", EXIT.usage, "for example: run pack.json -- node agent.js --verbose");
  return argv;
}

/** The result of a cell submitted earlier, read from a source that replays its events. */
async function earlierRun(dispatched: Dispatched, source: CellEventSource, options: { signal: AbortSignal; timeoutMs?: number }): Promise<CortexCellResult> {
  const reader = new CortexCellRunner({ submit: () => Promise.reject(new Error("never submits")) }, [], { resultSource: source });
  try {
    return await reader.waitForResult(dispatched, options);
  } finally {
    await reader.close();
  }
}
