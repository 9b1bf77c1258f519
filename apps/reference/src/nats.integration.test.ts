import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { commandCompletedEvent, lifecycleDestroyedEvent, lifecycleStartedEvent } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { NATS_SERVER_INSTALL_HINT, NatsJetStreamSink, findNatsServer, freeLoopbackPort, startNatsServer } from "@cellos-cortex/receiver/nats";
import type { NatsTestServer } from "@cellos-cortex/receiver/nats";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestContext } from "vitest";
import { CLI as cli, SAMPLE_PACK as samplePack, assertCliBuilt, runCli as run } from "./__fixtures__/cli-process.js";
import type { DashboardSnapshot } from "./dashboard/cell-view.js";

/** The CLI over NATS, as processes: `worker`, `run --submitter nats|local --nats`, `serve --nats`. */

const SKIP_REASON = (await findNatsServer()) === undefined ? `nats-server not found: ${NATS_SERVER_INSTALL_HINT}` : undefined;
if (SKIP_REASON !== undefined) console.warn(`[reference NATS tests] SKIPPED: ${SKIP_REASON}`);
function needNats(context: TestContext): void {
  if (SKIP_REASON !== undefined) context.skip(SKIP_REASON);
}

/** A long-running command (`worker`, `serve`) with `--json`: its stdout lines as parsed JSON, in order. */
class Daemon {
  readonly child: ChildProcess;
  readonly lines: unknown[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [cli, ...args, "--json"], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    if (this.child.stdout === null) throw new Error("spawned without a stdout pipe");
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.lines.push(JSON.parse(line));
      for (const wake of this.#waiters) wake();
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** The first line `match` accepts, waiting up to `timeoutMs`. */
  async line<T>(match: (line: unknown) => line is T, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching line within ${timeoutMs} ms; stdout ${JSON.stringify(this.lines)}, stderr ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 500));
        this.#waiters.add(wake);
        this.child.once("exit", wake);
      });
    }
  }

  /** SIGINT, as Ctrl-C: resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGINT");
    return this.exited;
  }
}

const has = <K extends string>(key: K) => (line: unknown): line is Record<K, unknown> => typeof line === "object" && line !== null && key in line;

let server: NatsTestServer | undefined;
let scratch: string;
const daemons: Daemon[] = [];
beforeAll(async () => {
  assertCliBuilt();
  scratch = await mkdtemp(join(tmpdir(), "cellos-cortex-nats-cli-"));
  if (SKIP_REASON === undefined) server = await startNatsServer();
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.stop();
});
afterAll(async () => {
  await server?.stop();
  await rm(scratch, { recursive: true, force: true });
});

function url(): string {
  if (server === undefined) throw new Error("no nats-server");
  return server.url;
}

/** The sample pack with another task: another cell id. */
async function packWithTask(name: string, task: string): Promise<string> {
  const pack = JSON.parse(await readFile(samplePack, "utf8")) as Record<string, unknown>;
  const path = join(scratch, `${name}.json`);
  await writeFile(path, JSON.stringify({ ...pack, task }));
  return path;
}

/** The dashboard's view of a cell once it reaches `state` (polled, at most 10 s). */
async function cellOnPage(page: string, id: string, state: string): Promise<DashboardSnapshot["cells"][number] | undefined> {
  let seen: DashboardSnapshot["cells"][number] | undefined;
  for (let attempt = 0; attempt < 50 && seen?.state !== state; attempt++) {
    const snapshot = (await (await fetch(new URL("/api/cells", page))).json()) as DashboardSnapshot;
    seen = snapshot.cells.find((cell) => cell.cellId === id);
    if (seen?.state !== state) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return seen;
}

function startWorker(): Daemon {
  const worker = new Daemon(["worker", "--nats", url(), "--isolation", "none", "--concurrency", "2", "--work-dir", join(scratch, "cells")]);
  daemons.push(worker);
  return worker;
}

describe("cellos-cortex over NATS", () => {
  it("run --submitter nats: a worker process runs the cell; the result comes back over JetStream", async (context) => {
    needNats(context);
    const worker = startWorker();
    expect(await worker.line(has("ready"))).toMatchObject({ ready: true, workQueue: "CELLOS_CELLS", concurrency: 2 });

    const good = await packWithTask("good", "alpha report");
    const ok = await run(["run", good, "--submitter", "nats", "--nats", url(), "--json", "--timeout", "20000", "--", "/bin/sh", "-c", "exit 0"]);
    expect(ok.stderr).not.toContain("error:");
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout) as { cellId: string; success: boolean; exitCode: number };
    expect(result).toMatchObject({ success: true, exitCode: 0 });
    expect(result.cellId).toContain("alphare");

    const bad = await packWithTask("bad", "beta report");
    const failed = await run(["run", bad, "--submitter", "nats", "--nats", url(), "--json", "--timeout", "20000", "--", "/bin/sh", "-c", "exit 7"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ success: false, exitCode: 7 });

    // The same pack again within the work queue's duplicate window: dropped, the cell ran once, its result is reported.
    const again = await run(["run", good, "--submitter", "nats", "--nats", url(), "--json", "--timeout", "20000", "--", "/bin/sh", "-c", "exit 0"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already queued");
    expect(JSON.parse(again.stdout)).toMatchObject({ cellId: result.cellId, success: true });

    expect(await worker.stop()).toBe(0);
    const cells = worker.lines.filter(has("cell")).map((line) => line.cell as { cellId: string; outcome: string; exitCode?: number });
    expect(cells).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cellId: result.cellId, outcome: "completed", exitCode: 0 }),
        expect.objectContaining({ outcome: "completed", exitCode: 7 }),
      ]),
    );
    expect(cells).toHaveLength(2);
    expect(worker.lines.find(has("report"))).toMatchObject({ report: { completed: 2, refused: 0 } });

    // The run's `cortex.v1.dispatched` went to the stream too: the dashboard knows the cell's pack.
    const dashboard = new Daemon(["serve", "--nats", url(), "--port", "0"]);
    daemons.push(dashboard);
    const { url: page } = await dashboard.line(has("url"));
    expect(await cellOnPage(String(page), result.cellId, "succeeded")).toMatchObject({ state: "succeeded", packId: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("run --nats with the local host publishes the events; serve --nats shows the cell on the dashboard", async (context) => {
    needNats(context);
    const pack = await packWithTask("local", "gamma report");
    const ran = await run(["run", pack, "--nats", url(), "--isolation", "none", "--json", "--", "/bin/sh", "-c", "exit 0"]);
    expect(ran.stderr).not.toContain("error:");
    expect(ran.code).toBe(0);
    const { cellId } = JSON.parse(ran.stdout) as { cellId: string };

    const dashboard = new Daemon(["serve", "--nats", url(), "--port", "0"]);
    daemons.push(dashboard);
    const { url: page } = await dashboard.line(has("url"));
    // Stored before the dashboard started: replayed from the stream.
    expect(await cellOnPage(String(page), cellId, "succeeded")).toMatchObject({ cellId, state: "succeeded", exitCode: 0 });

    // Published while it runs: followed live.
    const later = await run(["run", await packWithTask("later", "delta report"), "--nats", url(), "--isolation", "none", "--json", "--", "/bin/sh", "-c", "exit 5"]);
    expect(later.code).toBe(1);
    const laterId = (JSON.parse(later.stdout) as { cellId: string }).cellId;
    expect(await cellOnPage(String(page), laterId, "failed")).toMatchObject({ cellId: laterId, state: "failed", exitCode: 5 });
    expect(await dashboard.stop()).toBe(0);
  });

  it("run --submitter http --nats follows a CellOS supervisor's events on NATS from the submission on, never an earlier run of the cell", async (context) => {
    needNats(context);
    const pack = await packWithTask("http", "epsilon report");
    const translated = await run(["translate", pack, "--agent", "/usr/local/bin/agent"]);
    expect(translated.code).toBe(0);
    const cellId = (JSON.parse(translated.stdout) as { spec: { id: string } }).spec.id;
    const lifecycle = (exitCode: number): CloudEventV1[] => {
      const base = { source: "/test/supervisor", cellId, specId: cellId };
      return [
        lifecycleStartedEvent(base),
        commandCompletedEvent({ ...base, argv: ["/usr/local/bin/agent"], exitCode, durationMs: 5 }),
        lifecycleDestroyedEvent({ ...base, outcome: exitCode === 0 ? "succeeded" : "failed", terminalState: "clean" }),
      ];
    };
    // What the supervisor publishes, as a CellOS supervisor would: an earlier run of the same cell first.
    const supervisor = new NatsJetStreamSink({ servers: url() });
    try {
      await supervisor.ensureStream();
      for (const event of lifecycle(9)) await supervisor.emit(event);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const submitted: unknown[] = [];
      const cellos = createServer((request, response) => {
        let body = "";
        request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        request.on("end", () => {
          submitted.push({ url: request.url, document: JSON.parse(body) as unknown });
          response.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ cellId }));
          // The cell runs after the answer; its events reach NATS a little later.
          setTimeout(() => {
            void (async () => {
              for (const event of lifecycle(0)) await supervisor.emit(event);
            })();
          }, 100);
        });
      });
      await new Promise<void>((resolve) => cellos.listen(0, "127.0.0.1", resolve));
      try {
        const baseUrl = `http://127.0.0.1:${(cellos.address() as AddressInfo).port}`;
        const ran = await run(["run", pack, "--submitter", "http", "--base-url", baseUrl, "--nats", url(), "--json", "--timeout", "20000", "--agent", "/usr/local/bin/agent"]);
        expect(ran.stderr).not.toContain("error:");
        expect(ran.code).toBe(0);
        expect(JSON.parse(ran.stdout)).toMatchObject({ cellId, success: true, exitCode: 0 });
        expect(submitted).toEqual([{ url: "/v1/cells", document: expect.objectContaining({ spec: expect.objectContaining({ id: cellId }) }) }]);
      } finally {
        await new Promise((resolve) => cellos.close(resolve));
      }
    } finally {
      await supervisor.close();
    }
  });

  it("names the server and says how to start one when nothing listens at --nats (exit 3)", async (context) => {
    needNats(context);
    const nowhere = `nats://127.0.0.1:${await freeLoopbackPort()}`;
    for (const args of [
      ["run", samplePack, "--submitter", "nats", "--nats", nowhere, "--agent", "/bin/true"],
      ["run", samplePack, "--nats", nowhere, "--agent", "/bin/true"],
      ["worker", "--nats", nowhere],
      ["serve", "--nats", nowhere],
    ]) {
      const ran = await run(args);
      expect(ran.code, args.join(" ")).toBe(3);
      expect(ran.stderr).toContain(nowhere);
      expect(ran.stderr).toContain("nats-server -js");
      expect(ran.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("cellos-cortex NATS flags", () => {
  it("refuses a --nats that is not a URL, --events with --nats, and --submitter nats without --nats (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["run", samplePack, "--nats", "not a url", "--agent", "/bin/true"], /--nats must be a NATS server URL.*"not a url"/],
      [["run", samplePack, "--nats", "nats://127.0.0.1:4222", "--events", join(tmpdir(), "x.jsonl"), "--agent", "/bin/true"], /--events <jsonl> or --nats <url>, not both/],
      [["run", samplePack, "--submitter", "nats", "--agent", "/bin/true"], /--submitter nats needs --nats <url>/],
      [["worker", "--nats", "nats://127.0.0.1:4222", "--concurrency", "0"], /--concurrency must be an integer ≥ 1, got "0"/],
      [["worker"], /required option '--nats <url>'/],
      [["serve", "--nats", "http://[bad"], /--nats must be a NATS server URL/],
    ];
    for (const [args, message] of cases) {
      const ran = await run(args);
      expect(ran.code, args.join(" ")).toBe(2);
      expect(ran.stderr).toMatch(message);
    }
  });
});
