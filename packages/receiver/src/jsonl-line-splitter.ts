/**
 * Cuts a byte stream into newline-terminated lines, the way a JSONL reader
 * must: a trailing partial line is kept until its newline arrives, and a line
 * longer than `maxLineBytes` is never held in memory — its bytes are counted
 * and dropped, and it is reported once its newline arrives.
 */

/** One complete line (without its `\n`). `bytes` is only valid during the callback. */
export interface SplitLine {
  readonly kind: "line";
  /** 1-based line number within the file. */
  readonly lineNumber: number;
  /** Byte offset of the line's first byte within the file. */
  readonly byteOffset: number;
  readonly bytes: Uint8Array;
}

/** A line that exceeded `maxLineBytes`; its content was dropped. */
export interface OversizedLine {
  readonly kind: "oversized";
  readonly lineNumber: number;
  readonly byteOffset: number;
  /** Length of the line in bytes (without its `\n`). */
  readonly length: number;
}

export type SplitResult = SplitLine | OversizedLine;

const NEWLINE = 0x0a;

export class JsonlLineSplitter {
  readonly maxLineBytes: number;
  /** Bytes of the current partial line (copies; the caller's chunks are reused). */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Set while dropping the rest of an oversized line; `oversizedExtra` counts its bytes. */
  private oversized = false;
  private oversizedExtra = 0;
  private lineStart: number;
  private lineNumber = 0;

  constructor(maxLineBytes: number, startOffset = 0) {
    this.maxLineBytes = maxLineBytes;
    this.lineStart = startOffset;
  }

  /** Bytes held for the current partial line (bounded by `maxLineBytes`). */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** Whether a partial line (or the tail of an oversized one) is waiting for its newline. */
  get hasPartialLine(): boolean {
    return this.pendingLength > 0 || this.oversized;
  }

  /**
   * Feeds the next bytes of the file; calls `onLine` for every line completed
   * by them, in order. The chunk may be reused by the caller afterwards.
   */
  push(chunk: Uint8Array, onLine: (line: SplitResult) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      const pieceLength = end - start;
      if (this.oversized) {
        this.oversizedExtra += pieceLength;
      } else if (this.pendingLength + pieceLength > this.maxLineBytes) {
        // Too long: stop keeping it. Everything up to its newline is dropped.
        this.oversized = true;
        this.oversizedExtra = this.pendingLength + pieceLength;
        this.pending = [];
        this.pendingLength = 0;
      } else if (newline !== -1 && this.pendingLength === 0) {
        // Fast path: the whole line is inside this chunk; hand out a view.
        this.lineNumber += 1;
        onLine({ kind: "line", lineNumber: this.lineNumber, byteOffset: this.lineStart, bytes: chunk.subarray(start, end) });
        this.lineStart += pieceLength + 1;
        start = end + 1;
        continue;
      } else if (pieceLength > 0) {
        this.pending.push(Buffer.from(chunk.subarray(start, end)));
        this.pendingLength += pieceLength;
      }
      if (newline === -1) return;
      this.completeLine(onLine);
      start = newline + 1;
    }
  }

  /**
   * Treats the partial line (if any) as complete: used when the file it came
   * from is finished (rotated away or deleted). Returns whether a line was emitted.
   */
  flush(onLine: (line: SplitResult) => void): boolean {
    if (!this.hasPartialLine) return false;
    this.completeLine(onLine, false);
    return true;
  }

  /** Forgets the partial line and restarts numbering at `startOffset` (a new or truncated file). */
  reset(startOffset = 0): void {
    this.pending = [];
    this.pendingLength = 0;
    this.oversized = false;
    this.oversizedExtra = 0;
    this.lineStart = startOffset;
    this.lineNumber = 0;
  }

  private completeLine(onLine: (line: SplitResult) => void, withNewline = true): void {
    this.lineNumber += 1;
    const byteOffset = this.lineStart;
    if (this.oversized) {
      const length = this.oversizedExtra;
      this.oversized = false;
      this.oversizedExtra = 0;
      this.lineStart += length + (withNewline ? 1 : 0);
      onLine({ kind: "oversized", lineNumber: this.lineNumber, byteOffset, length });
      return;
    }
    const only = this.pending.length === 1 ? this.pending[0] : undefined;
    const bytes = only ?? Buffer.concat(this.pending, this.pendingLength);
    const length = this.pendingLength;
    this.pending = [];
    this.pendingLength = 0;
    this.lineStart += length + (withNewline ? 1 : 0);
    onLine({ kind: "line", lineNumber: this.lineNumber, byteOffset, bytes });
  }
}
