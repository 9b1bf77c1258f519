import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { LocalCellHost } from "@cellos-cortex/bridge";
import type { IsolationMode } from "@cellos-cortex/bridge";
import { DEFAULT_CELL_STREAM, runNatsCellWorker } from "@cellos-cortex/bridge/nats";
import type { NatsCellRun } from "@cellos-cortex/bridge/nats";
import { NatsJetStreamSink } from "@cellos-cortex/receiver/nats";
import { CliError, EXIT } from "../cli-error.js";
import { NATS_EVENTS, NatsTarget, ensureOnNats } from "../nats.js";
import { Output } from "../output.js";
import { untilInterrupted } from "../shutdown.js";

interface WorkerFlags {
  nats: string;
  concurrency: string;
  isolation: string;
  workDir?: string;
  json?: boolean;
}

function describeRun(run: NatsCellRun): string {
  const cell = run.cellId ?? "(unreadable cell)";
  const exit = run.exitCode === undefined ? "" : `, exit code ${run.exitCode}`;
  const again = run.deliveryCount > 1 ? `, delivery ${run.deliveryCount}` : "";
  const reason = run.reason === undefined ? "" : `: ${run.reason}`;
  return `${cell}: ${run.outcome}${exit}${again}${reason}`;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run cells from a NATS JetStream work queue on this machine (one of a pool; Ctrl-C stops after the running cells finish)")
    .requiredOption("--nats <url>", "NATS server with JetStream (nats-server -js)")
    .option("--concurrency <n>", "cells run at once", "1")
    .option("--isolation <mode>", "auto | bubblewrap | none", "auto")
    .option("--work-dir <dir>", "where cell working directories are made (default: the temp directory)")
    .option("--json", "print one JSON line when ready, per cell, and the report at the end")
    .action(async (flags: WorkerFlags) => {
      const out = new Output({ json: flags.json === true });
      const nats = new NatsTarget(flags.nats);
      const concurrency = Number(flags.concurrency);
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new CliError(`--concurrency must be an integer ≥ 1, got ${JSON.stringify(flags.concurrency)}`, EXIT.usage);
      if (!["auto", "bubblewrap", "none"].includes(flags.isolation)) throw new CliError(`--isolation must be auto, bubblewrap or none, got ${JSON.stringify(flags.isolation)}`, EXIT.usage);
      const json = (value: unknown): void => {
        process.stdout.write(`${JSON.stringify(value)}\n`);
      };
      const signal = untilInterrupted();
      try {
        // The worker and the sink its host publishes to share one connection.
        const connection = await nats.connection();
        const sink = new NatsJetStreamSink({ connection });
        const host = new LocalCellHost({ eventSink: sink, workDir: flags.workDir ?? join(tmpdir(), "cellos-cortex-cells"), isolation: flags.isolation as IsolationMode });
        try {
          await ensureOnNats(`event stream ${NATS_EVENTS}`, nats.url, () => sink.ensureStream());
          const report = await runNatsCellWorker({
            connection,
            host,
            eventSink: sink,
            signal,
            concurrency,
            onReady: () => {
              if (out.json) json({ ready: true, nats: nats.url, workQueue: DEFAULT_CELL_STREAM, concurrency });
              else out.line(`worker ready: running cells from ${DEFAULT_CELL_STREAM} on ${nats.url}, ${concurrency} at a time; events to ${NATS_EVENTS} (Ctrl-C stops)`);
            },
            onCell: (run) => {
              if (out.json) json({ cell: run });
              else out.line(describeRun(run));
            },
          });
          if (out.json) json({ report });
          else out.line(`worker stopped: ${report.completed} completed, ${report.skipped} skipped, ${report.refused} refused, ${report.requeued} requeued`);
        } finally {
          await host.close();
          await sink.close();
        }
      } finally {
        await nats.close();
      }
    });
}
