import { Buffer } from "node:buffer";
import { mkdir, open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { CellosError } from "./cellos-error.js";
import type { CloudEventV1 } from "./cloud-event.js";
import { safeParseCloudEventV1 } from "./cloud-event.js";
import type { EventSink } from "./event-sink.js";

export interface JsonlFileEventSinkOptions {
  /** The JSONL file; created (with its directory) on the first emit, appended to after. */
  readonly path: string;
}

/**
 * Appends each event as one JSON object per line (`\n`-terminated) to a file
 * opened with `O_APPEND`. Emits are serialized through one queue and each line
 * is one `write` call, so concurrent emits from this process never interleave
 * or tear a line; `emit` resolves once its line is written.
 */
export class JsonlFileEventSink implements EventSink {
  readonly path: string;
  #handle: Promise<FileHandle> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: JsonlFileEventSinkOptions) {
    if (typeof options.path !== "string" || options.path === "") throw new CellosError("EventSink", `JsonlFileEventSink needs a non-empty path, got ${JSON.stringify(options.path)}`);
    this.path = options.path;
  }

  emit(event: CloudEventV1): Promise<void> {
    if (this.#closed) return Promise.reject(new CellosError("EventSink", `${this.path}: sink is closed`));
    let line: Buffer;
    try {
      const checked = safeParseCloudEventV1(event);
      if (!checked.success) throw new CellosError("EventSink", `${this.path}: not a CloudEventV1: ${checked.error.detail}`, { cause: checked.error });
      line = Buffer.from(`${JSON.stringify(event)}\n`, "utf8");
    } catch (cause) {
      return Promise.reject(cause instanceof CellosError ? cause : new CellosError("EventSink", `${this.path}: cannot serialize event: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
    }
    const write = this.#tail.then(() => this.#append(line));
    // The queue continues after a failed write; the failure goes to this emit's caller.
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /** Waits for queued writes, then closes the file. Later emits fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) {
      try {
        await (await handle).close();
      } catch (cause) {
        throw new CellosError("EventSink", `${this.path}: close failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
    }
  }

  async #append(line: Buffer): Promise<void> {
    try {
      this.#handle ??= this.#open();
      const handle = await this.#handle;
      let offset = 0;
      // One write(2) in practice for a regular file; loop only if the OS returns short.
      while (offset < line.length) {
        const { bytesWritten } = await handle.write(line, offset, line.length - offset);
        offset += bytesWritten;
      }
    } catch (cause) {
      if (cause instanceof CellosError) throw cause;
      throw new CellosError("EventSink", `${this.path}: append failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  async #open(): Promise<FileHandle> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      return await open(this.path, "a");
    } catch (cause) {
      this.#handle = undefined;
      throw new CellosError("EventSink", `${this.path}: cannot open for append: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
}
