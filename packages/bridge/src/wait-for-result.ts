import { CellResultTracker, JsonlTailSource } from "@cellos-cortex/receiver";
import type { CortexCellResult } from "@cellos-cortex/receiver";
import { checkTimeoutMs } from "./deadline.js";
import type { BridgeLogger } from "./logger.js";
import { resultWaitError } from "./result-wait-error.js";

export interface WaitForResultFromJsonlOptions {
  /** Default 300 000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly logger?: BridgeLogger;
}

/**
 * The seed's standalone `wait_for_result_from_jsonl`, for a caller that holds
 * a cell id and a JSONL path but no runner (an auditor catching up with a
 * finished cell): follows the file from its first byte (so a cell that
 * finished earlier is found at once, and a file that does not exist yet is
 * waited for) until the cell's destroyed event. Nothing blocks the event loop.
 * `packId` is "" and `doctrineRefs` empty: events do not carry them.
 */
export async function waitForResultFromJsonl(cellId: string, path: string, options: WaitForResultFromJsonlOptions = {}): Promise<CortexCellResult> {
  const timeoutMs = checkTimeoutMs(options.timeoutMs, "timeoutMs") ?? 300_000;
  const source = new JsonlTailSource({ path, fromStart: true, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const tracker = new CellResultTracker(source, options.logger === undefined ? {} : { logger: options.logger });
  try {
    return await tracker.waitFor(cellId, { timeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  } catch (error) {
    throw resultWaitError(error, cellId, timeoutMs);
  } finally {
    await tracker.close();
  }
}
