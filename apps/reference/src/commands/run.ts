import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { JsonlFileEventSink } from "@cellos-cortex/cellos-core";
import type { EventSink } from "@cellos-cortex/cellos-core";
import { CortexCellRunner, HttpCellSubmitter, LocalCellHost } from "@cellos-cortex/bridge";
import type { CellSubmitter, IsolationMode } from "@cellos-cortex/bridge";
import { explain } from "@cellos-cortex/doctrine";
import { JsonlTailSource } from "@cellos-cortex/receiver";
import type { CellEventSource } from "@cellos-cortex/receiver";
import { CliError, EXIT } from "../cli-error.js";
import { loadPack } from "../load-pack.js";
import { loadPolicy } from "../load-policy.js";
import { Output } from "../output.js";
import { untilInterrupted } from "../shutdown.js";

interface RunFlags {
  agent?: string[];
  submitter: string;
  events?: string;
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
    .requiredOption("--agent <argv...>", "agent argv; the pack's task is appended as the last argument")
    .option("--submitter <kind>", "local (embedded LocalCellHost) | http (a CellOS server)", "local")
    .option("--events <jsonl>", "CloudEvents JSONL file: written by the local host, followed for results with http")
    .option("--base-url <url>", "CellOS server base URL (with --submitter http)")
    .option("--token <token>", "bearer token for the CellOS server")
    .option("--doctrine <rules.yaml>", "operator doctrine rule table (default: the built-in ids)")
    .option("--isolation <mode>", "auto | bubblewrap | none (local submitter)", "auto")
    .option("--timeout <ms>", "give up waiting for the result after this many ms")
    .option("--json", "print the result as JSON")
    .action(async (path: string, flags: RunFlags) => {
      const out = new Output({ json: flags.json === true });
      const pack = await loadPack(path);
      const policy = await loadPolicy(flags.doctrine);
      const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout);
      if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) throw new CliError(`--timeout must be a positive integer of ms, got ${JSON.stringify(flags.timeout)}`, EXIT.usage);
      const agent = flags.agent ?? [];
      const closers: (() => Promise<void>)[] = [];
      let submitter: CellSubmitter;
      let resultSource: CellEventSource | undefined;
      let eventSink: EventSink | undefined;
      if (flags.submitter === "local") {
        if (!["auto", "bubblewrap", "none"].includes(flags.isolation)) throw new CliError(`--isolation must be auto, bubblewrap or none, got ${JSON.stringify(flags.isolation)}`, EXIT.usage);
        const eventsPath = flags.events ?? join(await mkdtemp(join(tmpdir(), "cellos-cortex-run-")), "events.jsonl");
        const sink = new JsonlFileEventSink({ path: eventsPath });
        eventSink = sink;
        const host = new LocalCellHost({ eventSink: sink, workDir: join(tmpdir(), "cellos-cortex-cells"), isolation: flags.isolation as IsolationMode });
        submitter = host;
        closers.push(() => host.close(), () => sink.close());
        out.note(`events: ${eventsPath}`);
      } else if (flags.submitter === "http") {
        if (flags.baseUrl === undefined) throw new CliError("--submitter http needs --base-url <url> of the CellOS server", EXIT.usage);
        if (flags.events === undefined) throw new CliError("--submitter http needs --events <jsonl>: the file the CellOS supervisor writes its events to", EXIT.usage);
        submitter = new HttpCellSubmitter({ baseUrl: flags.baseUrl, ...(flags.token === undefined ? {} : { token: flags.token }) });
        resultSource = new JsonlTailSource({ path: flags.events });
      } else {
        throw new CliError(`--submitter must be local or http, got ${JSON.stringify(flags.submitter)}`, EXIT.usage);
      }
      const runner = new CortexCellRunner(submitter, agent, { policy, ...(eventSink === undefined ? {} : { eventSink }), ...(resultSource === undefined ? {} : { resultSource }) });
      closers.unshift(() => runner.close());
      try {
        out.note(explain(runner.translate(pack).policy));
        const result = await out.step("run the cell", () => runner.run(pack, { signal: untilInterrupted(), ...(timeoutMs === undefined ? {} : { timeoutMs }) }), (r) => `exit code ${r.exitCode}`);
        out.result(result);
        out.line(`${result.cellId}: ${result.success ? "succeeded" : "failed"}, exit code ${result.exitCode}${result.exportPaths.length > 0 ? `, exports ${result.exportPaths.join(", ")}` : ""}`);
        if (!result.success) process.exitCode = EXIT.failed;
      } finally {
        for (const close of closers) await close();
      }
    });
}
