import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { constants as fsConstants } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { ReceiverError } from "../receiver-error.js";
import { sleep } from "./abortable.js";

/** How to get the server these tests and benchmarks need. */
export const NATS_SERVER_INSTALL_HINT = "install it with `apt-get install nats-server` (Debian/Ubuntu), or put nats-server on PATH, or set NATS_SERVER_BIN";

/** Where Debian and manual installs put the binary, looked at after `PATH`. */
const WELL_KNOWN = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"];

export interface NatsTestServerOptions {
  /** Path of `nats-server` (default: `$NATS_SERVER_BIN`, then `PATH`, then the usual places). */
  readonly binary?: string;
  /** JetStream store directory (default: a fresh temp directory, removed by `stop()`). */
  readonly storeDir?: string;
  /** Loopback port (default: a free one). */
  readonly port?: number;
  /** Limit on the server becoming ready (default 10 000 ms). */
  readonly startTimeoutMs?: number;
}

/** A `nats-server -js` child process on a loopback port, for tests and benchmarks. */
export interface NatsTestServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Pid of the current process (changes on `restart`). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and removes a store directory it created. */
  stop(): Promise<void>;
  /** Stops the server (`SIGTERM`: a clean shutdown; `SIGKILL`: a crash) and starts it again on the same port and store. */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `nats-server` binary to use, or `undefined` when there is none (say {@link NATS_SERVER_INSTALL_HINT}). */
export async function findNatsServer(env: Readonly<Record<string, string | undefined>> = process.env): Promise<string | undefined> {
  const explicit = env.NATS_SERVER_BIN;
  if (explicit !== undefined && explicit !== "") return (await isExecutable(explicit)) ? explicit : undefined;
  const onPath = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "").map((dir) => join(dir, "nats-server"));
  for (const candidate of [...onPath, ...WELL_KNOWN]) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** One TCP connect to the port; true when it is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => {
      done(true);
    });
    socket.once("error", () => {
      done(false);
    });
    socket.once("timeout", () => {
      done(false);
    });
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Starts `nats-server -js -a 127.0.0.1 -p <port> -sd <store>` and resolves once it accepts
 * connections: it waits for the server's "Server is ready" log line, then checks a TCP
 * connect (a bounded number of tries). Rejects with `ReceiverError` `Io` when the binary is
 * missing (the message says how to install it), when the server exits, or after
 * `startTimeoutMs`. A test utility; production servers are run by their operators.
 */
export async function startNatsServer(options: NatsTestServerOptions = {}): Promise<NatsTestServer> {
  const binary = options.binary ?? (await findNatsServer());
  if (binary === undefined) throw new ReceiverError("Io", `nats-server not found: ${NATS_SERVER_INSTALL_HINT}`);
  if (!(await isExecutable(binary))) throw new ReceiverError("Io", `nats-server not found at ${binary}: ${NATS_SERVER_INSTALL_HINT}`);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "cellos-nats-")));
  let port = options.port ?? (await freeLoopbackPort());
  let running: Running | undefined;
  // A port picked for us may be taken between the pick and the bind: pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      running = await launch(binary, port, storeDir, startTimeoutMs);
      break;
    } catch (error) {
      const portTaken = error instanceof ReceiverError && /address already in use/i.test(error.message);
      if (options.port !== undefined || !portTaken || attempt >= 3) {
        if (ownsStore) await rm(storeDir, { recursive: true, force: true });
        throw error;
      }
      port = await freeLoopbackPort();
    }
  }
  let current: Running | undefined = running;
  const killOnExit = (): void => {
    current?.child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const halt = async (signal: "SIGTERM" | "SIGKILL"): Promise<void> => {
    const proc = current;
    current = undefined;
    if (proc === undefined) return;
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(timer);
  };

  const stop = async (): Promise<void> => {
    process.removeListener("exit", killOnExit);
    await halt("SIGTERM");
    if (ownsStore) await rm(storeDir, { recursive: true, force: true });
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return current?.child.pid;
    },
    stop,
    async restart(signal = "SIGTERM") {
      await halt(signal);
      current = await launch(binary, port, storeDir, startTimeoutMs);
    },
    [Symbol.asyncDispose]: stop,
  };
}

async function launch(binary: string, port: number, storeDir: string, startTimeoutMs: number): Promise<Running> {
  const child = spawn(binary, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  let log = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ReceiverError("Io", `nats-server on port ${port} was not ready within ${startTimeoutMs} ms: ${tail(log)}`));
    }, startTimeoutMs);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      // Keep only the tail: the server logs little, but never let it grow without bound.
      log = (log + chunk).slice(-8192);
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new ReceiverError("Io", `cannot start ${binary}: ${error.message}`, { cause: error }));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new ReceiverError("Io", `nats-server on port ${port} exited (${signal ?? `code ${String(code)}`}) before it was ready: ${tail(log)}`));
    });
  });
  try {
    await ready;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await accepts(port)) return { child, exited };
      await sleep(50, undefined);
    }
    throw new ReceiverError("Io", `nats-server said it was ready but port ${port} refuses connections: ${tail(log)}`);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
}

function tail(log: string): string {
  const lines = log.trim().split("\n");
  return lines.slice(-5).join(" | ") || "(no output)";
}
