import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { isAbsolute, join, normalize, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import {
  commandCompletedEvent,
  exportV2CompletedEvent,
  exportV2FailedEvent,
  lifecycleDestroyedEvent,
  lifecycleStartedEvent,
  processSpawnedEvent,
  validateExecutionCellDocument,
} from "@cellos-cortex/cellos-core";
import type { CloudEventV1, EventSink, ExecutionCellDocument, ExecutionCellSpec } from "@cellos-cortex/cellos-core";
import { BridgeError, describeError } from "./bridge-error.js";
import { BUBBLEWRAP_INSTALL_HINT, bubblewrapArgs, detectBubblewrap, findOnPath } from "./bubblewrap.js";
import { copyExport, insideDir, parseCellExports } from "./cell-exports.js";
import type { CellExportArtifact } from "./cell-exports.js";
import type { CellSubmissionOutcome, CellSubmitter, SubmitOptions } from "./cell-submitter.js";
import { checkTimeoutMs } from "./deadline.js";
import { consoleLogger } from "./logger.js";
import type { BridgeLogger } from "./logger.js";
import { OutputCapture } from "./output-capture.js";
import type { CapturedStream } from "./output-capture.js";
import { secretEnvName } from "./secret-source.js";
import type { SecretSource } from "./secret-source.js";

/** `auto`: bubblewrap when it works here, else none (said in the `started` event). */
export type IsolationMode = "auto" | "bubblewrap" | "none";

/** The authority axes the `started` event reports on. */
export const AUTHORITY_AXES = ["ttl", "egress", "secrets", "filesystem", "exports", "capabilities"] as const;
export type AuthorityAxis = (typeof AUTHORITY_AXES)[number];

/**
 * Per axis, `true` when the host guarantees the cell cannot exceed its
 * document's authority on that axis, `false` when the authority is only
 * recorded (ADR-0021).
 */
export type EnforcedAuthority = Readonly<Record<AuthorityAxis, boolean>>;

/** Default environment of every cell (then `env`, then the cell's own variables and secrets). */
export const DEFAULT_CELL_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface LocalCellHostOptions {
  /** Parent of the cells' fresh work directories (created if missing). */
  readonly workDir: string;
  /** Where every cell event goes, in the supervisor's order. */
  readonly eventSink?: EventSink;
  /** Where exports are copied to, as `<cellId>/<runId>/<name>` (default `<workDir>/exports`). */
  readonly exportDir?: string;
  /** Default `auto`. */
  readonly isolation?: IsolationMode;
  /** Path of `bwrap` (default: found on `PATH`, else `/usr/bin/bwrap`). */
  readonly bwrapPath?: string;
  /** Resolves `authority.secretRefs`; without one, a cell that declares secrets is refused. */
  readonly secretSource?: SecretSource;
  /**
   * Host paths (absolute; files or directories) every cell can read although they lie under
   * the sandbox's private `/tmp` — for example an agent program shipped next to a checkout in
   * `/tmp`. Bound read-only; ignored without bubblewrap (everything is visible then).
   */
  readonly visiblePaths?: readonly string[];
  /** Extra variables every cell gets (the parent's environment is never inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Bytes kept per stream (stdout, stderr), the tail (default 64 KiB). */
  readonly maxOutputBytes?: number;
  /** Largest export copied (default 256 MiB). */
  readonly maxExportBytes?: number;
  /** Between SIGTERM and SIGKILL of the process group when a cell is forced down (default 2000 ms). */
  readonly killGraceMs?: number;
  /**
   * `destroyed` (default): `submit` resolves when the cell is gone, with its
   * events in `lifecycleEvents` (a synchronous submitter: the runner's fast
   * path). `started`: `submit` resolves once the process is spawned, with no
   * events; the result arrives through the event sink (needs `eventSink`).
   */
  readonly returnAfter?: "destroyed" | "started";
  /** CloudEvent `source` (default `cellos-cortex/local-cell-host`). */
  readonly source?: string;
  /** Keep each cell's work directory after it is destroyed (default: removed). */
  readonly keepWorkDirs?: boolean;
  readonly logger?: BridgeLogger;
  /** Called once per cell after its destroyed event, with everything the host knows about the run. */
  readonly onCellFinished?: (report: LocalCellReport) => void;
}

/** Everything the host knows about one finished cell run. */
export interface LocalCellReport {
  readonly cellId: string;
  readonly runId: string;
  readonly exitCode: number;
  readonly outcome: "succeeded" | "failed";
  readonly terminalState: "clean" | "forced";
  /** `ttl_exceeded`, `aborted`, `signal_killed`, `spawn_failed`, `export_failed`; absent on a clean run. */
  readonly reason?: string;
  readonly spawnError?: string;
  readonly isolation: "bubblewrap" | "none";
  readonly enforced: EnforcedAuthority;
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
  /** The cell's events, in emission order. */
  readonly events: readonly CloudEventV1[];
  /** The cell's work directory (removed unless `keepWorkDirs`). */
  readonly workDir: string;
  /** Absolute paths of the copied exports. */
  readonly exportFiles: readonly string[];
}

/** What `LocalCellHost.submit` resolves to: the outcome plus the run id and, after `destroyed`, the report. */
export type LocalCellOutcome = CellSubmissionOutcome & { readonly runId: string; readonly report?: LocalCellReport };

type ForcedReason = "ttl_exceeded" | "aborted" | "host_closed";

type Isolation = { readonly mode: "bubblewrap"; readonly bwrap: string } | { readonly mode: "none"; readonly note: string };

interface CellPlan {
  readonly document: ExecutionCellDocument;
  readonly spec: ExecutionCellSpec;
  readonly argv: readonly string[];
  readonly runId: string;
  readonly cellDir: string;
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly isolation: Isolation;
  readonly enforced: EnforcedAuthority;
  readonly shareNetwork: boolean;
  readonly readOnly: boolean;
  readonly writablePaths: readonly string[];
  readonly exports: readonly CellExportArtifact[];
  readonly deadlineMs: number;
}

/** A running cell: how to force it down, and when it is gone. */
interface LiveCell {
  readonly cellId: string;
  kill(reason: Exclude<ForcedReason, "ttl_exceeded">): void;
  readonly finished: Promise<LocalCellReport>;
}

/**
 * The embedded cell host: runs a document's `spec.run.argv` as a child
 * process (never through a shell) in a fresh work directory, with a minimal
 * environment, isolated by bubblewrap where it works, killed (process group)
 * when its TTL runs out, and reports it with the CloudEvents a CellOS
 * supervisor sends: `lifecycle.v1.started` (saying which authority axes were
 * enforced), `observability.v1.process_spawned`, `command.v1.completed`,
 * `export.v2.completed`/`failed` per declared export, `lifecycle.v1.destroyed`.
 * Not a VM: see the README and ADR-0021 for what it does not enforce.
 */
export class LocalCellHost implements CellSubmitter {
  readonly workDir: string;
  readonly exportDir: string;
  readonly #sink: EventSink | undefined;
  readonly #isolationMode: IsolationMode;
  readonly #bwrapPath: string | undefined;
  readonly #secretSource: SecretSource | undefined;
  readonly #env: Readonly<Record<string, string>>;
  readonly #maxOutputBytes: number;
  readonly #visiblePaths: readonly string[];
  readonly #maxExportBytes: number;
  readonly #killGraceMs: number;
  readonly #returnAfter: "destroyed" | "started";
  readonly #source: string;
  readonly #keepWorkDirs: boolean;
  readonly #logger: BridgeLogger;
  readonly #onCellFinished: ((report: LocalCellReport) => void) | undefined;
  readonly #live = new Map<string, LiveCell>();
  /** Work directories being removed after their cell's report went out. */
  readonly #removals = new Set<Promise<void>>();
  #workDirReady: Promise<unknown> | undefined;
  #closed = false;

  constructor(options: LocalCellHostOptions) {
    if (typeof options.workDir !== "string" || options.workDir === "") throw new BridgeError("InvalidOptions", `LocalCellHost needs a workDir, got ${JSON.stringify(options.workDir)}`);
    this.workDir = resolve(options.workDir);
    this.exportDir = resolve(options.exportDir ?? join(this.workDir, "exports"));
    const isolation = options.isolation ?? "auto";
    if (!["auto", "bubblewrap", "none"].includes(isolation)) throw new BridgeError("InvalidOptions", `LocalCellHost isolation must be "auto", "bubblewrap" or "none", got ${JSON.stringify(isolation)}`);
    const returnAfter = options.returnAfter ?? "destroyed";
    if (returnAfter !== "destroyed" && returnAfter !== "started") throw new BridgeError("InvalidOptions", `LocalCellHost returnAfter must be "destroyed" or "started", got ${JSON.stringify(returnAfter)}`);
    if (returnAfter === "started" && options.eventSink === undefined) throw new BridgeError("InvalidOptions", `LocalCellHost returnAfter "started" needs an eventSink: the result can only arrive through it`);
    this.#sink = options.eventSink;
    this.#isolationMode = isolation;
    this.#bwrapPath = options.bwrapPath;
    this.#secretSource = options.secretSource;
    this.#env = { ...(options.env ?? {}) };
    this.#maxOutputBytes = checkSize(options.maxOutputBytes ?? 64 * 1024, "maxOutputBytes");
    this.#visiblePaths = checkVisiblePaths(options.visiblePaths ?? []);
    this.#maxExportBytes = checkSize(options.maxExportBytes ?? 256 * 1024 * 1024, "maxExportBytes");
    this.#killGraceMs = checkTimeoutMs(options.killGraceMs, "LocalCellHost killGraceMs") ?? 2000;
    this.#returnAfter = returnAfter;
    this.#source = options.source ?? "cellos-cortex/local-cell-host";
    this.#keepWorkDirs = options.keepWorkDirs ?? false;
    this.#logger = options.logger ?? consoleLogger;
    this.#onCellFinished = options.onCellFinished;
  }

  /** How many cells are running now. */
  get running(): number {
    return this.#live.size;
  }

  /** Which isolation a cell submitted now would get, and why not bubblewrap when it would not. */
  async isolation(): Promise<{ mode: "bubblewrap" | "none"; note?: string }> {
    const isolation = await this.#isolation();
    return isolation.mode === "bubblewrap" ? { mode: "bubblewrap" } : { mode: "none", note: isolation.note };
  }

  async submit(document: ExecutionCellDocument, options: SubmitOptions = {}): Promise<LocalCellOutcome> {
    const signal = options.signal;
    const maybeId: unknown = (document as { spec?: { id?: unknown } } | null | undefined)?.spec?.id;
    const cellId = typeof maybeId === "string" ? maybeId : "";
    if (this.#closed) throw new BridgeError("Closed", `LocalCellHost is closed; cell ${JSON.stringify(cellId)} was not started`, { cellId });
    if (signal?.aborted) throw abortedError(cellId, signal.reason);
    const plan = await this.#plan(document, cellId, signal);
    if (signal?.aborted) {
      await this.#removeDir(plan.cellDir);
      throw abortedError(cellId, signal.reason);
    }
    let live: LiveCell;
    let spawned: Promise<void>;
    try {
      ({ live, spawned } = this.#start(plan));
    } catch (error) {
      await this.#removeDir(plan.cellDir);
      throw error;
    }
    this.#live.set(plan.runId, live);
    live.finished.then(
      () => this.#live.delete(plan.runId),
      (error: unknown) => {
        // Only a bug gets here (every expected failure ends in a destroyed event); say it even when nobody awaits the cell.
        this.#live.delete(plan.runId);
        this.#logger.warn(`cell ${cellId} ended without a destroyed event`, { cellId, runId: plan.runId, error: describeError(error) });
      },
    );

    const onAbort = (): void => {
      live.kill("aborted");
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (this.#returnAfter === "started") {
        await raceAbort(spawned, signal, cellId);
        return { cellId, runId: plan.runId, lifecycleEvents: [] };
      }
      const report = await raceAbort(live.finished, signal, cellId);
      return { cellId, runId: plan.runId, exitCode: report.exitCode, lifecycleEvents: [...report.events], report };
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Forces every running cell down (`reason: "host_closed"`), waits until each is destroyed, and refuses new cells. */
  async close(): Promise<void> {
    this.#closed = true;
    const cells = [...this.#live.values()];
    for (const cell of cells) cell.kill("host_closed");
    await Promise.allSettled(cells.map((cell) => cell.finished));
    await Promise.allSettled([...this.#removals]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #isolation(): Promise<Isolation> {
    if (this.#isolationMode === "none") return { mode: "none", note: "isolation \"none\" chosen by the host's configuration" };
    const status = await detectBubblewrap(this.#bwrapPath);
    if (status.available) return { mode: "bubblewrap", bwrap: status.path };
    if (this.#isolationMode === "bubblewrap") throw new BridgeError("Isolation", `isolation "bubblewrap" is required but ${status.reason}`);
    return { mode: "none", note: status.reason.includes(BUBBLEWRAP_INSTALL_HINT) ? status.reason : `${status.reason}; cells run without isolation` };
  }

  /** Everything that can be refused is refused here, before any event is emitted. */
  async #plan(document: ExecutionCellDocument, claimedId: string, signal: AbortSignal | undefined): Promise<CellPlan> {
    try {
      validateExecutionCellDocument(document);
    } catch (error) {
      throw new BridgeError("InvalidDocument", `LocalCellHost refuses the document${claimedId === "" ? "" : ` of cell ${JSON.stringify(claimedId)}`}: ${describeError(error)}`, { cause: error, cellId: claimedId });
    }
    const spec = document.spec;
    const cellId = spec.id;
    const run = spec.run;
    if (run === undefined || run === null) throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)} has no spec.run.argv: LocalCellHost has nothing to run`, { cellId });
    const exports = parseCellExports(spec.export, cellId);
    const isolation = await this.#isolation();
    const authority = spec.authority;
    const shareNetwork = (authority.egressRules?.length ?? 0) > 0;
    const readOnly = authority.filesystem?.readOnly === true;
    const runId = randomUUID();
    const ttlMs = spec.lifetime.ttlSeconds * 1000;
    const deadlineMs = run.timeoutMs === undefined || run.timeoutMs === null ? ttlMs : Math.min(ttlMs, run.timeoutMs);
    const secrets = await this.#resolveSecrets(spec, signal);

    this.#workDirReady ??= mkdir(this.workDir, { recursive: true }).catch((error: unknown) => {
      this.#workDirReady = undefined;
      throw new BridgeError("Io", `cannot create the host's work directory ${this.workDir}: ${describeError(error)}`, { cause: error });
    });
    await this.#workDirReady;
    const cellDir = await mkdtemp(join(this.workDir, `${cellId}-`));
    try {
      const cwd = await this.#workingDirectory(cellDir, run.workingDirectory ?? undefined, cellId);
      const writablePaths = await this.#writablePaths(cellDir, authority.filesystem?.writablePaths ?? [], cellId);
      const bubblewrap = isolation.mode === "bubblewrap";
      const enforced: EnforcedAuthority = {
        ttl: true,
        egress: bubblewrap && !shareNetwork,
        secrets: bubblewrap,
        filesystem: bubblewrap,
        exports: bubblewrap,
        capabilities: bubblewrap,
      };
      const env: Record<string, string> = {
        PATH: DEFAULT_CELL_PATH,
        LANG: "C.UTF-8",
        ...this.#env,
        HOME: cellDir,
        TMPDIR: "/tmp",
        CELLOS_CELL_ID: cellId,
        CELLOS_RUN_ID: runId,
        ...secrets,
      };
      return { document, spec, argv: run.argv, runId, cellDir, cwd, env, isolation, enforced, shareNetwork, readOnly, writablePaths, exports, deadlineMs };
    } catch (error) {
      await this.#removeDir(cellDir);
      throw error;
    }
  }

  async #resolveSecrets(spec: ExecutionCellSpec, signal: AbortSignal | undefined): Promise<Record<string, string>> {
    const refs = spec.authority.secretRefs ?? [];
    const cellId = spec.id;
    if (refs.length === 0) return {};
    const source = this.#secretSource;
    if (source === undefined) throw new BridgeError("Secret", `cell ${JSON.stringify(cellId)} declares secretRefs ${JSON.stringify(refs)} but the host has no secretSource`, { cellId });
    const values: Record<string, string> = {};
    for (const key of refs) {
      const name = secretEnvName(key);
      let value: string | undefined;
      try {
        value = await source.resolve(key, { cellId, ttlSeconds: spec.lifetime.ttlSeconds, signal });
      } catch (error) {
        throw new BridgeError("Secret", `cell ${JSON.stringify(cellId)}: secret ${JSON.stringify(key)} could not be resolved: ${describeError(error)}`, { cellId, cause: error });
      }
      if (value === undefined) throw new BridgeError("Secret", `cell ${JSON.stringify(cellId)}: the secret source has no secret ${JSON.stringify(key)}`, { cellId });
      values[name] = value;
    }
    return values;
  }

  async #workingDirectory(cellDir: string, requested: string | undefined, cellId: string): Promise<string> {
    if (requested === undefined || requested === "") return cellDir;
    if (!isAbsolute(requested) || normalize(requested).startsWith(`${cellDir}/`)) {
      const dir = insideDir(cellDir, requested, cellId, "run.workingDirectory", true);
      await mkdir(dir, { recursive: true });
      return dir;
    }
    try {
      if ((await stat(requested)).isDirectory()) return requested;
    } catch {
      // reported below
    }
    throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: run.workingDirectory ${JSON.stringify(requested)} is not a directory on this host`, { cellId });
  }

  async #writablePaths(cellDir: string, paths: readonly string[], cellId: string): Promise<string[]> {
    const out: string[] = [];
    for (const path of paths) {
      const normalized = normalize(path);
      if (isAbsolute(normalized) && (normalized === "/tmp" || normalized.startsWith("/tmp/")) && !normalized.startsWith(`${cellDir}/`)) {
        out.push(normalized.replace(/\/+$/, "") || "/tmp");
        continue;
      }
      if (isAbsolute(normalized) && normalized !== cellDir && !normalized.startsWith(`${cellDir}/`)) {
        throw new BridgeError("InvalidDocument", `cell ${JSON.stringify(cellId)}: writable path ${JSON.stringify(path)} is outside the cell's work directory and /tmp; LocalCellHost never gives a cell write access to host paths`, { cellId });
      }
      const dir = insideDir(cellDir, path, cellId, "writable path", true);
      await mkdir(dir, { recursive: true });
      out.push(dir);
    }
    return out;
  }

  async #removeDir(dir: string): Promise<void> {
    if (this.#keepWorkDirs) return;
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      this.#logger.warn(`could not remove cell work directory ${dir}`, { error: describeError(error) });
    }
  }

  #start(plan: CellPlan): { live: LiveCell; spawned: Promise<void> } {
    let killRequest: ((reason: "aborted" | "host_closed") => void) | undefined;
    let pendingKill: "aborted" | "host_closed" | undefined;
    let markSpawned: () => void = () => undefined;
    const spawned = new Promise<void>((resolveSpawned) => {
      markSpawned = resolveSpawned;
    });
    const finished = this.#lifecycle(plan, {
      registerKill: (kill) => {
        killRequest = kill;
        if (pendingKill !== undefined) kill(pendingKill);
      },
      spawned: () => {
        markSpawned();
      },
    }).catch((error: unknown) => {
      // Never leave a process behind a failed lifecycle.
      killRequest?.("aborted");
      throw error;
    });
    finished.then(markSpawned, markSpawned);
    const live: LiveCell = {
      cellId: plan.spec.id,
      kill: (reason) => {
        if (killRequest === undefined) pendingKill ??= reason;
        else killRequest(reason);
      },
      finished,
    };
    return { live, spawned };
  }

  async #lifecycle(plan: CellPlan, hooks: { registerKill(kill: (reason: "aborted" | "host_closed") => void): void; spawned(): void }): Promise<LocalCellReport> {
    const cellId = plan.spec.id;
    const events: CloudEventV1[] = [];
    const emit = async (event: CloudEventV1): Promise<void> => {
      events.push(event);
      if (this.#sink === undefined) return;
      try {
        await this.#sink.emit(event);
      } catch (error) {
        this.#logger.warn(`event sink refused ${event.type} of cell ${cellId}`, { cellId, runId: plan.runId, error: describeError(error) });
      }
    };
    const base = { source: this.#source, cellId, specId: plan.spec.id, runId: plan.runId };

    // Mutated by the kill hook, the TTL timer and the abort listener.
    const state: { forced: ForcedReason | undefined; exited: boolean; child: ChildProcess | undefined; killTimer: NodeJS.Timeout | undefined } = {
      forced: undefined,
      exited: false,
      child: undefined,
      killTimer: undefined,
    };
    const killProcess = (): void => {
      const child = state.child;
      if (child === undefined || state.killTimer !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGTERM");
      state.killTimer = setTimeout(() => {
        killGroup(child, "SIGKILL");
      }, this.#killGraceMs);
    };
    const forceDown = (reason: ForcedReason): void => {
      // Once the process is gone there is nothing left to force.
      if (state.exited) return;
      state.forced ??= reason;
      killProcess();
    };
    hooks.registerKill(forceDown);

    const started = lifecycleStartedEvent(base);
    await emit({
      ...started,
      data: {
        ...started.data,
        isolation: plan.isolation.mode,
        ...(plan.isolation.mode === "none" ? { isolationNote: plan.isolation.note } : {}),
        enforced: plan.enforced,
      },
    });

    const stdout = new OutputCapture(this.#maxOutputBytes);
    const stderr = new OutputCapture(this.#maxOutputBytes);
    let spawnError: string | undefined;
    let exitCode: number;
    let signalled = false;
    let durationMs = 0;
    let ttlTimer: NodeJS.Timeout | undefined;

    const program = plan.argv[0] ?? "";
    // Without a sandbox, spawn itself reports a missing program; inside one, bwrap would only exit 1, so look first.
    const resolved = plan.isolation.mode === "none" ? program : await findOnPath(program, plan.env.PATH ?? "", plan.cwd);
    if (state.forced !== undefined) {
      state.exited = true;
      spawnError = `cell was forced down (${state.forced}) before its process started`;
      exitCode = -1;
    } else if (resolved === undefined) {
      state.exited = true;
      spawnError = `${program}: no such executable ${program.includes("/") ? "file" : `on PATH ${plan.env.PATH ?? ""}`}`;
      exitCode = 127;
    } else {
      const launch = this.#launch(plan);
      const startedAt = performance.now();
      let proc: ChildProcess;
      try {
        proc = spawn(launch.file, launch.args, { cwd: launch.cwd, env: plan.env, detached: true, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
      } catch (error) {
        // e.g. a NUL byte in an argument or a secret: refused before any process exists.
        proc = failedSpawn(error);
      }
      state.child = proc;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
        proc.once("exit", (code, signal) => {
          state.exited = true;
          resolveExit({ code, signal });
        });
      });
      const closed = new Promise<void>((resolveClose) => {
        proc.once("close", () => {
          resolveClose();
        });
      });
      proc.stdout?.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
      });
      proc.stderr?.on("data", (chunk: Buffer) => {
        stderr.push(chunk);
      });
      const startError = await new Promise<Error | undefined>((resolveStart) => {
        proc.once("spawn", () => {
          resolveStart(undefined);
        });
        proc.once("error", (error) => {
          resolveStart(error);
        });
      });
      proc.on("error", (error) => {
        this.#logger.warn(`cell ${cellId} process error`, { cellId, runId: plan.runId, error: error.message });
      });
      if (startError !== undefined) {
        state.exited = true;
        spawnError = `${program}: ${startError.message}`;
        exitCode = 127;
      } else {
        ttlTimer = setTimeout(() => {
          forceDown("ttl_exceeded");
        }, plan.deadlineMs);
        // A kill requested while the process was starting.
        if (state.forced !== undefined) killProcess();
        await emit(processSpawnedEvent({ ...base, program, argc: plan.argv.length }));
        hooks.spawned();
        const exit = await exited;
        durationMs = Math.round(performance.now() - startedAt);
        clearTimeout(ttlTimer);
        // A grandchild that left the group may hold the pipes open: wait a little, then stop reading.
        const closedInTime = await Promise.race([closed.then(() => true), sleep(1000).then(() => false)]);
        if (!closedInTime) {
          proc.stdout?.destroy();
          proc.stderr?.destroy();
        }
        if (exit.code !== null) exitCode = exit.code;
        else {
          signalled = true;
          exitCode = 128 + (exit.signal === null ? 0 : (osConstants.signals[exit.signal] ?? 0));
        }
      }
    }
    if (state.killTimer !== undefined) clearTimeout(state.killTimer);
    if (ttlTimer !== undefined) clearTimeout(ttlTimer);
    const forced = state.forced;
    hooks.spawned();

    await emit(commandCompletedEvent({ ...base, argv: [...plan.argv], exitCode, durationMs, ...(spawnError === undefined ? {} : { spawnError }) }));

    const exportFiles: string[] = [];
    let exportFailed = false;
    for (const artifact of plan.exports) {
      const destinationRelative = `${cellId}/${plan.runId}/${artifact.name}`;
      const destination = join(this.exportDir, destinationRelative);
      const failure = (reason: string): CloudEventV1 =>
        exportV2FailedEvent({ ...base, artifactName: artifact.name, targetKind: "local", targetName: "local-cell-host", destination: destinationRelative, reason });
      if (plan.spec.authority.exports?.allowed === false) {
        exportFailed = true;
        await emit(failure("exports are not allowed by the cell's authority"));
        continue;
      }
      try {
        const copy = await copyExport(plan.cellDir, artifact, destination, this.#maxExportBytes, cellId);
        exportFiles.push(destination);
        await emit(
          exportV2CompletedEvent({
            ...base,
            artifactName: artifact.name,
            receipt: { targetKind: "local", targetName: "local-cell-host", destinationRelative, bytes: copy.bytes, sha256: copy.sha256 },
          }),
        );
      } catch (error) {
        exportFailed = true;
        await emit(failure(describeError(error)));
      }
    }

    const reason = forced ?? (spawnError !== undefined ? "spawn_failed" : signalled ? "signal_killed" : exportFailed ? "export_failed" : undefined);
    const outcome = forced === undefined && spawnError === undefined && exitCode === 0 && !exportFailed ? "succeeded" : "failed";
    const terminalState = forced === undefined ? "clean" : "forced";
    await emit(lifecycleDestroyedEvent({ ...base, outcome, terminalState, ...(reason === undefined ? {} : { reason }) }));
    // The cell is gone; removing its directory need not hold up its result (`close` waits for it).
    const removal = this.#removeDir(plan.cellDir).finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);

    const report: LocalCellReport = {
      cellId,
      runId: plan.runId,
      exitCode,
      outcome,
      terminalState,
      ...(reason === undefined ? {} : { reason }),
      ...(spawnError === undefined ? {} : { spawnError }),
      isolation: plan.isolation.mode,
      enforced: plan.enforced,
      stdout: stdout.result(),
      stderr: stderr.result(),
      events,
      workDir: plan.cellDir,
      exportFiles,
    };
    if (this.#onCellFinished !== undefined) {
      try {
        this.#onCellFinished(report);
      } catch (error) {
        this.#logger.warn(`onCellFinished threw for cell ${cellId}`, { cellId, error: describeError(error) });
      }
    }
    return report;
  }

  /** The exact command line a cell's process is started with (what the benchmark spawns directly as its baseline). */
  #launch(plan: CellPlan): { file: string; args: string[]; cwd: string } {
    if (plan.isolation.mode === "none") return { file: plan.argv[0] ?? "", args: plan.argv.slice(1), cwd: plan.cwd };
    const args = bubblewrapArgs({ cellDir: plan.cellDir, cwd: plan.cwd, shareNetwork: plan.shareNetwork, readOnly: plan.readOnly, writablePaths: plan.writablePaths, visiblePaths: this.#visiblePaths });
    return { file: plan.isolation.bwrap, args: [...args, "--", ...plan.argv], cwd: plan.cellDir };
  }
}

/** Stands in for a process `spawn` refused synchronously: emits only `error`, on the next tick. */
function failedSpawn(error: unknown): ChildProcess {
  const stub = new EventEmitter() as ChildProcess;
  process.nextTick(() => stub.emit("error", error instanceof Error ? error : new Error(String(error))));
  return stub;
}

function checkVisiblePaths(paths: readonly unknown[]): readonly string[] {
  if (!Array.isArray(paths)) throw new BridgeError("InvalidOptions", `LocalCellHost visiblePaths must be an array of absolute paths, got ${JSON.stringify(paths)}`);
  return Object.freeze(
    paths.map((path) => {
      if (typeof path !== "string" || !isAbsolute(path)) throw new BridgeError("InvalidOptions", `LocalCellHost visiblePaths entries must be absolute paths, got ${JSON.stringify(path)}`);
      return normalize(path);
    }),
  );
}

function checkSize(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new BridgeError("InvalidOptions", `LocalCellHost ${what} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

function abortedError(cellId: string, reason: unknown): BridgeError {
  return new BridgeError("Aborted", `cell ${JSON.stringify(cellId)} was aborted`, { cellId, cause: reason });
}

/** Settles with `work`, or rejects with `Aborted` as soon as `signal` fires. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, cellId: string): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(abortedError(cellId, signal.reason));
  return new Promise<T>((resolveRace, rejectRace) => {
    const onAbort = (): void => {
      rejectRace(abortedError(cellId, signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolveRace(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        rejectRace(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Signals the child's whole process group (it leads one: spawned `detached`). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") child.kill(signal);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => {
    setTimeout(resolveSleep, ms).unref();
  });
}
