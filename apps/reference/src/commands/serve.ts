import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { importPublicKeyPem } from "@cellos-cortex/ledger";
import { JsonlTailSource } from "@cellos-cortex/receiver";
import { NatsJetStreamSource } from "@cellos-cortex/receiver/nats";
import type { CellEventSource } from "@cellos-cortex/receiver";
import { CliError, EXIT } from "../cli-error.js";
import { CellProjection } from "../dashboard/cell-projection.js";
import { DashboardError } from "../dashboard/dashboard-error.js";
import { stderrDashboardLogger } from "../dashboard/dashboard-logger.js";
import type { DashboardLogger } from "../dashboard/dashboard-logger.js";
import { DashboardServer } from "../dashboard/dashboard-server.js";
import type { DashboardListenInfo } from "../dashboard/dashboard-server.js";
import { LedgerStatusWatcher } from "../dashboard/ledger-status.js";
import { NATS_EVENTS, ensureOnNats, natsServers } from "../nats.js";
import { untilInterrupted } from "../shutdown.js";

/** Environment variable `serve` reads the bearer token from when `--token` is not given. */
export const SERVE_TOKEN_ENV = "CELLOS_CORTEX_SERVE_TOKEN";

export interface ServeOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Also follow this JSONL file of CloudEvents, from its start, like `tail -F`. */
  eventsPath?: string;
  /**
   * Also follow the cell events in this NATS server's event stream (`CELLOS_EVENTS`), every
   * one it still holds and then the new ones, through an ephemeral consumer of its own.
   */
  natsUrl?: string;
  /** Show this ledger's verification status. */
  ledgerPath?: string;
  /** Ed25519 public key (SPKI PEM) the ledger's rows must be signed with. */
  publicKeyPath?: string;
  /** Require `Authorization: Bearer <authToken>` on `POST /events`. */
  authToken?: string;
  /** Stops the dashboard; `serve` resolves once everything is closed. Without it, `serve` runs until a source fails. */
  signal?: AbortSignal;
  /** Called once the server listens, with the page URL (and where to POST events). */
  onListening?: (info: DashboardListenInfo) => void;
  /** An in-process source to follow too (e.g. the receiver's `EventChannel` the demo writes to). */
  source?: CellEventSource;
  /** Cells kept in memory (oldest finished ones are forgotten first). Default 1000. */
  maxCells?: number;
  logger?: DashboardLogger;
}

async function loadPublicKey(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read the public key ${JSON.stringify(path)}: ${(error as Error).message}`, EXIT.usage, "pass an Ed25519 public key in SPKI PEM (-----BEGIN PUBLIC KEY-----)", { cause: error });
  }
  try {
    return importPublicKeyPem(pem);
  } catch (error) {
    throw new CliError(`${JSON.stringify(path)} is not an Ed25519 public key: ${(error as Error).message}`, EXIT.usage, undefined, { cause: error });
  }
}

/** Resolves when `signal` fires (at once when it already has; never without one). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * Runs the live cell dashboard: one HTTP server on loopback with the page,
 * its API and event stream, and the CloudEvents endpoint `POST /events`; it
 * also follows `eventsPath` and `source` when given, and keeps the ledger's
 * verification status current. Resolves when `signal` fires and everything
 * is closed; rejects (after closing) when it cannot start or a source fails.
 */
export async function serve(options: ServeOptions): Promise<void> {
  if (options.publicKeyPath !== undefined && options.ledgerPath === undefined) {
    throw new CliError("--public-key needs --ledger: the key checks the ledger's signatures", EXIT.usage);
  }
  const logger = options.logger ?? stderrDashboardLogger;
  const publicKey = options.publicKeyPath === undefined ? undefined : await loadPublicKey(options.publicKeyPath);
  let natsSource: NatsJetStreamSource | undefined;
  if (options.natsUrl !== undefined) {
    natsSource = new NatsJetStreamSource({ servers: natsServers(options.natsUrl), deliverPolicy: "all", logger });
    const source = natsSource;
    try {
      // A dashboard may start before any supervisor or worker: it creates the stream they use.
      await ensureOnNats(`event stream ${NATS_EVENTS}`, options.natsUrl, () => source.ensureStream());
    } catch (error) {
      await source.close();
      throw error;
    }
  }
  if (options.signal?.aborted) {
    await natsSource?.close();
    return;
  }

  const projection = new CellProjection(options.maxCells === undefined ? {} : { maxCells: options.maxCells });
  const ledger =
    options.ledgerPath === undefined
      ? undefined
      : new LedgerStatusWatcher({ path: options.ledgerPath, publicKey, logger, onChange: (status) => dashboard.publishLedger(status) });
  const dashboard = new DashboardServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    authToken: options.authToken,
    projection,
    ...(ledger === undefined ? {} : { ledgerStatus: () => ledger.status }),
    logger,
  });

  let info: DashboardListenInfo;
  try {
    info = await dashboard.listen();
  } catch (error) {
    await natsSource?.close();
    if (error instanceof DashboardError && error.kind === "Listen") {
      throw new CliError(error.message, EXIT.environment, "pick another --port (0 = a free one)", { cause: error });
    }
    throw error;
  }

  const stop = new AbortController();
  const sources: { name: string; source: CellEventSource }[] = [];
  if (options.eventsPath !== undefined) {
    const path = options.eventsPath;
    sources.push({
      name: `JSONL file ${path}`,
      source: new JsonlTailSource({
        path,
        fromStart: true,
        logger,
        onInvalid: (line) => logger.warn(`skipped line ${line.lineNumber} of ${line.path} (${line.kind}): ${line.reason}`),
      }),
    });
  }
  if (natsSource !== undefined) sources.push({ name: `NATS ${options.natsUrl ?? ""} stream ${NATS_EVENTS}`, source: natsSource });
  if (options.source !== undefined) sources.push({ name: "the in-process event source", source: options.source });

  const outcome: { failure?: DashboardError } = {};
  const following = sources.map(async ({ name, source }) => {
    try {
      for await (const event of source.events({ signal: stop.signal })) dashboard.ingest(event);
    } catch (error) {
      if (stop.signal.aborted) return;
      outcome.failure ??= new DashboardError("Source", `following ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      stop.abort();
    }
  });

  try {
    if (ledger !== undefined) {
      // The first check runs in the background: a large ledger must not delay the page.
      ledger.start().catch((error: unknown) => logger.warn(`ledger check failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    options.onListening?.(info);
    await Promise.race([aborted(options.signal), aborted(stop.signal)]);
  } finally {
    stop.abort();
    await Promise.all(following);
    await dashboard.close();
    await ledger?.close();
    await natsSource?.close();
  }
  if (outcome.failure !== undefined) throw outcome.failure;
}

interface ServeFlags {
  host: string;
  port: string;
  events?: string;
  nats?: string;
  ledger?: string;
  publicKey?: string;
  token?: string;
  json?: boolean;
}

export interface ServeCommandContext {
  signal: AbortSignal;
  write: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

/** The `serve` command's work, with its flags as commander parsed them (exported for tests). */
export async function runServeCommand(flags: ServeFlags, context: ServeCommandContext): Promise<void> {
  const port = Number(flags.port);
  if (flags.port.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`--port must be an integer 0–65535, got ${JSON.stringify(flags.port)}`, EXIT.usage);
  }
  const token = flags.token ?? context.env[SERVE_TOKEN_ENV];
  if (token === "") throw new CliError(`the bearer token must not be empty (--token or ${SERVE_TOKEN_ENV})`, EXIT.usage);
  await serve({
    host: flags.host,
    port,
    ...(flags.events === undefined ? {} : { eventsPath: flags.events }),
    ...(flags.nats === undefined ? {} : { natsUrl: flags.nats }),
    ...(flags.ledger === undefined ? {} : { ledgerPath: flags.ledger }),
    ...(flags.publicKey === undefined ? {} : { publicKeyPath: flags.publicKey }),
    ...(token === undefined ? {} : { authToken: token }),
    signal: context.signal,
    onListening: (info) => {
      if (flags.json === true) {
        context.write(`${JSON.stringify({ url: info.url, port: info.port, eventsUrl: info.eventsUrl })}\n`);
        return;
      }
      const lines = [`dashboard: ${info.url}`, `POST CloudEvents to ${info.eventsUrl}${token === undefined ? "" : " (with Authorization: Bearer <token>)"}`];
      if (flags.events !== undefined) lines.push(`following ${flags.events}`);
      if (flags.nats !== undefined) lines.push(`following ${flags.nats}, stream ${NATS_EVENTS}`);
      if (flags.ledger !== undefined) lines.push(`verifying ledger ${flags.ledger}${flags.publicKey === undefined ? "" : " (signatures checked)"}`);
      lines.push("Ctrl-C stops");
      context.write(`${lines.join("\n")}\n`);
    },
  });
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the live cell dashboard: receive CloudEvents over HTTP, follow a JSONL file or NATS, verify a ledger (Ctrl-C stops)")
    .option("--host <address>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port (0 = a free one)", "0")
    .option("--events <jsonl>", "also follow this JSONL file of CloudEvents (from its start, like tail -F)")
    .option("--nats <url>", "also follow the cell events in this NATS JetStream server (stream CELLOS_EVENTS, from its start)")
    .option("--ledger <file>", "show this ledger's verification status, re-checked when it changes")
    .option("--public-key <pem>", "check the ledger's signatures with this Ed25519 public key (SPKI PEM)")
    .option("--token <token>", `require Authorization: Bearer <token> on POST /events (default: $${SERVE_TOKEN_ENV})`)
    .option("--json", "print {url, port, eventsUrl} as one JSON line")
    .action(async (flags: ServeFlags) => {
      await runServeCommand(flags, { signal: untilInterrupted(), write: (text) => process.stdout.write(text), env: process.env });
    });
}
