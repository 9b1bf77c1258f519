import type { FileHandle } from "node:fs/promises";
import { ioError, throwIfAborted } from "./ledger-error.js";

/** One complete line of a ledger file (without its `\n`). */
export interface RowLine {
  /** 0-based row index. */
  index: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line's bytes; empty when `oversized`. */
  bytes: Buffer;
  /** The line is longer than `maxRowBytes`; its bytes were skipped, not buffered. */
  oversized: boolean;
}

/** Bytes after the last `\n`: a row whose write never finished. */
export interface TornTail {
  /** Where the partial row starts (= the length the file would be truncated to). */
  offset: number;
  /** How many bytes it has. */
  bytes: number;
}

export interface RowLineReaderOptions {
  path: string;
  /** Stop reading at this byte offset (default: end of file). */
  end?: number;
  /** Bytes per read (default 64 KiB: each read yields to the event loop). */
  chunkBytes?: number;
  /** Lines longer than this are reported `oversized` instead of buffered. */
  maxRowBytes: number;
  signal?: AbortSignal;
}

const NEWLINE = 0x0a;

/**
 * Splits a ledger file into lines, reading it in chunks. After the iteration
 * ends, `tornTail` says whether the file ended in a partial line and
 * `completeBytes` where the last complete line ends.
 */
export class RowLineReader {
  readonly #handle: FileHandle;
  readonly #options: RowLineReaderOptions;
  tornTail: TornTail | null = null;
  completeBytes = 0;
  rows = 0;

  constructor(handle: FileHandle, options: RowLineReaderOptions) {
    this.#handle = handle;
    this.#options = options;
  }

  async *lines(): AsyncGenerator<RowLine, void, undefined> {
    const { path, end, maxRowBytes, signal } = this.#options;
    const chunkBytes = this.#options.chunkBytes ?? 64 * 1024;
    let position = 0;
    let lineStart = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let oversized = false;
    let index = 0;
    for (;;) {
      throwIfAborted(signal, "reading ledger");
      const want = end === undefined ? chunkBytes : Math.min(chunkBytes, end - position);
      if (want <= 0) break;
      const chunk = Buffer.allocUnsafe(want);
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.#handle.read(chunk, 0, want, position));
      } catch (error) {
        throw ioError("reading ledger", path, error);
      }
      if (bytesRead === 0) break;
      const data = bytesRead === want ? chunk : chunk.subarray(0, bytesRead);
      let from = 0;
      while (from < bytesRead) {
        const newline = data.indexOf(NEWLINE, from);
        const stop = newline === -1 ? bytesRead : newline;
        if (!oversized) {
          if (pendingBytes + (stop - from) > maxRowBytes) {
            oversized = true;
            pending = [];
            pendingBytes = 0;
          } else if (stop > from) {
            pending.push(data.subarray(from, stop));
            pendingBytes += stop - from;
          }
        }
        if (newline === -1) break;
        // A complete line ends at `newline`.
        const only = pending.length === 1 ? pending[0] : undefined;
        const bytes = oversized ? Buffer.alloc(0) : (only ?? Buffer.concat(pending, pendingBytes));
        const line: RowLine = { index, offset: lineStart, bytes, oversized };
        lineStart = position + newline + 1;
        this.completeBytes = lineStart;
        index++;
        this.rows = index;
        pending = [];
        pendingBytes = 0;
        oversized = false;
        from = newline + 1;
        yield line;
      }
      position += bytesRead;
    }
    if (position > lineStart) this.tornTail = { offset: lineStart, bytes: position - lineStart };
  }
}
