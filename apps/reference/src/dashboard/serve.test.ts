import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import { EventChannel } from "@cellos-cortex/receiver";
import type { CellEventSource } from "@cellos-cortex/receiver";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliError, EXIT } from "../cli-error.js";
import { registerServeCommand, runServeCommand, serve, SERVE_TOKEN_ENV } from "../commands/serve.js";
import type { ServeOptions } from "../commands/serve.js";
import { cellEvents } from "./__fixtures__/cell-events.js";
import { SseReader } from "./__fixtures__/sse-client.js";
import type { DashboardSnapshot, DashboardStreamMessages } from "./cell-view.js";
import type { DashboardLogger } from "./dashboard-logger.js";
import type { DashboardListenInfo } from "./dashboard-server.js";

const warnings: string[] = [];
const logger: DashboardLogger = { warn: (message) => warnings.push(message) };

interface Running {
  info: DashboardListenInfo;
  stop: AbortController;
  done: Promise<void>;
}

/** Starts `serve` and resolves once it listens (or rejects if it fails first). */
async function start(options: Omit<ServeOptions, "signal" | "onListening">): Promise<Running> {
  const stop = new AbortController();
  let listening!: (info: DashboardListenInfo) => void;
  const listened = new Promise<DashboardListenInfo>((resolve) => (listening = resolve));
  const done = serve({ port: 0, logger, ...options, signal: stop.signal, onListening: (info) => listening(info) });
  const info = await Promise.race([
    listened,
    done.then(() => {
      throw new Error("serve() ended before it listened");
    }),
  ]);
  return { info, stop, done };
}

async function openStream(info: DashboardListenInfo, signal: AbortSignal): Promise<SseReader> {
  return SseReader.from(await fetch(new URL("/api/events/stream", info.url), { signal }));
}

/** Reads `cell` messages until `cellId` reaches `state`. */
async function untilState(stream: SseReader, cellId: string, state: string): Promise<void> {
  for (;;) {
    const message = await stream.nextOf("cell");
    const { cell } = JSON.parse(message.data) as DashboardStreamMessages["cell"];
    if (cell.cellId === cellId && cell.state === state) return;
  }
}

function lines(events: readonly CloudEventV1[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join("");
}

describe("serve", () => {
  let dir: string;
  let running: Running | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "serve-"));
    warnings.length = 0;
  });
  afterEach(async () => {
    running?.stop.abort();
    await running?.done;
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("follows a JSONL file, including lines appended while it runs, and skips bad lines with a warning", async () => {
    const path = join(dir, "events.jsonl");
    const events = cellEvents({ cellId: "from-file", exitCode: 0, outcome: "succeeded" });
    await writeFile(path, lines(events.slice(0, 1)) + "not json\n");
    running = await start({ eventsPath: path });
    const controller = new AbortController();
    const stream = await openStream(running.info, controller.signal);
    try {
      await appendFile(path, lines(events.slice(1)));
      await untilState(stream, "from-file", "succeeded");
      const snapshot = (await (await fetch(new URL("/api/cells", running.info.url))).json()) as DashboardSnapshot;
      expect(snapshot.cells.map((cell) => [cell.cellId, cell.state, cell.eventCount])).toEqual([["from-file", "succeeded", 4]]);
      expect(warnings.some((warning) => /skipped line 2 of .*events\.jsonl/.test(warning))).toBe(true);
    } finally {
      controller.abort();
    }
  });

  it("shows events from an in-process source and from POST /events together", async () => {
    const channel = new EventChannel();
    running = await start({ source: channel });
    const controller = new AbortController();
    const stream = await openStream(running.info, controller.signal);
    try {
      for (const event of cellEvents({ cellId: "in-process", exitCode: 0, outcome: "succeeded" })) await channel.emit(event);
      await untilState(stream, "in-process", "succeeded");
      const posted = await fetch(running.info.eventsUrl, {
        method: "POST",
        body: JSON.stringify(cellEvents({ cellId: "posted" })),
        headers: { "content-type": "application/cloudevents-batch+json" },
      });
      expect(posted.status).toBe(202);
      await untilState(stream, "posted", "running");
    } finally {
      controller.abort();
    }
  });

  it("resolves once stopped, with the port closed and the sources ended", async () => {
    const ended: string[] = [];
    const source: CellEventSource = {
      events: ({ signal } = {}) => ({
        [Symbol.asyncIterator]: () => ({
          next: () =>
            new Promise<IteratorResult<CloudEventV1>>((resolve) => {
              const end = (): void => {
                ended.push("source");
                resolve({ done: true, value: undefined });
              };
              if (signal?.aborted === true) end();
              else signal?.addEventListener("abort", end, { once: true });
            }),
        }),
      }),
    };
    const { info, stop, done } = await start({ source });
    const stream = await openStream(info, new AbortController().signal);
    await stream.nextOf("snapshot");
    stop.abort();
    await done;
    expect(ended).toEqual(["source"]);
    await expect(stream.next()).rejects.toThrow("the event stream ended");
    await expect(fetch(info.url)).rejects.toThrow();
  });

  it("fails, after closing everything, when a source fails", async () => {
    const source: CellEventSource = {
      events: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("disk on fire")) }),
      }),
    };
    const stop = new AbortController();
    let url: string | undefined;
    const done = serve({ port: 0, logger, source, signal: stop.signal, onListening: (info) => (url = info.url) });
    await expect(done).rejects.toMatchObject({ name: "DashboardError", kind: "Source", message: "following the in-process event source failed: disk on fire" });
    expect(url).toBeDefined();
    await expect(fetch(url ?? "")).rejects.toThrow();
  });

  it("reports the ledger's status and sends changes to the page", async () => {
    const ledgerPath = join(dir, "ledger.jsonl");
    running = await start({ ledgerPath });
    const controller = new AbortController();
    const stream = await openStream(running.info, controller.signal);
    try {
      await stream.nextOf("snapshot");
      // The file does not exist yet; the first check says so.
      const first = JSON.parse((await stream.nextOf("ledger")).data) as DashboardStreamMessages["ledger"];
      expect(first).toMatchObject({ configured: true, state: "missing", signed: false });
      await writeFile(ledgerPath, "garbage\n");
      const broken = JSON.parse((await stream.nextOf("ledger")).data) as DashboardStreamMessages["ledger"];
      expect(broken).toMatchObject({ configured: true, state: "broken", firstBadIndex: 0 });
      const api = await (await fetch(new URL("/api/ledger", running.info.url))).json();
      expect(api).toMatchObject({ state: "broken" });
    } finally {
      controller.abort();
    }
  });

  it("refuses a public key without a ledger, an unreadable key and a key that is not Ed25519", async () => {
    await expect(serve({ publicKeyPath: join(dir, "k.pem"), logger })).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining("--public-key needs --ledger") });
    await expect(serve({ ledgerPath: join(dir, "l"), publicKeyPath: join(dir, "missing.pem"), logger })).rejects.toThrow(/cannot read the public key/);
    await writeFile(join(dir, "bad.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    await expect(serve({ ledgerPath: join(dir, "l"), publicKeyPath: join(dir, "bad.pem"), logger })).rejects.toBeInstanceOf(CliError);
  });

  it("says a taken port is an environment error", async () => {
    running = await start({});
    await expect(serve({ port: running.info.port, logger })).rejects.toMatchObject({ exitCode: EXIT.environment, hint: "pick another --port (0 = a free one)" });
  });

  it("returns at once when the signal has already fired", async () => {
    const stop = new AbortController();
    stop.abort();
    let listened = false;
    await serve({ port: 0, logger, signal: stop.signal, onListening: () => (listened = true) });
    expect(listened).toBe(false);
  });
});

describe("the serve command", () => {
  it("registers serve with its options", () => {
    const program = new Command();
    registerServeCommand(program);
    const command = program.commands.find((candidate) => candidate.name() === "serve");
    expect(command?.options.map((option) => option.long)).toEqual(["--host", "--port", "--events", "--nats", "--ledger", "--public-key", "--token", "--json"]);
    expect(command?.options.find((option) => option.long === "--host")?.defaultValue).toBe("127.0.0.1");
    expect(command?.options.find((option) => option.long === "--port")?.defaultValue).toBe("0");
  });

  it("prints the URL as text, or {url, port} as one JSON line, and stops on the signal", async () => {
    for (const json of [false, true]) {
      const stop = new AbortController();
      let printed = "";
      const write = (text: string): void => {
        printed += text;
        stop.abort();
      };
      await runServeCommand({ host: "127.0.0.1", port: "0", json }, { signal: stop.signal, write, env: {} });
      if (json) {
        expect(printed.endsWith("\n")).toBe(true);
        expect(printed.trim().split("\n")).toHaveLength(1);
        const parsed = JSON.parse(printed) as { url: string; port: number; eventsUrl: string };
        expect(parsed.url).toBe(`http://127.0.0.1:${parsed.port}/`);
        expect(parsed.eventsUrl).toBe(`http://127.0.0.1:${parsed.port}/events`);
      } else {
        expect(printed).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/\nPOST CloudEvents to http:\/\/127\.0\.0\.1:\d+\/events\nCtrl-C stops\n$/);
      }
    }
  });

  it("takes the bearer token from the environment", async () => {
    const stop = new AbortController();
    let printed!: (text: string) => void;
    const output = new Promise<string>((resolve) => (printed = resolve));
    const done = runServeCommand({ host: "127.0.0.1", port: "0", json: true }, { signal: stop.signal, write: (text) => printed(text), env: { [SERVE_TOKEN_ENV]: "tok" } });
    try {
      const url = (JSON.parse(await output) as { eventsUrl: string }).eventsUrl;
      const [event] = cellEvents({ cellId: "x" });
      const headers = { "content-type": "application/cloudevents+json" };
      expect((await fetch(url, { method: "POST", body: JSON.stringify(event), headers })).status).toBe(401);
      expect((await fetch(url, { method: "POST", body: JSON.stringify(event), headers: { ...headers, authorization: "Bearer tok" } })).status).toBe(202);
    } finally {
      stop.abort();
      await done;
    }
  });

  it("refuses a port that is not 0–65535 as a usage error", async () => {
    for (const port of ["-1", "65536", "abc", "", "1.5"]) {
      await expect(runServeCommand({ host: "127.0.0.1", port }, { signal: AbortSignal.abort(), write: () => undefined, env: {} })).rejects.toMatchObject({
        exitCode: EXIT.usage,
        message: `--port must be an integer 0–65535, got ${JSON.stringify(port)}`,
      });
    }
  });
});
