/**
 * A cell worker in its own process, for the pool tests: a LocalCellHost whose events go to a
 * NatsJetStreamSink, pulled by runNatsCellWorker. Configured by the JSON in
 * $CELL_WORKER_CONFIG; prints `ready` once it pulls and `cell <id> <outcome>` per cell.
 * Stops cleanly on SIGTERM; the tests kill it with SIGKILL to simulate a crash.
 */
import { NatsJetStreamSink } from "@cellos-cortex/receiver/nats";
import { LocalCellHost } from "../../local-cell-host.js";
import { runNatsCellWorker } from "../nats-cell-worker.js";

interface Config {
  servers: string;
  workDir: string;
  source: string;
  concurrency: number;
  ackWaitMs: number;
  events: { stream: string; subjectPrefix: string };
  cells: { stream: string; subjectPrefix: string };
}

const config = JSON.parse(process.env.CELL_WORKER_CONFIG ?? "{}") as Config;
const logger = { warn: (message: string) => process.stderr.write(`${message}\n`) };
const sink = new NatsJetStreamSink({ servers: config.servers, ...config.events, logger });
const host = new LocalCellHost({ workDir: config.workDir, eventSink: sink, isolation: "none", source: config.source, logger });
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());
const report = await runNatsCellWorker({
  servers: config.servers,
  host,
  eventSink: sink,
  ...config.cells,
  signal: stop.signal,
  concurrency: config.concurrency,
  ackWaitMs: config.ackWaitMs,
  logger,
  onReady: () => process.stdout.write("ready\n"),
  onCell: (run) => process.stdout.write(`cell ${run.cellId ?? "?"} ${run.outcome}\n`),
});
await host.close();
await sink.close();
process.stdout.write(`report ${JSON.stringify(report)}\n`);
