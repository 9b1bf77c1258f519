import type { KeyObject } from "node:crypto";
import { createCortexHasher } from "@cellos-cortex/cortex-core";
import { LedgerError } from "./ledger-error.js";
import { openLedgerFile } from "./ledger-file.js";
import { RowCodec, rowSignatureProblem } from "./ledger-row.js";
import { RowLineReader } from "./row-lines.js";
import { assertEd25519Key, keyId } from "./signing-key.js";

/** Default cap on one row's length; longer lines are reported, never buffered. */
export const DEFAULT_MAX_ROW_BYTES = 16 * 1024 * 1024;

/** The head of a ledger: how many rows it has and the last row's event hash. */
export interface LedgerHead {
  count: number;
  /** `eventHash` of the last row; `null` for an empty ledger. */
  eventHash: string | null;
}

export interface LedgerVerifyOptions {
  /** Every row must carry a valid Ed25519 signature by this key. Without it, signatures are not checked. */
  publicKey?: KeyObject | undefined;
  /**
   * A head recorded earlier (`ledger.head`, an external anchor): the ledger
   * must still contain that row with that event hash. This is what detects
   * rows removed from the end, which a hash chain alone cannot.
   */
  expectedHead?: LedgerHead | undefined;
  maxRowBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Result of `Ledger.verify`. */
export interface LedgerVerifyReport {
  ok: boolean;
  /** Rows that verified, in order from the first (all rows when `ok`; equals `firstBadIndex` otherwise). */
  count: number;
  /** Index of the first row that failed (a torn tail counts as the row after the last complete one). */
  firstBadIndex?: number;
  /** Why that row failed, naming the row and the values involved. */
  reason?: string;
}

export function checkMaxRowBytes(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ROW_BYTES;
  if (!Number.isSafeInteger(value) || value < 128) {
    throw new LedgerError("InvalidOption", `maxRowBytes must be an integer ≥ 128, got ${String(value)}`);
  }
  return value;
}

function checkExpectedHead(head: LedgerHead | undefined): LedgerHead | undefined {
  if (head === undefined) return undefined;
  const validCount = Number.isSafeInteger(head.count) && head.count >= 0;
  const validHash = head.count === 0 ? head.eventHash === null : typeof head.eventHash === "string" && /^[0-9a-f]{64}$/.test(head.eventHash);
  if (!validCount || !validHash) {
    throw new LedgerError("InvalidOption", `expectedHead must be {count ≥ 0, eventHash: 64 hex (null when count is 0)}, got ${JSON.stringify(head)}`);
  }
  return head;
}

/**
 * Verifies a ledger file from its first row: framing, row hash, event schema,
 * signature (when a public key is given), payload hash, chain link and event
 * hash (cortex-core's `verifyChain`), then the torn tail and the expected head.
 * Stops at the first bad row. Reads in 64 KiB chunks, yielding to the event
 * loop between them; takes no lock (a writer appending meanwhile may show as
 * a torn tail).
 */
export async function verifyLedger(path: string, options: LedgerVerifyOptions = {}): Promise<LedgerVerifyReport> {
  const publicKey = options.publicKey === undefined ? undefined : assertEd25519Key(options.publicKey, "public", "verify publicKey");
  const expectedKeyId = publicKey === undefined ? "" : keyId(publicKey);
  const expectedHead = checkExpectedHead(options.expectedHead);
  const maxRowBytes = checkMaxRowBytes(options.maxRowBytes);
  const hasher = await createCortexHasher();
  const codec = new RowCodec(hasher);
  const handle = await openLedgerFile(path, "r");
  let prev: string | null = null;
  let count = 0;
  const bad = (index: number, reason: string): LedgerVerifyReport => ({ ok: false, count, firstBadIndex: index, reason: `row ${index}: ${reason}` });
  try {
    const reader = new RowLineReader(handle, { path, maxRowBytes, ...(options.signal ? { signal: options.signal } : {}) });
    for await (const line of reader.lines()) {
      const index = line.index;
      if (line.oversized) return bad(index, `longer than maxRowBytes (${maxRowBytes})`);
      const decoded = codec.decode(line.bytes);
      if (!decoded.ok) return bad(index, decoded.reason);
      const { row } = decoded;
      if (publicKey !== undefined) {
        const problem = rowSignatureProblem(row, publicKey, expectedKeyId);
        if (problem !== undefined) return bad(index, problem);
      }
      const chain = hasher.verifyChain([row.event], { expectedPrevHash: prev });
      if (!chain.ok) return bad(index, `chain broken (${chain.failure ?? "unknown"}): ${(chain.reason ?? "").replace(/^event \d+: /, "")}`);
      if (expectedHead !== undefined && index === expectedHead.count - 1 && row.event.eventHash !== expectedHead.eventHash) {
        return bad(index, `event hash ${row.event.eventHash} differs from the expected head ${String(expectedHead.eventHash)}`);
      }
      prev = row.event.eventHash;
      count = index + 1;
    }
    if (reader.tornTail !== null) {
      return bad(count, `torn tail: ${reader.tornTail.bytes} bytes after the last complete row (at byte ${reader.tornTail.offset})`);
    }
    if (expectedHead !== undefined && count < expectedHead.count) {
      return bad(count, `missing: the ledger has ${count} rows, the expected head has ${expectedHead.count} (rows removed from the end?)`);
    }
    return { ok: true, count };
  } finally {
    await handle.close();
  }
}
