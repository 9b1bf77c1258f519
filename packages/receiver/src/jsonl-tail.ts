import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CellEventSource, EventStreamOptions } from "./cell-event-source.js";
import { decodeJsonlLine } from "./jsonl-event-line.js";
import type { InvalidLineKind, JsonlLineOptions } from "./jsonl-event-line.js";
import { JsonlLineSplitter } from "./jsonl-line-splitter.js";
import type { SplitResult } from "./jsonl-line-splitter.js";
import { consoleLogger } from "./logger.js";
import type { ReceiverLogger } from "./logger.js";
import { ReceiverError } from "./receiver-error.js";

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** A line that was skipped, as reported to `onInvalid`. */
export interface InvalidLine {
  path: string;
  /** 1-based line number within the file (numbering restarts after truncation or rotation). */
  lineNumber: number;
  /** Byte offset of the line's first byte within the file. */
  byteOffset: number;
  kind: InvalidLineKind;
  reason: string;
}

export interface JsonlTailSourceOptions extends JsonlLineOptions {
  path: string;
  /** Read the file from its first byte (default) or only what is appended after `events()` starts. */
  fromStart?: boolean;
  /** Lines longer than this (bytes, without the newline) are skipped and reported. Default 1 MiB. */
  maxLineBytes?: number;
  /** Called for every skipped line; without it, skipped lines are logged through `logger`. */
  onInvalid?: (line: InvalidLine) => void;
  /** Safety poll, for changes `fs.watch` cannot see (network file systems). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Wake on `fs.watch` of the file's directory (default true); false = poll only. */
  watch?: boolean;
  /** Keep the process alive while iterating (default true, like `tail -F`). */
  keepAlive?: boolean;
  /** Bytes per read (default 64 KiB). */
  readChunkBytes?: number;
  logger?: ReceiverLogger;
}

/** Counters over every iteration of one source. */
export interface JsonlTailStats {
  /** Non-blank lines decoded (valid or not). */
  lines: number;
  events: number;
  /** Of `events`, how many came out of a signed envelope. */
  signedEvents: number;
  invalidLines: number;
  truncations: number;
  /** Rotations, deletions and re-creations of the path seen. */
  rotations: number;
  /** Files opened (the first, then one per rotation or re-creation). */
  opens: number;
  bytesRead: number;
}

/**
 * Follows a JSONL file of CloudEvents the way `tail -F` does: reads only the
 * bytes it has not read, keeps a partial last line until its newline comes,
 * starts over when the file shrinks (truncation) or the path points to a new
 * file (rotation, delete + re-create), and waits for a file that does not
 * exist yet. Bad lines are skipped, counted and reported; never thrown.
 *
 * Each `events()` call is an independent reader with its own offset.
 */
export class JsonlTailSource implements CellEventSource {
  readonly path: string;
  readonly stats: JsonlTailStats = { lines: 0, events: 0, signedEvents: 0, invalidLines: 0, truncations: 0, rotations: 0, opens: 0, bytesRead: 0 };
  /** @internal */ readonly settings: Required<Pick<JsonlTailSourceOptions, "fromStart" | "maxLineBytes" | "pollIntervalMs" | "watch" | "keepAlive" | "readChunkBytes">>;
  /** @internal */ readonly lineOptions: JsonlLineOptions;
  /** @internal */ readonly logger: ReceiverLogger;
  private readonly onInvalid: ((line: InvalidLine) => void) | undefined;

  constructor(options: JsonlTailSourceOptions) {
    if (typeof options.path !== "string" || options.path === "") {
      throw new ReceiverError("InvalidOptions", `JsonlTailSource needs a non-empty path, got ${JSON.stringify(options.path)}`);
    }
    const positive = (name: string, value: number): number => {
      if (!Number.isInteger(value) || value < 1) throw new ReceiverError("InvalidOptions", `${name} must be a positive integer, got ${String(value)}`);
      return value;
    };
    this.path = resolve(options.path);
    this.settings = {
      fromStart: options.fromStart ?? true,
      maxLineBytes: positive("maxLineBytes", options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES),
      pollIntervalMs: positive("pollIntervalMs", options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS),
      watch: options.watch ?? true,
      keepAlive: options.keepAlive ?? true,
      readChunkBytes: positive("readChunkBytes", options.readChunkBytes ?? 64 * 1024),
    };
    this.lineOptions = {
      ...(options.validateData === undefined ? {} : { validateData: options.validateData }),
      ...(options.verifyEnvelope === undefined ? {} : { verifyEnvelope: options.verifyEnvelope }),
    };
    this.logger = options.logger ?? consoleLogger;
    this.onInvalid = options.onInvalid;
  }

  async *events(options: EventStreamOptions = {}): AsyncGenerator<CloudEventV1, void, undefined> {
    const { signal } = options;
    if (signal?.aborted) return;
    const follower = new TailFollower(this, signal);
    try {
      for (;;) {
        const { events, more } = await follower.step();
        for (const event of events) {
          if (signal?.aborted) return;
          yield event;
        }
        if (signal?.aborted) return;
        if (!more) await follower.waitForChange();
        if (signal?.aborted) return;
      }
    } finally {
      await follower.close();
    }
  }

  /** @internal */
  reportInvalid(line: InvalidLine): void {
    this.stats.invalidLines += 1;
    if (this.onInvalid === undefined) {
      this.logger.warn(`skipped line ${line.lineNumber} of ${line.path}: ${line.reason}`, { ...line });
      return;
    }
    try {
      this.onInvalid(line);
    } catch (error) {
      this.logger.warn(`onInvalid threw for line ${line.lineNumber} of ${line.path}: ${(error as Error).message}`, { error });
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** "Not there (yet)": the path or one of its directories is missing. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

interface StepResult {
  events: CloudEventV1[];
  /** More may be readable right away (do not wait for a change). */
  more: boolean;
}

/** One reader's state: the open file, its identity, the offset, the partial line. */
class TailFollower {
  private readonly path: string;
  private readonly directory: string;
  private readonly name: string;
  private handle: FileHandle | undefined;
  private ino = 0;
  private dev = 0;
  private offset = 0;
  private firstOpen = true;
  private readonly splitter: JsonlLineSplitter;
  private readonly buffer: Buffer;
  private watcher: FSWatcher | undefined;
  private watchFailedLogged = false;
  /** Set by the watcher; cleared when a read pass starts. */
  private changed = true;
  private wake: (() => void) | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly source: JsonlTailSource,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.path = source.path;
    this.directory = dirname(this.path);
    this.name = basename(this.path);
    this.splitter = new JsonlLineSplitter(source.settings.maxLineBytes);
    this.buffer = Buffer.allocUnsafe(source.settings.readChunkBytes);
    this.onAbort = () => this.notify();
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.ensureWatcher();
  }

  /** Reads at most one chunk, or handles end of file (truncation, rotation). */
  async step(): Promise<StepResult> {
    this.changed = false;
    const handle = this.handle ?? (await this.openFile());
    if (handle === undefined) {
      this.ensureWatcher();
      return { events: [], more: false };
    }
    const { bytesRead } = await this.read(handle);
    if (bytesRead > 0) {
      this.offset += bytesRead;
      this.source.stats.bytesRead += bytesRead;
      const events: CloudEventV1[] = [];
      this.splitter.push(this.buffer.subarray(0, bytesRead), (line) => this.decode(line, events));
      return { events, more: true };
    }
    return this.atEndOfFile(handle);
  }

  /** At the end of what the open file holds: has it shrunk, or been replaced? */
  private async atEndOfFile(handle: FileHandle): Promise<StepResult> {
    const events: CloudEventV1[] = [];
    const size = (await this.statHandle(handle)).size;
    if (size < this.offset) {
      this.source.stats.truncations += 1;
      this.flushPartial(events);
      this.source.logger.warn(`${this.path} was truncated (size ${size} < offset ${this.offset}); reading it again from the start`);
      this.offset = 0;
      this.splitter.reset(0);
      return { events, more: true };
    }
    let current: { ino: number; dev: number } | undefined;
    try {
      current = await stat(this.path);
    } catch (error) {
      if (!isMissing(error)) throw new ReceiverError("Io", `cannot stat ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    if (current?.ino === this.ino && current.dev === this.dev) return { events, more: false };
    // Replaced or deleted: the old file is finished (we read it to its end).
    this.source.stats.rotations += 1;
    this.flushPartial(events);
    await this.closeHandle();
    this.splitter.reset(0);
    this.offset = 0;
    return { events, more: current !== undefined };
  }

  private async read(handle: FileHandle): Promise<{ bytesRead: number }> {
    try {
      return await handle.read(this.buffer, 0, this.buffer.length, this.offset);
    } catch (error) {
      throw new ReceiverError("Io", `cannot read ${this.path} at offset ${this.offset}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async statHandle(handle: FileHandle): Promise<{ size: number }> {
    try {
      return await handle.stat();
    } catch (error) {
      throw new ReceiverError("Io", `cannot stat open file ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Opens the path if it exists; `undefined` when it does not (yet). */
  private async openFile(): Promise<FileHandle | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (error) {
      if (isMissing(error)) {
        // Everything written to a file that appears later is new to us.
        this.firstOpen = false;
        return undefined;
      }
      throw new ReceiverError("Io", `cannot open ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new ReceiverError("Io", `${this.path} is not a regular file`);
      this.ino = info.ino;
      this.dev = info.dev;
      this.offset = this.firstOpen && !this.source.settings.fromStart ? info.size : 0;
      this.splitter.reset(this.offset);
    } catch (error) {
      await handle.close();
      if (error instanceof ReceiverError) throw error;
      throw new ReceiverError("Io", `cannot stat ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    this.firstOpen = false;
    this.handle = handle;
    this.source.stats.opens += 1;
    return handle;
  }

  private decode(line: SplitResult, into: CloudEventV1[], incomplete = false): void {
    const stats = this.source.stats;
    if (line.kind === "oversized") {
      stats.lines += 1;
      this.source.reportInvalid({
        path: this.path,
        lineNumber: line.lineNumber,
        byteOffset: line.byteOffset,
        kind: "oversized",
        reason: `line of ${line.length} bytes exceeds maxLineBytes (${this.source.settings.maxLineBytes})`,
      });
      return;
    }
    const result = decodeJsonlLine(line.bytes, this.source.lineOptions);
    if (result.status === "blank") return;
    stats.lines += 1;
    if (result.status === "invalid") {
      this.source.reportInvalid({
        path: this.path,
        lineNumber: line.lineNumber,
        byteOffset: line.byteOffset,
        kind: result.kind,
        reason: incomplete ? `${result.reason} (last line had no newline when the file was replaced or truncated)` : result.reason,
      });
      return;
    }
    stats.events += 1;
    if (result.signed) stats.signedEvents += 1;
    into.push(result.event);
  }

  /** The file is finished: a last line without its newline is decoded as it is. */
  private flushPartial(into: CloudEventV1[]): void {
    this.splitter.flush((line) => this.decode(line, into, true));
  }

  /** Waits for a watcher event, the safety poll, or abort. */
  async waitForChange(): Promise<void> {
    if (this.changed || this.signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.notify(), this.source.settings.pollIntervalMs);
      if (!this.source.settings.keepAlive) timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private notify(): void {
    this.changed = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Watches the directory (so creation, rotation and deletion are seen too). */
  private ensureWatcher(): void {
    if (this.watcher !== undefined || !this.source.settings.watch || this.signal?.aborted) return;
    try {
      const watcher = watch(this.directory, { persistent: this.source.settings.keepAlive }, (_event, filename) => {
        if (filename === null || filename === this.name) this.notify();
      });
      watcher.on("error", (error) => {
        this.source.logger.warn(`fs.watch on ${this.directory} failed; polling every ${this.source.settings.pollIntervalMs} ms`, { error });
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.notify();
      });
      this.watcher = watcher;
      this.watchFailedLogged = false;
    } catch (error) {
      if (!this.watchFailedLogged && !isMissing(error)) {
        this.source.logger.warn(`cannot fs.watch ${this.directory} (${(error as Error).message}); polling every ${this.source.settings.pollIntervalMs} ms`);
        this.watchFailedLogged = true;
      }
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener("abort", this.onAbort);
    this.watcher?.close();
    this.watcher = undefined;
    this.notify();
    await this.closeHandle();
  }
}
