import { CellosEventType } from "@cellos-cortex/cellos-core";
import type { CloudEventV1 } from "@cellos-cortex/cellos-core";
import type { CellEventSource } from "./cell-event-source.js";
import { RESULT_EVENT_TYPES, buildCellResult, eventCellId } from "./cell-result.js";
import type { CellResultContext, CortexCellResult } from "./cell-result.js";
import { consoleLogger } from "./logger.js";
import type { ReceiverLogger } from "./logger.js";
import { ReceiverError } from "./receiver-error.js";

export const DEFAULT_MAX_CELLS = 10_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 300_000;

export interface CellResultTrackerOptions {
  /** Most cells whose state is kept; beyond it the least recently updated is evicted. Default 10 000. */
  maxCells?: number;
  logger?: ReceiverLogger;
}

export interface WaitForOptions extends CellResultContext {
  /** Default 300 000 ms (the default cell TTL). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CellResultTrackerStats {
  /** Events read from the source. */
  events: number;
  /** Of those, events that bear on a result (destroyed, command completed, export completed). */
  resultEvents: number;
  /** Result events dropped because the same `source` + `id` was already seen. */
  duplicates: number;
  /** Cells currently held. */
  cells: number;
  /** Cells evicted to stay within `maxCells`. */
  evictions: number;
}

/** What is kept per cell: only the events a result is built from. */
interface CellState {
  lastCommand: CloudEventV1 | undefined;
  exports: CloudEventV1[];
  /** Result as of the latest destroyed event (packId "" and no doctrine refs). */
  result: CortexCellResult | undefined;
  /** `source` + `id` of the result events seen, for dedupe. */
  seen: Set<string>;
}

interface Waiter {
  cellId: string;
  context: CellResultContext;
  resolve: (result: CortexCellResult) => void;
  reject: (error: ReceiverError) => void;
}

function withContext(result: CortexCellResult, context: CellResultContext): CortexCellResult {
  return {
    ...result,
    packId: context.packId ?? "",
    exportPaths: [...result.exportPaths],
    doctrineRefs: [...(context.doctrineRefs ?? [])],
  };
}

/**
 * One reader of a `CellEventSource` for any number of waiters. It starts
 * reading when constructed, keeps for each cell only the events its result is
 * built from (so a waiter that comes after the cell finished still gets its
 * result), drops duplicate events (same `source` and `id`), and holds at most
 * `maxCells` cells (least recently updated evicted first).
 */
export class CellResultTracker {
  readonly maxCells: number;
  private readonly cells = new Map<string, CellState>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly abort = new AbortController();
  private readonly logger: ReceiverLogger;
  private readonly loop: Promise<void>;
  private readonly counters = { events: 0, resultEvents: 0, duplicates: 0, evictions: 0 };
  private closed = false;
  /** Set when the source failed or ended: no new result can arrive. */
  private ended: ReceiverError | undefined;

  constructor(
    private readonly source: CellEventSource,
    options: CellResultTrackerOptions = {},
  ) {
    const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
    if (!Number.isInteger(maxCells) || maxCells < 1) {
      throw new ReceiverError("InvalidOptions", `maxCells must be a positive integer, got ${String(maxCells)}`);
    }
    this.maxCells = maxCells;
    this.logger = options.logger ?? consoleLogger;
    this.loop = this.read();
  }

  get stats(): CellResultTrackerStats {
    return { ...this.counters, cells: this.cells.size };
  }

  /** The result of a cell already destroyed, if it is known. */
  get(cellId: string, context: CellResultContext = {}): CortexCellResult | undefined {
    const result = this.cells.get(cellId)?.result;
    return result === undefined ? undefined : withContext(result, context);
  }

  /**
   * Resolves with the cell's result once its `lifecycle.v1.destroyed` has
   * arrived (at once if it already has). Rejects with `ReceiverError`:
   * `Timeout` after `timeoutMs` (the message names the cell), `Aborted`,
   * `Closed`, or `Source` when the source failed or ended first.
   */
  waitFor(cellId: string, options: WaitForOptions = {}): Promise<CortexCellResult> {
    const { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, signal } = options;
    const context: CellResultContext = {
      ...(options.packId === undefined ? {} : { packId: options.packId }),
      ...(options.doctrineRefs === undefined ? {} : { doctrineRefs: options.doctrineRefs }),
    };
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(new ReceiverError("InvalidOptions", `timeoutMs must be a finite number ≥ 0, got ${String(timeoutMs)}`));
    }
    const state = this.cells.get(cellId);
    if (state?.result !== undefined) {
      this.touch(cellId, state);
      return Promise.resolve(withContext(state.result, context));
    }
    if (this.closed) return Promise.reject(new ReceiverError("Closed", `tracker is closed; cannot wait for cell ${cellId}`));
    if (this.ended !== undefined) {
      return Promise.reject(new ReceiverError("Source", `cannot wait for cell ${cellId}: ${this.ended.message}`, { cause: this.ended }));
    }
    if (signal?.aborted) {
      return Promise.reject(new ReceiverError("Aborted", `wait for cell ${cellId} aborted`, { cause: signal.reason }));
    }
    return new Promise<CortexCellResult>((resolve, reject) => {
      const onAbort = (): void => {
        settle();
        reject(new ReceiverError("Aborted", `wait for cell ${cellId} aborted`, { cause: signal?.reason }));
      };
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const set = this.waiters.get(cellId);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(cellId);
      };
      const waiter: Waiter = {
        cellId,
        context,
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.reject(new ReceiverError("Timeout", `cell result timeout after ${timeoutMs} ms (cell_id=${cellId})`));
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      let set = this.waiters.get(cellId);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(cellId, set);
      }
      set.add(waiter);
    });
  }

  /** Stops reading; pending waits reject with `Closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.rejectAll(() => new ReceiverError("Closed", "tracker closed while waiting"));
    await this.loop;
  }

  private async read(): Promise<void> {
    try {
      for await (const event of this.source.events({ signal: this.abort.signal })) {
        this.process(event);
      }
      if (!this.closed) this.end(new ReceiverError("Source", "the event source ended"));
    } catch (error) {
      if (this.closed) return;
      const failure =
        error instanceof ReceiverError ? error : new ReceiverError("Source", `the event source failed: ${(error as Error).message}`, { cause: error });
      this.logger.warn(`CellResultTracker stopped: ${failure.message}`, { error: failure });
      this.end(failure);
    }
  }

  private end(reason: ReceiverError): void {
    this.ended = reason;
    this.rejectAll((waiter) => new ReceiverError("Source", `cannot wait for cell ${waiter.cellId}: ${reason.message}`, { cause: reason }));
  }

  private rejectAll(makeError: (waiter: Waiter) => ReceiverError): void {
    const all = [...this.waiters.values()].flatMap((set) => [...set]);
    for (const waiter of all) waiter.reject(makeError(waiter));
  }

  private process(event: CloudEventV1): void {
    this.counters.events += 1;
    if (!RESULT_EVENT_TYPES.has(event.type)) return;
    const cellId = eventCellId(event);
    if (cellId === undefined) return;
    this.counters.resultEvents += 1;
    let state = this.cells.get(cellId);
    if (state === undefined) {
      state = { lastCommand: undefined, exports: [], result: undefined, seen: new Set() };
      this.cells.set(cellId, state);
      this.evictBeyondLimit(cellId);
    } else {
      this.touch(cellId, state);
    }
    const key = `${event.source}\u0000${event.id}`;
    if (state.seen.has(key)) {
      this.counters.duplicates += 1;
      return;
    }
    state.seen.add(key);
    switch (event.type) {
      case CellosEventType.lifecycleDestroyed:
        break;
      case CellosEventType.commandCompleted:
        state.lastCommand = event;
        // A result already built keeps its exit code until the next destroyed event (as the seed would see it then).
        return;
      default:
        state.exports.push(event);
        return;
    }
    const events = [...(state.lastCommand === undefined ? [] : [state.lastCommand]), ...state.exports, event];
    const result = buildCellResult(cellId, events);
    state.result = result;
    if (result === undefined) return;
    const waiting = this.waiters.get(cellId);
    if (waiting === undefined) return;
    for (const waiter of [...waiting]) waiter.resolve(withContext(result, waiter.context));
  }

  /** Marks a cell as most recently used. */
  private touch(cellId: string, state: CellState): void {
    this.cells.delete(cellId);
    this.cells.set(cellId, state);
  }

  private evictBeyondLimit(keep: string): void {
    if (this.cells.size <= this.maxCells) return;
    for (const [cellId, state] of this.cells) {
      if (this.cells.size <= this.maxCells) return;
      if (cellId === keep || this.waiters.has(cellId)) continue;
      this.cells.delete(cellId);
      this.counters.evictions += 1;
      if (state.result === undefined) {
        this.logger.warn(`CellResultTracker evicted unfinished cell ${cellId} (maxCells ${this.maxCells}); a later result for it would miss earlier events`);
      }
    }
  }
}
