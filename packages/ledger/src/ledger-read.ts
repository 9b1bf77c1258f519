import type { FileHandle } from "node:fs/promises";
import { LedgerError } from "./ledger-error.js";
import type { LedgerRow, RowCodec } from "./ledger-row.js";
import { RowLineReader } from "./row-lines.js";

/** A decoded row with its position in the ledger. */
export interface IndexedLedgerRow extends LedgerRow {
  index: number;
}

export interface ReadRowsOptions {
  path: string;
  codec: RowCodec;
  maxRowBytes: number;
  /** Stop at this byte offset (the writer's committed length). */
  end?: number;
  /** End quietly at a torn tail instead of throwing `TornTail` (e.g. while a writer is appending). */
  allowTornTail?: boolean;
  signal?: AbortSignal;
}

/**
 * Yields each row, decoded (framing, row hash, event schema). A row that does
 * not decode throws `LedgerError` (`Corrupt`) naming its index; a torn tail
 * throws `TornTail` after the complete rows. Hash-chain and signature checks
 * are `Ledger.verify`'s job.
 */
export async function* readLedgerRows(handle: FileHandle, options: ReadRowsOptions): AsyncGenerator<IndexedLedgerRow, void, undefined> {
  const reader = new RowLineReader(handle, {
    path: options.path,
    maxRowBytes: options.maxRowBytes,
    ...(options.end === undefined ? {} : { end: options.end }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  for await (const line of reader.lines()) {
    if (line.oversized) {
      throw new LedgerError("Corrupt", `row ${line.index} of ${JSON.stringify(options.path)} is longer than maxRowBytes (${options.maxRowBytes})`);
    }
    const decoded = options.codec.decode(line.bytes);
    if (!decoded.ok) throw new LedgerError("Corrupt", `row ${line.index} of ${JSON.stringify(options.path)}: ${decoded.reason}`);
    yield { index: line.index, ...decoded.row };
  }
  if (reader.tornTail !== null && options.allowTornTail !== true) {
    throw new LedgerError(
      "TornTail",
      `${JSON.stringify(options.path)} ends in a torn row: ${reader.tornTail.bytes} bytes after byte ${reader.tornTail.offset}`,
    );
  }
}
