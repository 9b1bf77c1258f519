import { Buffer } from "node:buffer";

/** What a cell wrote to one stream: the last `limit` bytes and how much there was in all. */
export interface CapturedStream {
  /** The captured bytes (the tail of the stream when it was longer than the limit), as UTF-8. */
  readonly text: string;
  /** Bytes the process wrote in all. */
  readonly totalBytes: number;
  /** `true` when `text` is only the tail. */
  readonly truncated: boolean;
}

/**
 * Keeps the last `limit` bytes of a stream and counts the rest, so a cell
 * that writes 50 MB costs at most `limit` bytes of memory (plus one chunk).
 */
export class OutputCapture {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #kept = 0;
  #total = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#limit === 0) return;
    if (chunk.length >= this.#limit) {
      this.#chunks = [Buffer.from(chunk.subarray(chunk.length - this.#limit))];
      this.#kept = this.#limit;
      return;
    }
    this.#chunks.push(chunk);
    this.#kept += chunk.length;
    while (this.#kept - (this.#chunks[0]?.length ?? 0) >= this.#limit) {
      const dropped = this.#chunks.shift();
      this.#kept -= dropped?.length ?? 0;
    }
  }

  result(): CapturedStream {
    let bytes = Buffer.concat(this.#chunks);
    if (bytes.length > this.#limit) bytes = bytes.subarray(bytes.length - this.#limit);
    return { text: bytes.toString("utf8"), totalBytes: this.#total, truncated: this.#total > bytes.length };
  }
}
